// KubernetesSource against a test API server that serves real Kubernetes bodies
// (test/fixtures/kubernetes/). Every wait is on a condition with a deadline, never a duration.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { healthyNode1 } from '../../test/fixtures/snapshots';
import { AgentPool } from '../agents/agent-pool';
import type { SourceInputs, AgentView } from './source';
import { KubernetesSource, type AgentPoolLike } from './kubernetes';
import { MergeMemo, mergeTopology } from '../topology/merge';
import {
  KubeApiServer,
  fixtureEvents,
  fixtureJson,
  writeKubeconfig,
  type KubeApiServerOptions,
  type KubeList,
  type TestKubeconfig,
} from '../../test/kube-api-server';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  opts: {
    server?: KubeApiServerOptions;
    agentPort?: number | null;
    agentSocketDir?: string;
    agentPool?: AgentPoolLike;
    agentToken?: string;
    token?: string;
  } = {},
) {
  const server = await KubeApiServer.start(opts.server);
  cleanups.push(() => server.close());
  const kubeconfig = writeKubeconfig(server, opts.token ? { token: opts.token } : {});
  cleanups.push(() => kubeconfig.remove());
  const source = new KubernetesSource({
    kubeconfig: kubeconfig.path,
    agentPort: opts.agentPort ?? null,
    ...(opts.agentSocketDir !== undefined ? { agentSocketDir: opts.agentSocketDir } : {}),
    agentToken: () => opts.agentToken ?? null,
    ...(opts.agentPool ? { agentPool: opts.agentPool } : {}),
  });
  cleanups.push(() => source.close());
  let changes = 0;
  await source.start(() => changes++);
  return { server, source, kubeconfig, changes: () => changes };
}

/** Polls until `probe` gives something truthy; fails with `what` and the last view. */
async function until<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  last?: () => unknown,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last?.() ?? null)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pod = (r: SourceInputs, name: string) => r.plane.pods.find((p) => p.name === name);
const watchOpen = (server: KubeApiServer, resource: 'nodes' | 'pods', n = 1) =>
  until(
    `${n} open ${resource} watch(es)`,
    () => server.openWatches(resource) >= n,
    () => server.openWatches(resource),
  );

describe('KubernetesSource lists', () => {
  it('gives the reference topology from the lists', async () => {
    const { server, source, kubeconfig } = await setup();
    const r = source.read();
    expect(r.info).toEqual({ source: 'kubernetes', name: kubeconfig.context, routing: 'host-gw', podNetwork: null });
    expect(r.plane.router).toBeNull();
    expect(r.plane.nodes).toEqual([
      { name: 'node1', ip: '192.168.1.11', podCIDR: '10.244.1.0/24', ready: true, conditions: [], agent: null },
      { name: 'node2', ip: '192.168.1.12', podCIDR: '10.244.2.0/24', ready: true, conditions: [], agent: null },
      { name: 'node3', ip: '192.168.1.13', podCIDR: '10.244.3.0/24', ready: true, conditions: [], agent: null },
    ]);
    expect(r.plane.pods).toHaveLength(11);
    expect(pod(r, 'coredns-5dd5756b68-2zrhr')).toMatchObject({
      namespace: 'kube-system',
      node: null,
      ip: null,
      phase: 'Pending',
    });
    expect(
      r.plane.pods
        .filter((p) => p.hostNetwork)
        .map((p) => `${p.node} ${p.ip}`)
        .sort(),
    ).toEqual(['node1 192.168.1.11', 'node1 192.168.1.11', 'node2 192.168.1.12', 'node3 192.168.1.13']);
    expect(pod(r, 'priv-pod')).toMatchObject({
      namespace: 'default',
      node: 'node3',
      ip: '10.244.3.2',
      hostNetwork: false,
    });
    expect(r.problems).toEqual([]);
    // agents off: every node has the "none" view since it was first seen
    expect([...r.agents.keys()]).toEqual(['node1', 'node2', 'node3']);
    expect(r.agents.get('node1')).toMatchObject({
      status: { address: null, state: 'none', error: null },
      snapshot: null,
    });
    expect(Number.isNaN(Date.parse(r.agents.get('node1')!.status.since))).toBe(false);
    expect(server.count('list', 'nodes')).toBe(1);
    expect(server.count('list', 'pods')).toBe(1);
    await watchOpen(server, 'pods');
    await watchOpen(server, 'nodes');
    // the watch starts where the list ended
    expect(server.watchQueries.map((q) => q.resourceVersion)).toEqual(['2100', '2100']);
  });

  it('gives podCIDR null for a node that has none', async () => {
    const nodes = fixtureJson<KubeList>('nodelist.reference.json');
    // variant: node3 has not been given a pod subnet yet
    delete nodes.items[2].spec.podCIDR;
    const { source } = await setup({ server: { nodes } });
    expect(source.read().plane.nodes.map((n) => n.podCIDR)).toEqual(['10.244.1.0/24', '10.244.2.0/24', null]);
  });

  it("routes host-gw when podnet's agents hold their routes, though no Node says so", async () => {
    const view = (ownedByPodnet: boolean): AgentView => ({
      status: { address: '192.168.1.11:9650', state: 'live', since: '2023-05-24T08:00:00Z', error: null },
      snapshot: { ...healthyNode1, routes: healthyNode1.routes.map((r) => ({ ...r, ownedByPodnet })) },
    });
    const nodes = fixtureJson<KubeList>('nodelist.reference.json');
    // variant: no flannel annotations (podnet's DaemonSet writes none)
    for (const n of nodes.items) delete n.metadata.annotations;
    for (const [owned, routing] of [
      [true, 'host-gw'],
      [false, 'unknown'],
    ] as const) {
      const views = new Map([['node1', view(owned)]]);
      const pool: AgentPoolLike = { sync: () => {}, views: () => views, close: () => {} };
      const { source } = await setup({ server: { nodes }, agentPort: 9650, agentPool: pool });
      expect(source.read().info.routing).toBe(routing);
    }
  });

  it('says why the kubeadm node is not ready, and its pods are Pending', async () => {
    const { source } = await setup({
      server: {
        nodes: fixtureJson('nodelist.kubeadm-1node-notready.as-captured.json'),
        pods: fixtureJson('podlist.kubeadm-1node-pending.as-captured.json'),
      },
    });
    const r = source.read();
    expect(r.info.routing).toBe('unknown');
    expect(r.plane.nodes).toEqual([
      {
        name: 'k8s-controller-01',
        ip: '192.168.1.105',
        podCIDR: '10.244.0.0/24',
        ready: false,
        conditions: [
          'Ready=False: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
        ],
        agent: null,
      },
    ]);
    expect(r.plane.pods.filter((p) => p.phase === 'Pending').map((p) => [p.node, p.ip])).toEqual([
      [null, null],
      [null, null],
    ]);
  });
});

describe('KubernetesSource watches', () => {
  it('follows the pod through the watch stream: Pending, scheduled, Running with an IP, deleted', async () => {
    const { server, source } = await setup();
    await watchOpen(server, 'pods');
    const [added, scheduled, creating, running, bookmark, deleted] = fixtureEvents('watch-pods.reference.jsonl');
    const nginx = () => pod(source.read(), 'nginx-app-o0kvl');

    server.emit('pods', added!);
    await until('the ADDED pod', () => nginx()?.phase === 'Pending' && nginx()!.node === null, nginx);
    server.emit('pods', scheduled!);
    await until('the pod on node3', () => nginx()?.node === 'node3', nginx);
    server.emit('pods', creating!);
    server.emit('pods', running!);
    await until('the Running pod', () => nginx()?.phase === 'Running', nginx);
    expect(nginx()).toEqual({
      namespace: 'default',
      name: 'nginx-app-o0kvl',
      node: 'node3',
      ip: '10.244.3.5',
      phase: 'Running',
      hostNetwork: false,
      labels: { run: 'nginx-app' },
      owner: 'ReplicationController/nginx-app',
    });
    expect(source.read().plane.pods).toHaveLength(12);

    server.emit('pods', bookmark!);
    server.emit('pods', deleted!);
    await until('the pod gone', () => !nginx(), nginx);
    expect(source.read().plane.pods).toHaveLength(11);
    // one list, one watch: all of it came over the stream
    expect(server.count('list', 'pods')).toBe(1);
    expect(server.count('watch', 'pods')).toBe(1);
    expect(source.read().problems).toEqual([]);
  });

  it('converts only the pod a watch event changed: every other ClusterPod and the nodes stay the same objects', async () => {
    const { server, source } = await setup();
    await watchOpen(server, 'pods');
    const before = source.read();
    const converted = source.stats.podsConverted;
    const memo = new MergeMemo();
    mergeTopology(before, false, memo);
    const [added, scheduled] = fixtureEvents('watch-pods.reference.jsonl');
    const nginx = () => pod(source.read(), 'nginx-app-o0kvl');

    server.emit('pods', added!);
    await until('the ADDED pod', () => nginx(), nginx);
    const after = source.read();
    expect(source.stats.podsConverted - converted).toBe(1);
    expect(after.plane.pods).toHaveLength(before.plane.pods.length + 1);
    for (const p of before.plane.pods) expect(after.plane.pods).toContain(p); // the same objects
    expect(after.plane.nodes).toBe(before.plane.nodes);
    const keys = after.plane.pods.map((p) => [p.namespace, p.name] as const);
    expect(keys).toEqual(keys.slice().sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1])));
    mergeTopology(after, false, memo);
    expect(memo.stats.lastBuilt).toEqual(['(unscheduled)']); // the pending pod's part, no node's

    server.emit('pods', scheduled!);
    await until('the pod on node3', () => nginx()?.node === 'node3', nginx);
    const third = source.read();
    expect(source.stats.podsConverted - converted).toBe(2);
    for (const p of after.plane.pods) if (p.name !== 'nginx-app-o0kvl') expect(third.plane.pods).toContain(p);
    mergeTopology(third, false, memo);
    expect(memo.stats.lastBuilt.sort()).toEqual(['(unscheduled)', 'node3']);
  });

  it('takes a BOOKMARK as a new resourceVersion only', async () => {
    const { server, source, changes } = await setup();
    await watchOpen(server, 'pods');
    const before = source.read().plane;
    const changesBefore = changes();
    // as captured: RV 3845, an object with no name, containers: null
    server.emit('pods', fixtureEvents('watch-bookmark.as-captured.jsonl')[0]!);
    // a clean end of the watch (the apiserver's timeout): the source watches again from the bookmark
    server.endWatches('pods');
    await until(
      'a watch from the bookmark',
      () => server.watchQueries.some((q) => q.resource === 'pods' && q.resourceVersion === '3845'),
      () => server.watchQueries,
    );
    expect(source.read().plane).toEqual(before);
    expect(changes()).toBe(changesBefore);
    expect(server.count('list', 'pods')).toBe(1);
  });

  it('re-lists and re-watches after a dropped watch, and shows what changed meanwhile', async () => {
    const { server, source } = await setup();
    await watchOpen(server, 'pods');
    await watchOpen(server, 'nodes');
    const before = source.read().plane.pods;
    const converted = source.stats.podsConverted;
    server.dropWatches('pods');
    // while no watch is open: the list changes (the pod from the watch fixture, Running)
    server.emit('pods', fixtureEvents('watch-pods.reference.jsonl')[3]!);
    await until(
      'the pod that came while the watch was down',
      () => pod(source.read(), 'nginx-app-o0kvl')?.ip === '10.244.3.5',
    );
    expect(server.count('list', 'pods')).toBe(2);
    // the new list converts the new pod only: the others are at the resourceVersion they were
    expect(source.stats.podsConverted - converted).toBe(1);
    for (const p of before) expect(source.read().plane.pods).toContain(p);
    await until('a second pods watch', () => server.count('watch', 'pods') === 2 && server.openWatches('pods') === 1);
    // from the new list's resourceVersion
    expect(server.watchQueries.filter((q) => q.resource === 'pods').map((q) => q.resourceVersion)).toEqual([
      '2100',
      '2104',
    ]);
    // the nodes' watch was not touched
    expect(server.count('list', 'nodes')).toBe(1);
    expect(server.count('watch', 'nodes')).toBe(1);
  });

  it('re-lists after an ERROR 410 Expired on the watch', async () => {
    const { server, source } = await setup();
    await watchOpen(server, 'pods');
    // the next watch (from RV 2100) is answered "too old resource version: 2100 (2106)"
    server.failNextWatch('pods', fixtureEvents('watch-pods-expired.reference.jsonl'));
    server.emit('pods', fixtureEvents('watch-pods.reference.jsonl')[0]!);
    await until('the ADDED pod', () => pod(source.read(), 'nginx-app-o0kvl'));
    server.lists.pods.items = server.lists.pods.items.filter((p) => p.metadata.name !== 'nginx-app-o0kvl');
    server.endWatches('pods');
    // the re-watch fails with 410: the source lists again, and the list no longer has the pod
    await until('a re-list after the 410', () => server.count('list', 'pods') === 2);
    await until('the pod gone with the re-list', () => !pod(source.read(), 'nginx-app-o0kvl'));
    await until(
      'a watch after the re-list',
      () => server.count('watch', 'pods') === 3 && server.openWatches('pods') === 1,
    );
    expect(source.read().problems).toEqual([]);

    // an ERROR on an open stream (both captured wordings), then the server closes it
    for (const error of fixtureEvents('watch-error-410-expired.as-captured.jsonl')) server.emit('pods', error);
    server.endWatches('pods');
    await until('a re-list after the captured 410s', () => server.count('list', 'pods') === 3);
    expect(source.read().problems).toEqual([]);
  });
});

describe('KubernetesSource problems', () => {
  it('says what a 403 forbids and keeps the last view, until the API answers again', async () => {
    const { server, source } = await setup();
    await watchOpen(server, 'pods');
    server.failLists(fixtureJson('status-403-forbidden-list-pods-cluster.reference.json'));
    server.dropWatches('pods');
    const [problem] = await until('a problem', () => (source.read().problems.length ? source.read().problems : null));
    expect(problem).toContain('cannot list pods');
    expect(problem).toContain('403 Forbidden');
    expect(problem).toContain('User "system:serviceaccount:default:default" cannot list resource "pods"');
    expect(problem).toContain('needs list and watch on pods cluster-wide: deploy/rbac.yaml');
    expect(source.read().problems).toHaveLength(1);
    // the last good view stays
    expect(source.read().plane.pods).toHaveLength(11);
    expect(source.read().plane.nodes).toHaveLength(3);

    server.failLists(null);
    await until(
      'the problem cleared',
      () => source.read().problems.length === 0,
      () => source.read().problems,
    );
    expect(source.read().plane.pods).toHaveLength(11);
    await watchOpen(server, 'pods');
  });

  it('says the credentials were refused on a 401', async () => {
    const { source } = await setup({ token: 'not-the-token' });
    const r = source.read();
    expect(r.plane.nodes).toEqual([]);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toContain('cannot list nodes');
    expect(r.problems[0]).toContain('401 Unauthorized');
    expect(r.problems[0]).toContain('credentials');
  });

  it('says the API is unreachable, and close() ends the retries', async () => {
    const server = await KubeApiServer.start();
    const kubeconfig = writeKubeconfig(server);
    cleanups.push(() => kubeconfig.remove());
    await server.close(); // nothing listens at that port now
    const source = new KubernetesSource({ kubeconfig: kubeconfig.path, agentPort: null, agentToken: () => null });
    await source.start(() => {});
    expect(source.read().problems[0]).toMatch(
      /cannot list nodes at http:\/\/127\.0\.0\.1:\d+: the API server is unreachable \(ECONNREFUSED/,
    );
    await source.close();
  });
});

describe('KubernetesSource reads each object with its schema', () => {
  it('skips a malformed Pod and Node from the lists and names them; the rest comes through', async () => {
    const nodes = fixtureJson<KubeList>('nodelist.reference.json');
    const pods = fixtureJson<KubeList>('podlist.reference.json');
    // variants: node3's addresses as one string (not a list of addresses)
    nodes.items[2].status.addresses = '192.168.1.13';
    const priv = pods.items.find((p) => p.metadata.name === 'priv-pod');
    const coredns = pods.items.find((p) => p.metadata.name === 'coredns-5d78c9869d-6tjpv');
    // a garbage podIP; and a field podnet does not read changed shape, as a newer API might
    // (the generated client's deserializer throws on the whole list for this one)
    priv.status.podIP = '10.244.3.2; rm -rf /';
    coredns.spec.containers = { name: 'coredns' };
    const { source } = await setup({ server: { nodes, pods } });
    const r = source.read();
    expect(r.plane.nodes.map((n) => n.name)).toEqual(['node1', 'node2']);
    expect(r.plane.pods).toHaveLength(10);
    expect(pod(r, 'priv-pod')).toBeUndefined();
    expect(pod(r, 'coredns-5d78c9869d-6tjpv')).toMatchObject({ node: 'node1', ip: '10.244.1.3' });
    expect(r.problems).toEqual([
      '1 node from the API is not shown, not being what podnet reads: node3 (status.addresses: Invalid input: expected array, received string)',
      '1 pod from the API is not shown, not being what podnet reads: default/priv-pod (status.podIP: "10.244.3.2; rm -rf /" is not an IP address)',
    ]);
  });

  it('a watch event with a malformed object: that object only is dropped and named, until it comes right', async () => {
    const { server, source } = await setup();
    await watchOpen(server, 'pods');
    const [, , , running, , deleted] = fixtureEvents('watch-pods.reference.jsonl');
    server.emit('pods', running!);
    await until('the Running pod', () => pod(source.read(), 'nginx-app-o0kvl')?.ip === '10.244.3.5');
    // variant of the Running event: a podIP that is not an address
    const broken = JSON.parse(JSON.stringify(running)) as typeof running & { object: { status: { podIP: unknown } } };
    broken.object.status.podIP = 'ten.two.four.four';
    broken.object.metadata.resourceVersion = '2105';
    server.emit('pods', broken);
    await until(
      'the broken pod named',
      () => source.read().problems.length === 1,
      () => source.read().problems,
    );
    expect(source.read().problems[0]).toBe(
      '1 pod from the API is not shown, not being what podnet reads: default/nginx-app-o0kvl (status.podIP: "ten.two.four.four" is not an IP address)',
    );
    expect(pod(source.read(), 'nginx-app-o0kvl')).toBeUndefined();
    // the rest of the list, and the watch, go on
    expect(source.read().plane.pods).toHaveLength(11);
    server.emit('pods', {
      ...running!,
      object: { ...running!.object, metadata: { ...running!.object.metadata, resourceVersion: '2106' } },
    });
    await until('the pod back', () => pod(source.read(), 'nginx-app-o0kvl')?.ip === '10.244.3.5');
    expect(source.read().problems).toEqual([]);
    // deleted while broken: the warning goes with it
    server.emit('pods', broken);
    await until('the broken pod named again', () => source.read().problems.length === 1);
    server.emit('pods', deleted!);
    await until(
      'the warning gone with the pod',
      () => source.read().problems.length === 0,
      () => source.read().problems,
    );
    expect(server.count('watch', 'pods')).toBe(1);
  });
});

describe('KubernetesSource agents', () => {
  it('gives the pool each node agent address, again when an address changes, and shows its views', async () => {
    const synced: Array<Map<string, string | null>> = [];
    const views = new Map<string, AgentView>([
      [
        'node1',
        {
          status: { address: '192.168.1.11:9650', state: 'live', since: '2023-05-24T08:00:00Z', error: null },
          snapshot: null,
        },
      ],
    ]);
    let closed = false;
    const pool: AgentPoolLike = {
      sync: (t) => synced.push(new Map(t)),
      views: () => views,
      close: () => void (closed = true),
    };
    const { server, source } = await setup({ agentPort: 9650, agentPool: pool });
    expect(synced).toEqual([
      new Map([
        ['node1', '192.168.1.11:9650'],
        ['node2', '192.168.1.12:9650'],
        ['node3', '192.168.1.13:9650'],
      ]),
    ]);
    expect(source.read().agents).toBe(views);
    expect(source.read().plane.nodes[0]!.agent).toBe('192.168.1.11:9650');
    await watchOpen(server, 'pods');
    await watchOpen(server, 'nodes');

    // a pod event does not touch the agents
    server.emit('pods', fixtureEvents('watch-pods.reference.jsonl')[0]!);
    await until('the ADDED pod', () => pod(source.read(), 'nginx-app-o0kvl'));
    expect(synced).toHaveLength(1);

    const node3 = fixtureJson<KubeList>('nodelist.reference.json').items[2];
    // variant: node3 moved to another address (its InternalIP changed), at a later RV
    node3.status.addresses[0].address = '192.168.1.23';
    node3.metadata.resourceVersion = '2110';
    // the envelope of watch-pods.reference.jsonl's MODIFIED events, around the fixture node
    server.emit('nodes', { type: 'MODIFIED', object: node3 });
    await until(
      'a second sync',
      () => synced.length === 2,
      () => synced.length,
    );
    expect(synced[1]!.get('node3')).toBe('192.168.1.23:9650');
    await source.close();
    expect(closed).toBe(true);
  });
});

/** A directory for agent sockets, removed after the test. */
function socketDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-k8s-sock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pool that records what it is given, and shows no views. */
function recordingPool() {
  const synced: Array<Map<string, string | null>> = [];
  const pool: AgentPoolLike = { sync: (t) => synced.push(new Map(t)), views: () => new Map(), close: () => {} };
  return { pool, synced };
}

describe('KubernetesSource agents on unix sockets (agentSocketDir)', () => {
  it('gives the pool unix:DIR/<node>/agent.sock for every node, whatever its InternalIP and the port', async () => {
    const dir = socketDir();
    const { pool, synced } = recordingPool();
    const { source } = await setup({ agentPort: 9650, agentSocketDir: `${dir}/`, agentPool: pool });
    const expected = new Map(['node1', 'node2', 'node3'].map((n) => [n, `unix:${dir}/${n}/agent.sock`]));
    expect(synced).toEqual([expected]);
    expect(source.read().plane.nodes.map((n) => [n.name, n.agent, n.conditions])).toEqual(
      [...expected].map(([n, a]) => [n, a, []]),
    );
  });

  it("reaches the agent on DIR/node1/agent.sock with the agents' token, and shows its snapshot", async () => {
    const dir = socketDir();
    mkdirSync(join(dir, 'node1'));
    const asked: Array<{ path: string | undefined; authorization: string | undefined }> = [];
    const agent = createServer((req, res) => {
      asked.push({ path: req.url, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: snapshot\nid: boot:1\ndata: ${JSON.stringify({ seq: 1, snapshot: healthyNode1 })}\n\n`);
    });
    await new Promise<void>((r) => agent.listen(join(dir, 'node1', 'agent.sock'), r));
    cleanups.push(async () => {
      agent.closeAllConnections();
      await new Promise((r) => agent.close(r));
    });
    const token = 'a-token-of-sixteen';
    // the pool the server builds (server/cluster.ts), reading the agents' token
    const pool = new AgentPool(
      () => token,
      () => {},
    );
    const { source } = await setup({ agentSocketDir: dir, agentPool: pool, agentToken: token });
    const view = (node: string) => source.read().agents.get(node);
    await until(
      "node1's agent live",
      () => view('node1')?.status.state === 'live' && view('node1')!.snapshot,
      () => view('node1')?.status,
    );
    expect(view('node1')).toEqual({
      status: { address: `unix:${dir}/node1/agent.sock`, state: 'live', since: expect.any(String), error: null },
      snapshot: healthyNode1,
    });
    expect(asked[0]).toEqual({ path: '/v1/events', authorization: `Bearer ${token}` });
    // node2 has no socket: its agent is looked for there, and nowhere else
    await until(
      "node2's agent unreachable",
      () => view('node2')?.status.state === 'unreachable',
      () => view('node2')?.status,
    );
    expect(view('node2')!.status.address).toBe(`unix:${dir}/node2/agent.sock`);
    expect(view('node2')!.status.error).toContain(`${dir}/node2/agent.sock`);
  });

  it('gives no agent to a node whose name is not a DNS-1123 subdomain, and says why', async () => {
    const dir = socketDir();
    const nodes = fixtureJson<KubeList>('nodelist.reference.json');
    const [node1] = nodes.items;
    const named = (name: string) => ({ ...structuredClone(node1), metadata: { ...node1.metadata, name } });
    // variants: names no API server would store, but which the JSON can carry
    const bad = [
      '../x',
      '..',
      '.',
      'node1/../../etc',
      'a..b',
      'Node4',
      '-node',
      'node-',
      `${'a'.repeat(64)}.example`,
      'x'.repeat(254),
      'node 5',
      'node\n5',
    ];
    // a valid name whose socket path is longer than a unix socket address can be
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    nodes.items = [...nodes.items, ...bad.map(named), named(long), named('node-4.example.com')];
    const { pool, synced } = recordingPool();
    const { source } = await setup({ server: { nodes }, agentSocketDir: dir, agentPool: pool });
    const given = synced.at(-1)!;
    for (const name of bad) expect(given.get(name), name).toBeNull();
    expect(given.get(long)).toBeNull();
    expect(given.get('node-4.example.com')).toBe(`unix:${dir}/node-4.example.com/agent.sock`);
    expect(given.get('node1')).toBe(`unix:${dir}/node1/agent.sock`);
    expect(given.size).toBe(3 + bad.length + 2);

    const node = (name: string) => source.read().plane.nodes.find((n) => n.name === name)!;
    expect(node('../x')).toMatchObject({
      agent: null,
      // the rest of the node is still shown
      ip: '192.168.1.11',
      conditions: [
        'refused by podnet: node name "../x" is not a DNS-1123 subdomain (lowercase letters, digits, "-" and "."), so it names no agent socket',
      ],
    });
    for (const name of bad)
      expect(node(name).conditions, name).toEqual([
        expect.stringMatching(/^refused by podnet: node name .* is not a DNS-1123 subdomain/),
      ]);
    expect(node(long).conditions).toEqual([
      expect.stringMatching(
        /^refused by podnet: its agent socket .* is longer than a unix socket address can be \(107 bytes\)$/,
      ),
    ]);
    expect(node('node-4.example.com').conditions).toEqual([]);
  });

  it('refuses an agentSocketDir that is not absolute', () => {
    expect(
      () => new KubernetesSource({ agentPort: null, agentSocketDir: 'run/podnet', agentToken: () => null }),
    ).toThrow('agentSocketDir must be an absolute path, such as /run/podnet/nodes; got "run/podnet"');
  });
});

describe('KubernetesSource close', () => {
  it('leaves no sockets or timers behind', async () => {
    const handles = () => {
      const all = process.getActiveResourcesInfo();
      return {
        sockets: all.filter((r) => r === 'TCPSocketWrap').length,
        timers: all.filter((r) => r === 'Timeout').length,
      };
    };
    const server = await KubeApiServer.start();
    cleanups.push(() => server.close());
    const kubeconfig: TestKubeconfig = writeKubeconfig(server);
    cleanups.push(() => kubeconfig.remove());
    const before = handles();
    const source = new KubernetesSource({ kubeconfig: kubeconfig.path, agentPort: null, agentToken: () => null });
    await source.start(() => {});
    await watchOpen(server, 'pods');
    await watchOpen(server, 'nodes');
    server.dropWatches('pods'); // so that a re-list and its back-off are under way too
    // not awaited first: the watches must end because of close(), not because of the
    // client's 30 s idle timer
    const closing = source.close();
    await until('no connection left at the server', async () => (await server.connections()) === 0);
    await closing;
    // (the test runner's own timers come and go: no more than before is what counts)
    await until(
      'no more sockets and timers than before',
      () => handles().sockets <= before.sockets && handles().timers <= before.timers,
      handles,
    );
    expect(server.openWatches()).toBe(0);
  });
});
