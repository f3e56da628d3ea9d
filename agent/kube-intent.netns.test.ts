// The agent in a real cluster learns the other nodes from the Kubernetes API: it routes
// each node's podCIDR via its InternalIP (host-gw), and drops the route of a node that is
// deleted. The API is the test server with the reference NodeList; the agent runs in a
// node namespace and reaches it through a unix socket bridged into that namespace.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFixture, podnetConf } from '../test/cni.js';
import { fixtureJson, KubeApiServer, writeKubeconfig, type TestKubeconfig } from '../test/kube-api-server.js';

const f = nodeFixture();
let api: KubeApiServer | null = null;
let kubeconfig: TestKubeconfig | null = null;
let bridge: Server | null = null;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await gone;
  }
  await new Promise((r) => (bridge ? bridge.close(r) : r(null)));
  kubeconfig?.remove();
  await api?.close();
});

function podnetRoutes(ns: string): string[] {
  const routes = JSON.parse(
    execFileSync('ip', ['-n', ns, '-j', 'route', 'show', 'proto', '151'], { encoding: 'utf8' }),
  ) as { dst: string; gateway?: string; dev?: string }[];
  return routes.map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}`).sort();
}

async function until(what: () => string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('podnet agent --kubernetes', () => {
  it("routes every other node's podCIDR via its InternalIP, and forgets a deleted node", async () => {
    // node1's uplink: a veth into a LAN namespace, 192.168.1.11/24, named as on many cloud
    // nodes (not eth0): the agent's default --uplink auto finds it by node1's InternalIP.
    const lan = f.ns.add('lan');
    execFileSync('ip', ['-n', f.node, 'link', 'add', 'ens5', 'type', 'veth', 'peer', 'name', 'lan0', 'netns', lan]);
    execFileSync('ip', ['-n', f.node, 'addr', 'add', '192.168.1.11/24', 'dev', 'ens5']);
    execFileSync('ip', ['-n', f.node, 'link', 'set', 'ens5', 'up']);
    execFileSync('ip', ['-n', lan, 'link', 'set', 'lan0', 'up']);

    // The API server listens on the root namespace's loopback; inside the node's namespace,
    // socat listens on its own loopback and forwards through a unix socket to it.
    api = await KubeApiServer.start();
    const sock = join(f.dirs.root, 'api.sock');
    bridge = createServer((c) => c.pipe(connect(Number(new URL(api!.url).port), '127.0.0.1')).pipe(c)).listen(sock);
    const socat = spawn(
      'nsenter',
      [`--net=/run/netns/${f.node}`, 'socat', 'TCP-LISTEN:6443,bind=127.0.0.1,fork,reuseaddr', `UNIX-CONNECT:${sock}`],
      { stdio: 'ignore' },
    );
    children.push(socat);
    kubeconfig = writeKubeconfig(api, { url: 'http://127.0.0.1:6443' });

    const dir = f.dirs.root;
    const conflist = join(dir, 'podnet.conflist');
    writeFileSync(
      conflist,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'tnet',
        plugins: [podnetConf({ cniVersion: '1.0.0', state: f.dirs.state, dataDir: f.dirs.ipam })],
      }),
    );
    writeFileSync(join(dir, 'token'), 'a-test-token-of-enough-length\n', { mode: 0o600 });
    const agent = spawn(
      'bin/podnet',
      [
        'agent',
        '--netns',
        f.node,
        '--node',
        'node1',
        '--kubernetes',
        '--kubeconfig',
        kubeconfig.path,
        '--cluster-network',
        '10.244.0.0/16',
        '--listen',
        `unix:${join(dir, 'agent.sock')}`,
        '--token-file',
        join(dir, 'token'),
        '--conflist',
        conflist,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(agent);
    let log = '';
    agent.stdout!.on('data', (d) => (log += d));
    agent.stderr!.on('data', (d) => (log += d));

    await until(
      () => `host-gw routes to node2 and node3 (node lists: ${api!.count('list', 'nodes')}, agent log: ${log})`,
      () => podnetRoutes(f.node).length === 2,
      60_000,
    );
    expect(podnetRoutes(f.node)).toEqual([
      '10.244.2.0/24 via 192.168.1.12 dev ens5',
      '10.244.3.0/24 via 192.168.1.13 dev ens5',
    ]);
    expect(log).toContain("uplink: ens5 (holds this node's InternalIP 192.168.1.11)");

    const node3 = fixtureJson('nodelist.reference.json').items.find((n: any) => n.metadata.name === 'node3');
    api.emit('nodes', {
      type: 'DELETED',
      object: { ...node3, metadata: { ...node3.metadata, resourceVersion: '2200' } },
    });
    await until(
      () => `the route to the deleted node3 is gone (agent log: ${log})`,
      () => podnetRoutes(f.node).length === 1,
    );
    expect(podnetRoutes(f.node)).toEqual(['10.244.2.0/24 via 192.168.1.12 dev ens5']);
    expect(log).toContain('nodes changed');

    // Every kubelet writes its own Node's status: Nodes whose InternalIP or podCIDR carry
    // `ip` commands are refused with a warning naming them, and nothing of theirs runs.
    const variant = (name: string, rv: string, ip: string, podCIDR: string) => ({
      ...node3,
      metadata: { ...node3.metadata, name, uid: `${node3.metadata.uid}-${name}`, resourceVersion: rv },
      spec: { ...node3.spec, podCIDR, podCIDRs: [podCIDR] },
      status: {
        ...node3.status,
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
      },
    });
    api.emit('nodes', {
      type: 'ADDED',
      object: variant('node4', '2300', '192.168.1.14\nroute add 10.99.0.0/16 dev lo\n#', '10.244.4.0/24'),
    });
    api.emit('nodes', {
      type: 'ADDED',
      object: variant('node5', '2301', '192.168.1.15', '10.244.5.0/24\nroute add 10.98.0.0/16 dev lo'),
    });
    api.emit('nodes', { type: 'ADDED', object: variant('node6', '2302', '192.168.1.16', '10.244.6.0/24') });
    await until(
      () => `the well-formed node6 is routed (agent log: ${log})`,
      () => podnetRoutes(f.node).length === 2,
    );
    expect(podnetRoutes(f.node)).toEqual([
      '10.244.2.0/24 via 192.168.1.12 dev ens5',
      '10.244.6.0/24 via 192.168.1.16 dev ens5',
    ]);
    const all = execFileSync('ip', ['-n', f.node, 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
    expect(all).not.toMatch(/10\.9[89]\.0\.0|10\.244\.[45]\.0/);
    expect(log).toMatch(/Node \\?"node4\\?" refused: InternalIP/);
    expect(log).toMatch(/Node \\?"node5\\?" refused: podCIDR/);
  }, 90_000);
});
