// `podnet cni install --kubernetes --node NAME`, the DaemonSet's init container, driven as
// the real CLI against the test API server (real Node JSON from test/fixtures/kubernetes,
// loopback only): the conflist takes the Node's spec.podCIDR; while the Node has none the
// command waits and says why, and proceeds on the watch event that gives it one; a podCIDR
// that is not an IPv4 network, or none with --timeout 0, is an error and nothing is written.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../test/cni.js';
import {
  fixtureJson,
  KubeApiServer,
  writeKubeconfig,
  type KubeList,
  type TestKubeconfig,
} from '../test/kube-api-server.js';

let server: KubeApiServer;
let kubeconfig: TestKubeconfig;
let dirs: ReturnType<typeof tempDirs>;
let child: ChildProcess | null = null;

/** The reference NodeList, node2 as the API shows it before the controller-manager has
 *  given it a podCIDR (or with `podCIDR` as given). */
function nodesWithNode2(podCIDR: string | null): KubeList {
  const list = fixtureJson<KubeList>('nodelist.reference.json');
  const node2 = list.items.find((n) => n.metadata.name === 'node2');
  if (podCIDR === null) {
    delete node2.spec.podCIDR;
    delete node2.spec.podCIDRs;
  } else node2.spec = { ...node2.spec, podCIDR, podCIDRs: [podCIDR] };
  return list;
}

async function start(nodes: KubeList): Promise<void> {
  server = await KubeApiServer.start({ nodes });
  kubeconfig = writeKubeconfig(server);
}

beforeEach(() => {
  dirs = tempDirs();
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  child = null;
  kubeconfig?.remove();
  await server?.close();
  dirs.remove();
});

const bin = () => join(dirs.root, 'bin');
const conf = () => join(dirs.root, 'net.d');
const conflistFile = () => join(conf(), '10-podnet.conflist');

const installArgs = (node: string, extra: string[] = []) => [
  'cni',
  'install',
  '--bin-dir',
  bin(),
  '--conf-dir',
  conf(),
  '--kubernetes',
  '--node',
  node,
  '--kubeconfig',
  kubeconfig.path,
  '--cluster-network',
  '10.244.0.0/16',
  '--json',
  ...extra,
];

/** Runs the CLI to its end, without blocking the event loop the test API server runs on. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bin/podnet', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('podnet cni install --kubernetes', () => {
  it("writes the conflist with the Node's podCIDR, read through a list and watch of that one node", async () => {
    await start(fixtureJson<KubeList>('nodelist.reference.json'));
    const r = await run(installArgs('node3'));
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.kubernetes).toMatchObject({ node: 'node3', podCIDR: '10.244.3.0/24' });
    expect(report.conflist).toBe(conflistFile());
    expect(JSON.parse(readFileSync(conflistFile(), 'utf8')).plugins[0]).toMatchObject({
      type: 'podnet',
      clusterNetwork: '10.244.0.0/16',
      ipam: { type: 'podnet-ipam', ranges: [[{ subnet: '10.244.3.0/24' }]] },
    });
    // no cluster-wide node list: the init container of every node asks for its own only
    expect(server.fieldSelectorQueries).toContainEqual({
      kind: 'list',
      resource: 'nodes',
      fieldSelector: 'metadata.name=node3',
    });
    expect(r.stderr).not.toContain('waiting');
  });

  it('the conflist equals the one --subnet writes', async () => {
    await start(fixtureJson<KubeList>('nodelist.reference.json'));
    expect((await run(installArgs('node2'))).status).toBe(0);
    const fromApi = readFileSync(conflistFile(), 'utf8');
    const bySubnet = spawnSync(
      'bin/podnet',
      [
        'cni',
        'install',
        '--bin-dir',
        bin(),
        '--conf-dir',
        join(dirs.root, 'net2.d'),
        '--subnet',
        '10.244.2.0/24',
        '--cluster-network',
        '10.244.0.0/16',
      ],
      { encoding: 'utf8' },
    );
    expect(bySubnet.status, bySubnet.stderr).toBe(0);
    expect(fromApi).toBe(readFileSync(join(dirs.root, 'net2.d', '10-podnet.conflist'), 'utf8'));
  });

  it('waits while the Node has no podCIDR, saying why, and proceeds when a MODIFIED event gives it one', async () => {
    await start(nodesWithNode2(null));
    const done = run(installArgs('node2'));
    const p = child!;
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr += d));
    // the why, and the watch on node2 alone that will bring the change
    for (let i = 0; i < 300 && !(stderr.includes('waiting') && server.openWatches('nodes') > 0); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain(
      'waiting for node node2 to get a podCIDR (the controller-manager assigns one when it runs with --allocate-node-cidrs)',
    );
    expect(server.fieldSelectorQueries).toContainEqual({
      kind: 'watch',
      resource: 'nodes',
      fieldSelector: 'metadata.name=node2',
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(p.exitCode).toBe(null);
    expect(existsSync(conflistFile())).toBe(false);
    expect(stderr.match(/waiting for node/g)).toHaveLength(1); // not a line per second
    // another node's change does not reach this watch, nor end the wait
    const node1 = nodesWithNode2(null).items.find((n) => n.metadata.name === 'node1');
    server.emit('nodes', {
      type: 'MODIFIED',
      object: { ...node1, metadata: { ...node1.metadata, resourceVersion: '2101' } },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(p.exitCode).toBe(null);
    const node2 = nodesWithNode2('10.244.2.0/24').items.find((n) => n.metadata.name === 'node2');
    server.emit('nodes', {
      type: 'MODIFIED',
      object: { ...node2, metadata: { ...node2.metadata, resourceVersion: '2102' } },
    });
    const r = await done;
    expect(r.status, stderr).toBe(0);
    expect(JSON.parse(r.stdout).kubernetes).toMatchObject({ node: 'node2', podCIDR: '10.244.2.0/24' });
    expect(JSON.parse(readFileSync(conflistFile(), 'utf8')).plugins[0].ipam.ranges).toEqual([
      [{ subnet: '10.244.2.0/24' }],
    ]);
  });

  it('a podCIDR that is not an IPv4 network is an error naming the node and the value; nothing is written', async () => {
    await start(nodesWithNode2('10.244.2.0/33'));
    const r = await run(installArgs('node2'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('node node2');
    expect(r.stderr).toContain('"10.244.2.0/33"');
    expect(existsSync(bin())).toBe(false);
    expect(existsSync(conf())).toBe(false);
  });

  it('--timeout 0 without a podCIDR is an error saying why; nothing is written', async () => {
    await start(nodesWithNode2(null));
    const r = await run(installArgs('node2', ['--timeout', '0']));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('node node2 has no podCIDR');
    expect(r.stderr).toContain('--allocate-node-cidrs');
    expect(existsSync(bin())).toBe(false);
    expect(existsSync(conf())).toBe(false);
  });

  it('--timeout gives up on a node that does not exist, naming it', async () => {
    await start(fixtureJson<KubeList>('nodelist.reference.json'));
    const t0 = Date.now();
    const r = await run(installArgs('node9', ['--timeout', '1']));
    expect(r.status).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(r.stderr).toContain('waiting for node node9 to get a podCIDR (there is no node node9 yet');
    expect(existsSync(conf())).toBe(false);
  });
});
