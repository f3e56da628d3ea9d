// Trace results for the panel's unit tests, named after what they show, made the way a
// real lab's trace of default/web-1 (node1) → default/web-3 (node2) came out (host-gw;
// hop ids, element ids and words as `podnet trace --json` printed them). Variants spread
// the healthy one.
import type { Diagnosis, TraceHop, TraceResult } from '../../lib/model/trace';

const up = (name: string, master: string | null = null) => ({ name, state: 'up' as const, mtu: 1500, master });

function hop(h: Pick<TraceHop, 'id' | 'role' | 'where' | 'elements'> & Partial<TraceHop>): TraceHop {
  return {
    direction: h.id.startsWith('f') ? 'forward' : 'return',
    index: Number(h.id.slice(1)),
    title: '',
    in: null,
    out: null,
    bridge: null,
    routed: true,
    backDev: null,
    inL3: null,
    intendedGateway: null,
    agentLive: true,
    problem: null,
    rule: { kind: 'none', why: '' },
    neighbour: null,
    firewall: null,
    settings: null,
    verdict: 'forwarded',
    reason: '',
    kernel: 'agrees',
    kernelSays: null,
    ...h,
  };
}

const pod = (name: string, node: string) => ({ kind: 'pod' as const, name: `default/${name}`, node });
const node = (name: string) => ({ kind: 'node' as const, name, node: name });

const forward: TraceHop[] = [
  hop({
    id: 'f1',
    role: 'pod-out',
    where: pod('web-1', 'node1'),
    out: up('eth0'),
    rule: {
      kind: 'route',
      dst: 'default',
      gateway: '10.244.1.1',
      dev: 'eth0',
      protocol: 'boot',
      ownedByPodnet: false,
      table: 'main',
    },
    reason: 'sent out of eth0 to its gateway 10.244.1.1',
    elements: ['pod:default/web-1', 'veth:default/web-1'],
  }),
  hop({
    id: 'f2',
    role: 'node',
    where: node('node1'),
    in: up('veth0f4ad280209', 'v-net-0'),
    bridge: up('v-net-0'),
    out: up('eth0'),
    rule: {
      kind: 'route',
      dst: '10.244.2.0/24',
      gateway: '192.168.1.12',
      dev: 'eth0',
      protocol: '151',
      ownedByPodnet: true,
      table: 'main',
    },
    reason: "routed by 10.244.2.0/24 via 192.168.1.12 dev eth0 (podnet's)",
    elements: ['node:node1', 'veth:default/web-1', 'bridge:node1', 'uplink:node1', 'route:node1 10.244.2.0/24'],
  }),
  hop({
    id: 'f3',
    role: 'lan',
    where: { kind: 'lan', name: 'LAN', node: null },
    in: up('eth0'),
    out: up('eth0'),
    rule: { kind: 'lan', to: '192.168.1.12', host: 'node2' },
    kernel: 'not-verified',
    agentLive: false,
    reason: 'switched to node2 (192.168.1.12)',
    elements: ['lan', 'uplink:node1', 'uplink:node2'],
  }),
  hop({
    id: 'f4',
    role: 'node',
    where: node('node2'),
    in: up('eth0'),
    bridge: up('v-net-0'),
    out: up('vetheaf51c8d239', 'v-net-0'),
    rule: {
      kind: 'route',
      dst: '10.244.2.0/24',
      gateway: null,
      dev: 'v-net-0',
      protocol: 'kernel',
      ownedByPodnet: false,
      table: 'main',
    },
    reason: 'routed by 10.244.2.0/24 dev v-net-0',
    elements: ['node:node2', 'uplink:node2', 'bridge:node2', 'veth:default/web-3'],
  }),
  hop({
    id: 'f5',
    role: 'pod-in',
    where: pod('web-3', 'node2'),
    in: up('eth0'),
    rule: { kind: 'local', address: '10.244.2.2' },
    verdict: 'delivered',
    reason: 'delivered to 10.244.2.2 on eth0',
    elements: ['pod:default/web-3', 'veth:default/web-3'],
  }),
];

const back: TraceHop[] = [
  hop({
    id: 'b1',
    role: 'pod-out',
    where: pod('web-3', 'node2'),
    out: up('eth0'),
    reason: 'sent out of eth0 to its gateway 10.244.2.1',
    elements: ['pod:default/web-3', 'veth:default/web-3'],
  }),
  hop({
    id: 'b2',
    role: 'node',
    where: node('node2'),
    in: up('vetheaf51c8d239', 'v-net-0'),
    out: up('eth0'),
    reason: "routed by 10.244.1.0/24 via 192.168.1.11 dev eth0 (podnet's)",
    elements: ['node:node2', 'veth:default/web-3', 'bridge:node2', 'uplink:node2', 'route:node2 10.244.1.0/24'],
  }),
  hop({
    id: 'b3',
    role: 'lan',
    where: { kind: 'lan', name: 'LAN', node: null },
    kernel: 'not-verified',
    agentLive: false,
    reason: 'switched to node1 (192.168.1.11)',
    elements: ['lan', 'uplink:node2', 'uplink:node1'],
  }),
  hop({
    id: 'b4',
    role: 'node',
    where: node('node1'),
    reason: 'routed by 10.244.1.0/24 dev v-net-0',
    elements: ['node:node1', 'uplink:node1', 'bridge:node1', 'veth:default/web-1'],
  }),
  hop({
    id: 'b5',
    role: 'pod-in',
    where: pod('web-1', 'node1'),
    verdict: 'delivered',
    reason: 'delivered to 10.244.1.2 on eth0',
    elements: ['pod:default/web-1', 'veth:default/web-1'],
  }),
];

export const healthyCrossNode: TraceResult = {
  request: { from: 'web-1', to: 'web-3', port: null, noProbe: false },
  startedAt: '2026-12-02T12:59:52.000Z',
  phase: 'done',
  status: 'ok',
  summary: 'default/web-1 reaches default/web-3: 5 hops there, 5 back, ping 3/3 replies, rtt avg 0.109 ms',
  from: { ref: 'web-1', kind: 'pod', pod: 'default/web-1', ip: '10.244.1.2', node: 'node1', netns: null },
  to: { ref: 'web-3', kind: 'pod', pod: 'default/web-3', ip: '10.244.2.2', node: 'node2', netns: null },
  routing: 'host-gw',
  forward,
  back,
  checks: [],
  probe: {
    settings: { count: 3, intervalMs: 200, timeoutMs: 2000, largeSize: 1472, port: null },
    ping: null,
    largePing: null,
    traceroute: null,
    tcp: null,
    errors: [],
    skipped: null,
    matched: [],
    reachable: true,
  },
  diagnoses: [],
  notes: [],
  timings: { pathMs: 2, kernelMs: 190, probeMs: 609, totalMs: 641 },
};

const broken = (diagnosis: Diagnosis, hops: Partial<Record<string, Partial<TraceHop>>>): TraceResult => ({
  ...healthyCrossNode,
  status: 'broken',
  summary: `default/web-1 cannot reach default/web-3: ${diagnosis.cause}`,
  forward: forward.map((h) => ({ ...h, ...hops[h.id] })),
  back: back.map((h) => ({ ...h, ...hops[h.id] })),
  diagnoses: [diagnosis],
});

const routeMissing = broken(
  {
    kind: 'route-missing',
    hop: 'f2',
    severity: 'broken',
    cause: 'node1 has no route to 10.244.2.2',
    expected: "10.244.2.0/24 via 192.168.1.12 dev eth0 (to node2's pods, podnet's route)",
    actual: 'node1 has no route to 10.244.2.2',
    fix: {
      node: 'node1',
      commands: [['ip', 'route', 'replace', '10.244.2.0/24', 'via', '192.168.1.12', 'dev', 'eth0', 'proto', '151']],
      text: 'ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151',
    },
    heldFault: 'missing-route on node1',
    elements: ['node:node1', 'route:node1 10.244.2.0/24'],
  },
  {
    f2: {
      verdict: 'dropped',
      problem: 'route-missing',
      rule: { kind: 'none', why: 'no route' },
      reason: 'node1 has no route to 10.244.2.2',
      elements: ['node:node1', 'veth:default/web-1', 'bridge:node1'],
    },
  },
);
/** `lab fault missing-route`: node1 has no route to node2's pods; the walk there stops at node1 */
export const routeMissingOnNode1: TraceResult = { ...routeMissing, forward: routeMissing.forward.slice(0, 2) };

/** `lab fault veth-down --pod web-3`: dropped at node2 both ways; the hops after the drop are still listed */
export const vethDownOnWeb3 = broken(
  {
    kind: 'veth-down',
    hop: 'f4',
    severity: 'broken',
    cause: "default/web-3's veth vetheaf51c8d239 on node2 is down",
    expected: 'up',
    actual: 'down',
    fix: {
      node: 'node2',
      commands: [['ip', 'link', 'set', 'vetheaf51c8d239', 'up']],
      text: 'ip link set vetheaf51c8d239 up',
    },
    heldFault: 'veth-down on node2 (default/web-3)',
    elements: ['veth:default/web-3'],
  },
  {
    f4: { verdict: 'dropped', problem: 'veth-down', reason: "the destination pod's veth vetheaf51c8d239 is down" },
    b2: { verdict: 'dropped', problem: 'veth-down', reason: "the source pod's veth vetheaf51c8d239 is down" },
  },
);

/** `lab fault forward-drop` on node1 */
export const forwardDropOnNode1 = broken(
  {
    kind: 'forward-drop',
    hop: 'f2',
    severity: 'broken',
    cause: "node1's firewall drops pod traffic: the FORWARD policy is drop and podnet's accepts are missing",
    expected: 'ACCEPT for 10.244.0.0/16 in FORWARD',
    actual: 'policy DROP, no podnet accept',
    fix: {
      node: 'node1',
      commands: [],
      text: 'iptables -I FORWARD -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
    },
    heldFault: 'forward-drop on node1',
    elements: ['node:node1'],
  },
  { f2: { verdict: 'dropped', problem: 'forward-drop' }, b4: { verdict: 'dropped', problem: 'forward-drop' } },
);

/** the first update of trace.run: the path, every kernel answer still pending */
export const pathOnly: TraceResult = {
  ...healthyCrossNode,
  phase: 'path',
  status: 'running',
  forward: forward.map((h) => ({ ...h, kernel: h.kernel === 'not-verified' ? h.kernel : 'pending' })),
  checks: [],
  probe: { ...healthyCrossNode.probe!, reachable: null },
  timings: { pathMs: 2, kernelMs: null, probeMs: null, totalMs: null },
};
