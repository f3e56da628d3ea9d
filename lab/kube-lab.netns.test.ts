// The Kubernetes-shaped lab, built for real with a lab id of the test's own: the nodes run
// the DaemonSet's install step (which waits for the podCIDR the lab gives after registering
// the Node) and its agent in --kubernetes mode; `podnet check` holds; the API holds the
// Nodes and Pods as the lab changes; a Node written to the API gets routes on every node and
// loses them when deleted; and an endpoint that restarts makes the agents' watches expire
// (410), after which they list again and still follow the API.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheck } from './check.js';
import { readInventory } from './inventory.js';
import { labDown, labUp } from './lab.js';
import { nodeAdd, nodeDel } from './nodes.js';
import { labPaths, nodeDir } from './paths.js';
import { podAdd, podDel } from './pods.js';
import { kubeFiles } from './kube-state.js';
import { stillRunning } from '../lib/proc/identity.js';

const quiet = () => {};
const p = labPaths(`k${randomBytes(3).toString('hex')}`);
const flags = { nodes: 2, podsPerNode: 1, routing: 'host-gw', controlPlane: 'kubernetes' } as const;

const labNamespaces = () =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(p.prefix));

/** The API, as a client on this machine reaches it: its unix socket, the lab's token. */
function api(method: string, path: string, body?: unknown): Promise<{ code: number; body: any }> {
  const token = readFileSync(kubeFiles(p).token, 'utf8').trim();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: kubeFiles(p).socket,
        path,
        method,
        headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Each lab node's podnet routes (proto 151), as "DST via GW". */
function podnetRoutes(netns: string): string[] {
  const r = spawnSync('ip', ['-n', netns, '-j', 'route', 'show', 'proto', '151'], { encoding: 'utf8' });
  return (JSON.parse(r.stdout || '[]') as { dst: string; gateway?: string }[])
    .map((x) => `${x.dst} via ${x.gateway}`)
    .sort();
}

async function until(what: () => string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const aNode = (name: string, cidr: string, ip: string) => ({
  kind: 'Node',
  apiVersion: 'v1',
  metadata: { name },
  spec: { podCIDR: cidr },
  status: { addresses: [{ type: 'InternalIP', address: ip }] },
});

describe('podnet lab up --control-plane kubernetes', () => {
  afterAll(async () => {
    await labDown(p); // also when a test failed half-way
    expect(labNamespaces()).toEqual([]);
    // every process the lab started is gone: the agents, the endpoint, the bridges
    const left = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n');
    expect(left.filter((l) => l.includes(p.stateDir))).toEqual([]);
  });

  it('runs the DaemonSet on every node: the install step waits for the podCIDR, and podnet check holds', async () => {
    const { inventory: lab } = await labUp(p, flags, quiet);
    for (const node of lab.nodes) {
      const log = readFileSync(join(nodeDir(p, node.name), 'install.log'), 'utf8');
      const waited = log.indexOf(`waiting for node ${node.name} to get a podCIDR`);
      const wrote = log.indexOf('wrote ');
      expect(waited, log).toBeGreaterThanOrEqual(0);
      expect(wrote, log).toBeGreaterThan(waited);
      // the conflist the install step wrote holds the podCIDR the lab gave the Node
      const conf = JSON.parse(readFileSync(join(nodeDir(p, node.name), 'net.d', '10-podnet.conflist'), 'utf8'));
      expect(JSON.stringify(conf)).toContain(node.podCIDR);
    }
    const nodes = (await api('GET', '/api/v1/nodes')).body.items;
    expect(
      nodes.map((n: any) => [
        n.metadata.name,
        n.spec.podCIDR,
        n.status.addresses[0].address,
        n.status.conditions[0].status,
      ]),
    ).toEqual([
      ['node1', '10.244.1.0/24', '192.168.1.11', 'True'],
      ['node2', '10.244.2.0/24', '192.168.1.12', 'True'],
    ]);
    const pods = (await api('GET', '/api/v1/pods')).body.items;
    const podRows = (rows: string[][]) => rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(podRows(pods.map((x: any) => [x.metadata.name, x.spec.nodeName, x.status.podIP]))).toEqual(
      podRows(lab.pods.map((x) => [x.name, x.node, x.ip!])),
    );
    expect(podnetRoutes(lab.nodes[0]!.netns)).toEqual(['10.244.2.0/24 via 192.168.1.12']);
    const report = await runCheck(lab, quiet);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a Node written to the API gets a route on every node; deleted, the route goes', async () => {
    const lab = readInventory(p)!;
    expect((await api('POST', '/api/v1/nodes', aNode('node9', '10.244.9.0/24', '192.168.1.19'))).code).toBe(201);
    const has9 = () => lab.nodes.every((n) => podnetRoutes(n.netns).includes('10.244.9.0/24 via 192.168.1.19'));
    await until(() => `routes: ${lab.nodes.map((n) => podnetRoutes(n.netns).join(', ')).join(' | ')}`, has9);
    expect((await api('DELETE', '/api/v1/nodes/node9')).code).toBe(200);
    const none9 = () => lab.nodes.every((n) => !podnetRoutes(n.netns).some((r) => r.startsWith('10.244.9.')));
    await until(() => `routes: ${lab.nodes.map((n) => podnetRoutes(n.netns).join(', ')).join(' | ')}`, none9);
  });

  it('lab pod and node add | del write the Pods and Nodes, and the routes follow', async () => {
    const pod = await podAdd(p, 'shop/cart-1', 'node2');
    const got = await api('GET', '/api/v1/namespaces/shop/pods/cart-1');
    expect([got.code, got.body.spec.nodeName, got.body.status.podIP]).toEqual([200, 'node2', pod.ip]);
    const node3 = await nodeAdd(p, undefined);
    expect((await api('GET', '/api/v1/nodes/node3')).body.spec.podCIDR).toBe('10.244.3.0/24');
    const lab = readInventory(p)!;
    for (const n of lab.nodes.filter((x) => x.name !== 'node3'))
      expect(podnetRoutes(n.netns)).toContain('10.244.3.0/24 via 192.168.1.13');
    expect((await runCheck(lab, quiet)).failures).toEqual([]);
    await podDel(p, 'shop/cart-1');
    expect((await api('GET', '/api/v1/namespaces/shop/pods/cart-1')).code).toBe(404);
    await nodeDel(p, node3.name);
    expect((await api('GET', '/api/v1/nodes/node3')).code).toBe(404);
    for (const n of readInventory(p)!.nodes)
      expect(podnetRoutes(n.netns)).not.toContain('10.244.3.0/24 via 192.168.1.13');
  });

  it('a watch that expires (410): the agents list again and follow the API', async () => {
    const lab = readInventory(p)!;
    process.kill(lab.kube!.api!.pid, 'SIGUSR1'); // the endpoint compacts: see serveApi
    await until(
      () => `the agents' watches of nodes answered 410 (api.log: ${readFileSync(kubeFiles(p).log, 'utf8')})`,
      () =>
        (readFileSync(kubeFiles(p).log, 'utf8').match(/a watch of nodes from version \d+ expired \(410\)/g) ?? [])
          .length >= 2,
    );
    // Listing again, they follow the API: a Node added now is routed everywhere.
    expect((await api('POST', '/api/v1/nodes', aNode('node7', '10.244.7.0/24', '192.168.1.17'))).code).toBe(201);
    await until(
      () => `routes: ${lab.nodes.map((n) => podnetRoutes(n.netns).join(', ')).join(' | ')}`,
      () => lab.nodes.every((n) => podnetRoutes(n.netns).includes('10.244.7.0/24 via 192.168.1.17')),
    );
    expect((await api('DELETE', '/api/v1/nodes/node7')).code).toBe(200);
  });

  it('an endpoint that dies: lab up restarts it with the Nodes and Pods, and the agents follow the new one', async () => {
    const before = readInventory(p)!;
    process.kill(before.kube!.api!.pid, 'SIGKILL'); // the lab started it: its recorded PID
    // A signal is delivered and acted on after kill() returns: wait until it has died.
    await until(
      () => `the endpoint (pid ${before.kube!.api!.pid}) to die`,
      () => !stillRunning(before.kube!.api),
    );
    const r = await labUp(p, flags, quiet);
    expect(r.rebuilt).toMatch(/restarted api/);
    expect((await api('GET', '/api/v1/nodes')).body.items).toHaveLength(2); // written again
    expect((await api('GET', '/api/v1/pods')).body.items).toHaveLength(2);
    // Their watches dropped: they list the new endpoint, and a Node added now is routed.
    expect((await api('POST', '/api/v1/nodes', aNode('node8', '10.244.8.0/24', '192.168.1.18'))).code).toBe(201);
    await until(
      () => `routes: ${before.nodes.map((n) => podnetRoutes(n.netns).join(', ')).join(' | ')}`,
      () => before.nodes.every((n) => podnetRoutes(n.netns).includes('10.244.8.0/24 via 192.168.1.18')),
    );
    expect((await runCheck(readInventory(p)!, quiet)).ok).toBe(true);
  });
});
