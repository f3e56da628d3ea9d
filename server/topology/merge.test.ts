// The merge of the control plane's view and the agents' views, on inputs named after
// what they show. Each variant spreads the healthy base and changes one thing.
import { describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '../../lib/model/snapshot';
import type { ClusterNode, ClusterPod, Topology } from '../../lib/model/topology';
import { diffStats, diffTopology } from '../../lib/model/diff';
import { SyntheticSource } from '../sources/synthetic';
import { healthyNode1, podVethDown } from '../../test/fixtures/snapshots';
import type { AgentView, SourceInputs } from '../sources/source';
import { MergeMemo, mergeTopology } from './merge';

const node1: ClusterNode = {
  name: 'node1',
  ip: '192.168.1.11',
  podCIDR: '10.244.1.0/24',
  ready: true,
  conditions: [],
  agent: '192.168.1.11:9650',
};
const node2: ClusterNode = {
  ...node1,
  name: 'node2',
  ip: '192.168.1.12',
  podCIDR: '10.244.2.0/24',
  agent: '192.168.1.12:9650',
};
const web1: ClusterPod = {
  namespace: 'default',
  name: 'web-1',
  node: 'node1',
  ip: '10.244.1.2',
  phase: 'Running',
  hostNetwork: false,
  labels: { app: 'web' },
  owner: 'ReplicaSet/web-5d4f',
};

const live = (snapshot: NodeSnapshot, address = '192.168.1.11:9650'): AgentView => ({
  status: { address, state: 'live', since: '2026-11-26T00:00:00.000Z', error: null },
  snapshot,
});
const node2Snapshot: NodeSnapshot = {
  ...healthyNode1,
  node: { ...healthyNode1.node, name: 'node2', podCIDR: '10.244.2.0/24', gateway: '10.244.2.1' },
  pods: [],
  routes: [
    { dst: '10.244.1.0/24', gateway: '192.168.1.11', dev: 'eth0', protocol: '151', scope: null, ownedByPodnet: true },
  ],
};

const healthyCluster: SourceInputs = {
  info: { source: 'kubernetes', name: 'test', routing: 'host-gw', podNetwork: null },
  plane: { nodes: [node1, node2], pods: [web1], router: null },
  agents: new Map([
    ['node1', live(healthyNode1)],
    ['node2', live(node2Snapshot, '192.168.1.12:9650')],
  ]),
  problems: [],
};
const withPods = (pods: ClusterPod[]): SourceInputs => ({
  ...healthyCluster,
  plane: { ...healthyCluster.plane, pods },
});
const withAgent = (node: string, view: AgentView): SourceInputs => ({
  ...healthyCluster,
  agents: new Map([...healthyCluster.agents, [node, view]]),
});

const podRunsOnNode1WithoutVeth = withPods([web1, { ...web1, name: 'web-2', ip: '10.244.1.3' }]);
const podIpDiffersFromVeth = withPods([{ ...web1, ip: '10.244.1.7' }]);
const pendingPodWithoutVeth = withPods([web1, { ...web1, name: 'web-3', node: 'node1', ip: null, phase: 'Pending' }]);
const hostNetworkPod = withPods([
  web1,
  { ...web1, namespace: 'kube-system', name: 'kube-proxy-x', ip: '192.168.1.11', hostNetwork: true },
]);
const attachmentUnknownToApi = withPods([]);
const node2AgentUnreachable = withAgent('node2', {
  status: {
    address: '192.168.1.12:9650',
    state: 'unreachable',
    since: '2026-11-26T02:13:05.000Z',
    error: 'connect ECONNREFUSED',
  },
  snapshot: null,
});
const node1VethDown = withAgent('node1', live(podVethDown));

describe('mergeTopology', () => {
  it('a healthy cluster: pods joined to their veths, no findings, routes between nodes', () => {
    const t = mergeTopology(healthyCluster, false);
    expect(t.findings).toEqual([]);
    expect(t.nodes.map((n) => [n.name, n.health, n.bridge?.name, n.bridge?.addresses])).toEqual([
      ['node1', 'healthy', 'v-net-0', ['10.244.1.1/24']],
      ['node2', 'healthy', 'v-net-0', ['10.244.1.1/24']],
    ]);
    const pod = t.pods[0]!;
    expect(pod).toMatchObject({
      key: 'default/web-1',
      node: 'node1',
      ip: '10.244.1.2',
      veth: { host: 'veth0000000000a', up: true, ifname: 'eth0' },
      seenBy: { api: true, agent: true },
      health: 'healthy',
      owner: 'ReplicaSet/web-5d4f',
    });
    expect(t.routes.map((r) => [r.from, r.to, r.dst, r.via, r.ownedByPodnet])).toEqual([
      ['node1', 'node2', '10.244.2.0/24', '192.168.1.12', true],
      ['node2', 'node1', '10.244.1.0/24', '192.168.1.11', true],
    ]);
    expect(t.cluster.readOnly).toBe(false);
  });

  it('a running pod the API puts on node1 without a veth there is a finding on that pod', () => {
    const t = mergeTopology(podRunsOnNode1WithoutVeth, false);
    expect(t.findings.map((f) => [f.id, f.node, f.pod, f.severity])).toEqual([
      ['node1/pod-no-veth:default/web-2', 'node1', 'default/web-2', 'error'],
    ]);
    expect(t.findings[0]!.message).toContain('10.244.1.3');
    expect(t.pods.find((p) => p.name === 'web-2')).toMatchObject({
      health: 'finding',
      veth: null,
      seenBy: { api: true, agent: false },
    });
    expect(t.nodes[0]).toMatchObject({ health: 'finding', findingCount: 1 });
  });

  it('an API IP that differs from the one on the veth is a finding naming both', () => {
    const t = mergeTopology(podIpDiffersFromVeth, false);
    expect(t.findings).toHaveLength(1);
    expect(t.findings[0]).toMatchObject({
      id: 'node1/pod-ip-mismatch:default/web-1',
      expected: '10.244.1.7',
      actual: '10.244.1.2',
    });
    expect(t.pods[0]).toMatchObject({ ip: '10.244.1.7', agentIp: '10.244.1.2', health: 'finding' });
  });

  it('a pending pod and a hostNetwork pod need no veth', () => {
    expect(mergeTopology(pendingPodWithoutVeth, false).findings).toEqual([]);
    const t = mergeTopology(hostNetworkPod, false);
    expect(t.findings).toEqual([]);
    expect(t.pods.find((p) => p.hostNetwork)).toMatchObject({ veth: null, health: 'healthy' });
  });

  it('an attachment the API does not list is shown, as a warning', () => {
    const t = mergeTopology(attachmentUnknownToApi, false);
    expect(t.pods.map((p) => [p.key, p.seenBy])).toEqual([['default/web-1', { api: false, agent: true }]]);
    expect(t.findings.map((f) => [f.id, f.severity])).toEqual([['node1/pod-unknown:default/web-1', 'warning']]);
  });

  it('an unreachable agent greys its node and pods, and says since when and why', () => {
    const t = mergeTopology(node2AgentUnreachable, false);
    expect(t.nodes.find((n) => n.name === 'node2')).toMatchObject({
      health: 'unreachable',
      bridge: null,
      ipForward: null,
    });
    const f = t.findings.find((x) => x.id === 'node2/agent-unreachable')!;
    expect(f.message).toContain('2026-11-26T02:13:05.000Z');
    expect(f.actual).toBe('connect ECONNREFUSED');
    // the fix speaks the source's language: on a cluster, the DaemonSet's pod on that node
    expect(f.fix).toBe(
      'kubectl -n podnet-system get pods -o wide --field-selector spec.nodeName=node2: is its podnet-node pod running? Then kubectl logs that pod -c agent',
    );
    const inLab = mergeTopology(
      { ...node2AgentUnreachable, info: { ...node2AgentUnreachable.info, source: 'lab' } },
      false,
    );
    expect(inLab.findings.find((x) => x.id === 'node2/agent-unreachable')!.fix).toBe(
      "podnet lab up restarts the lab's agents (a node outside the lab has none)",
    );
    // node1's view still stands: one node's agent being down breaks nothing else
    expect(t.nodes.find((n) => n.name === 'node1')!.health).toBe('healthy');
    expect(t.routes.map((r) => r.from)).toEqual(['node1']);
  });

  it("the agent's own findings are kept, scoped to the node, and tied to the pod behind the veth", () => {
    const t = mergeTopology(node1VethDown, false);
    const f = t.findings.find((x) => x.id === 'node1/veth-down:veth0000000000a');
    // podVethDown only changes the link; the agent's findings would come from agent/findings.ts
    expect(f).toBeUndefined();
    const withFinding = withAgent(
      'node1',
      live({
        ...podVethDown,
        findings: [
          {
            id: 'veth-down:veth0000000000a',
            severity: 'error',
            object: 'veth veth0000000000a (default/web-1)',
            message: 'the veth of default/web-1 is down',
            expected: 'up',
            actual: 'down',
            fix: 'ip link set veth0000000000a up',
          },
        ],
      }),
    );
    const t2 = mergeTopology(withFinding, false);
    expect(t2.findings.map((x) => [x.id, x.node, x.pod, x.source])).toEqual([
      ['node1/veth-down:veth0000000000a', 'node1', 'default/web-1', 'agent'],
    ]);
    expect(t2.pods[0]).toMatchObject({ health: 'finding', veth: { up: false } });
  });

  it('router mode: the router carries each node subnet to the node', () => {
    const t = mergeTopology(
      { ...healthyCluster, plane: { ...healthyCluster.plane, router: { ip: '192.168.1.1' } } },
      true,
    );
    expect(t.routes.filter((r) => r.from === 'router').map((r) => [r.to, r.dst, r.via])).toEqual([
      ['node1', '10.244.1.0/24', '192.168.1.11'],
      ['node2', '10.244.2.0/24', '192.168.1.12'],
    ]);
    expect(t.cluster.readOnly).toBe(true);
  });

  it("a route's node is the first whose subnet contains its destination, exact subnet or not", () => {
    // wide (first) holds 10.0.0.0/16, which contains narrow's 10.0.1.0/24: the first node in
    // order whose subnet contains a destination owns it, even one that is exactly narrow's
    const wide: ClusterNode = { ...node1, name: 'wide', podCIDR: '10.0.0.0/16' };
    const narrow: ClusterNode = { ...node2, name: 'narrow', podCIDR: '10.0.1.0/24' };
    const other: ClusterNode = { ...node2, name: 'other', ip: '192.168.1.13', podCIDR: '10.9.0.0/24' };
    const route = (dst: string) => ({
      dst,
      gateway: '192.168.1.11',
      dev: 'eth0',
      protocol: '151',
      scope: null,
      ownedByPodnet: true,
    });
    const snap: NodeSnapshot = {
      ...node2Snapshot,
      routes: [
        route('10.0.1.0/24'), // exactly narrow's subnet, inside wide's
        route('10.0.1.7/24'), // the same subnet, not canonical
        route('10.9.0.0/24'), // other's own: not cross-node
        route('10.9.0.128/25'), // inside other's: not cross-node
        route('10.0.3.0/25'), // inside wide's only, not any node's subnet
        route('10.0.1.9'), // a host inside both
        route('10.0.0.0/8'), // contains every subnet: inside none
        route('not-a-cidr'),
      ],
    };
    const topo = (nodes: ClusterNode[]) =>
      mergeTopology(
        {
          ...healthyCluster,
          plane: { nodes, pods: [], router: null },
          agents: new Map([['other', live(snap, '192.168.1.13:9650')]]),
        },
        false,
      ).routes.map((r) => [r.dst, r.to]);
    expect(topo([wide, narrow, other])).toEqual([
      ['10.0.1.0/24', 'wide'],
      ['10.0.1.7/24', 'wide'],
      ['10.0.3.0/25', 'wide'],
      ['10.0.1.9', 'wide'],
    ]);
    expect(topo([narrow, wide, other])).toEqual([
      ['10.0.1.0/24', 'narrow'],
      ['10.0.1.7/24', 'narrow'],
      ['10.0.3.0/25', 'wide'],
      ['10.0.1.9', 'narrow'],
    ]);
  });

  it('a node without podCIDR and a not-ready node are findings', () => {
    const t = mergeTopology(
      {
        ...healthyCluster,
        plane: {
          ...healthyCluster.plane,
          nodes: [
            { ...node1, podCIDR: null },
            { ...node2, ready: false, conditions: ['Ready=False: container runtime network not ready'] },
          ],
        },
      },
      false,
    );
    expect(t.findings.map((f) => f.id).sort()).toEqual(['node1/node-no-podcidr', 'node2/node-not-ready']);
  });
});

describe('mergeTopology with a memo', () => {
  it('gives the same topology as without one, and reuses what did not change', () => {
    const memo = new MergeMemo();
    const first = mergeTopology(healthyCluster, false, memo);
    expect(first).toEqual(mergeTopology(healthyCluster, false));
    const again = mergeTopology(healthyCluster, false, memo);
    expect(again.pods[0]).toBe(first.pods[0]);
    expect(again.nodes[1]).toBe(first.nodes[1]);
    // node1's agent reports the veth down: node1 and its pod change, node2 does not
    const changed = withAgent(
      'node1',
      live({
        ...podVethDown,
        findings: [
          {
            id: 'veth-down:veth0000000000a',
            severity: 'error',
            object: 'veth',
            message: 'down',
            expected: 'up',
            actual: 'down',
            fix: null,
          },
        ],
      }),
    );
    const after = mergeTopology(changed, false, memo);
    expect(after).toEqual(mergeTopology(changed, false));
    expect(after.pods[0]).not.toBe(first.pods[0]);
    expect(after.pods[0]!.health).toBe('finding');
    expect(first.pods[0]!.health).toBe('healthy'); // the earlier topology is left as it was
    expect(after.nodes[1]).toBe(first.nodes[1]);
  });
});

describe('mergeTopology per node (a memo on a large synthetic cluster)', () => {
  const START = new Date('2026-12-01T00:00:00Z');
  /** the topology as JSON, without the parts the merge registers beside it */
  const plain = (t: Topology): Topology => JSON.parse(JSON.stringify(t)) as Topology;

  it('a pod added on one node rebuilds that node only: every other TopoPod, TopoRoute, finding list and TopoNode is the same object', () => {
    const source = new SyntheticSource('40x2000', { startedAt: START, churnMs: null });
    const memo = new MergeMemo();
    const before = mergeTopology(source.read(), false, memo);
    expect(memo.stats.partsBuilt).toBe(40);
    const builtBefore = memo.stats.partsBuilt;

    const key = source.addPod('node7', { name: 'late-1' });
    const after = mergeTopology(source.read(), false, memo);
    expect(memo.stats.partsBuilt - builtBefore).toBe(1);
    expect(memo.stats.lastBuilt).toEqual(['node7']);
    expect(after).toEqual(mergeTopology(source.read(), false)); // as without a memo

    const old = new Map(before.pods.map((p) => [p.key, p]));
    for (const p of after.pods) if (p.key !== key) expect(p).toBe(old.get(p.key));
    expect(after.pods).toHaveLength(before.pods.length + 1);
    // node7's snapshot is new, its route table the same list: no route is rebuilt
    after.routes.forEach((r, i) => expect(r).toBe(before.routes[i]));
    after.nodes.forEach((n, i) =>
      n.name === 'node7' ? expect(n).toEqual(before.nodes[i]) : expect(n).toBe(before.nodes[i]),
    );

    // the diff looks at node7's part only, and says what the whole diff says
    const parted = diffStats.parted;
    const changes = diffTopology(before, after);
    expect(diffStats.parted - parted).toBe(1);
    expect(changes).toEqual(diffTopology(plain(before), plain(after)));
    expect(changes.filter((c) => c.collection !== 'cluster').map((c) => `${c.collection} ${c.op} ${c.key}`)).toEqual([
      `pods added ${key}`,
    ]);

    // nothing changed: the same topology
    expect(mergeTopology(source.read(), false, memo)).toBe(after);
    expect(memo.stats.lastBuilt).toEqual([]);

    // a pod removed from node3 and one added on node9 in one merge: two parts, the diff in list order
    expect(source.removePod('web/pod-43')).toBe(true);
    const added = source.addPod('node9', { name: 'late-2' });
    const third = mergeTopology(source.read(), false, memo);
    expect(memo.stats.lastBuilt).toEqual(['node3', 'node9']);
    expect(third).toEqual(mergeTopology(source.read(), false));
    const changes2 = diffTopology(after, third);
    expect(changes2).toEqual(diffTopology(plain(after), plain(third)));
    expect(changes2.filter((c) => c.collection === 'pods').map((c) => `${c.op} ${c.key}`)).toEqual([
      `added ${added}`,
      'removed web/pod-43',
    ]);
  });

  it("a finding on one node that names a pod on another changes that pod's health, and only its part", () => {
    const memo = new MergeMemo();
    const first = mergeTopology(healthyCluster, false, memo);
    expect(first.pods[0]!.health).toBe('healthy');
    // node2's agent holds an attachment for default/web-1, which the API runs on node1
    const stray = { ...healthyNode1.pods[0]!, hostVeth: 'vethstray0000a' };
    const strayOnNode2 = withAgent('node2', live({ ...node2Snapshot, pods: [stray] }, '192.168.1.12:9650'));
    const t = mergeTopology(strayOnNode2, false, memo);
    expect(memo.stats.lastBuilt).toEqual(['node2']);
    expect(memo.stats.healthRefreshed).toBe(1);
    expect(t).toEqual(mergeTopology(strayOnNode2, false));
    expect(t.pods.find((p) => p.key === 'default/web-1' && p.node === 'node1')!.health).toBe('finding');
    // and back
    const again = mergeTopology(healthyCluster, false, memo);
    expect(again).toEqual(mergeTopology(healthyCluster, false));
    expect(again.pods[0]!.health).toBe('healthy');
    // two parts now hold default/web-1: the diff takes the whole list for the pods, and is the same
    expect(diffTopology(again, t)).toEqual(diffTopology(plain(again), plain(t)));
  });

  it('a node that goes unreachable marks its pods, the others stay the same objects', () => {
    const source = new SyntheticSource('5x50', { startedAt: START, churnMs: null });
    const memo = new MergeMemo();
    const inputs = source.read();
    const before = mergeTopology(inputs, false, memo);
    const down = new Map(inputs.agents);
    down.set('node2', {
      ...inputs.agents.get('node2')!,
      status: { ...inputs.agents.get('node2')!.status, state: 'unreachable', error: 'gone' },
    });
    const changed = { ...inputs, agents: down };
    const after = mergeTopology(changed, false, memo);
    expect(memo.stats.lastBuilt).toEqual(['node2']);
    expect(after).toEqual(mergeTopology(changed, false));
    after.pods.forEach((p, i) =>
      p.node === 'node2' ? expect(p.health).toBe('unreachable') : expect(p).toBe(before.pods[i]),
    );
    expect(diffTopology(before, after)).toEqual(diffTopology(plain(before), plain(after)));
  });
});
