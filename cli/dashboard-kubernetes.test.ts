// `podnet dashboard --source kubernetes` end to end: the production server lists and
// watches a test API server that serves real Kubernetes JSON, and its tRPC API gives
// the nodes and pods of the fixtures, then the pod a watch event brings.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../test/tcp.js';
import { fixtureEvents, KubeApiServer, writeKubeconfig, type TestKubeconfig } from '../test/kube-api-server.js';

let server: KubeApiServer | null = null;
let kubeconfig: TestKubeconfig | null = null;
let child: ChildProcess | null = null;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  kubeconfig?.remove();
  await server?.close();
});

/** the URL podnet printed carries the key it made: a script sends it as a bearer */
async function snapshot(printed: string): Promise<any> {
  const url = new URL(printed);
  const key = url.searchParams.get('token');
  const body = (await (
    await fetch(`${url.origin}${url.pathname}api/trpc/topology.snapshot`, {
      headers: { authorization: `Bearer ${key}` },
    })
  ).json()) as { result: { data: { topology: any } } };
  return body.result.data.topology;
}

describe('podnet dashboard --source kubernetes', () => {
  it("shows the API server's nodes and pods, and a pod a watch event adds", async () => {
    server = await KubeApiServer.start();
    kubeconfig = writeKubeconfig(server);
    const proc = spawn(
      'bin/podnet',
      [
        'dashboard',
        '--source',
        'kubernetes',
        '--kubeconfig',
        kubeconfig.path,
        '--agent-port',
        'off',
        '--port',
        String(await freePort()),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    const { url, tokenFile } = await new Promise<{ url: string; tokenFile: string }>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) {
          const first = JSON.parse(out.split('\n')[0]!) as { url?: string; tokenFile: string };
          if (first.url) resolve({ url: first.url, tokenFile: first.tokenFile });
          else reject(new Error(`podnet dashboard said ${out}; stderr: ${stderr}`));
        }
      });
      proc.on('exit', (code) => reject(new Error(`podnet dashboard exited ${code}: ${stderr}`)));
    });
    const t = await snapshot(url);
    expect(t.cluster).toMatchObject({ source: 'kubernetes', routing: 'host-gw' });
    expect(t.nodes.map((n: any) => [n.name, n.ip, n.podCIDR, n.agent.state])).toEqual([
      ['node1', '192.168.1.11', '10.244.1.0/24', 'none'],
      ['node2', '192.168.1.12', '10.244.2.0/24', 'none'],
      ['node3', '192.168.1.13', '10.244.3.0/24', 'none'],
    ]);
    expect(t.pods).toHaveLength(11);
    expect(t.pods.find((p: any) => p.key === 'default/priv-pod')).toMatchObject({
      node: 'node3',
      ip: '10.244.3.2',
      phase: 'Running',
    });
    // The Running event of the reference watch stream: the pod arrives with its IP.
    server.emit('pods', fixtureEvents('watch-pods.reference.jsonl')[3]!);
    const deadline = Date.now() + 20_000;
    let pods: any[] = [];
    while (Date.now() < deadline) {
      pods = (await snapshot(url)).pods;
      if (pods.length === 12) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(pods.filter((p: any) => p.ip === '10.244.3.5').map((p: any) => p.node)).toEqual(['node3']);
    // The key was made for this dashboard (0600) and goes with it.
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await gone;
    expect(existsSync(tokenFile)).toBe(false);
  }, 180_000);
});
