// A path trace: pod A to pod B (or an IPv4 address), hop by hop, both directions. Each
// hop says where the packet is (a pod, a node, the router, the LAN), the interfaces it
// crosses with their state and MTU, the rule that decided (a route, a bridge port, local
// delivery), the neighbour entry, the firewall's verdict, the kernel settings that matter
// there, what the kernel itself answered when asked, and a verdict in words. Isomorphic:
// lib/trace computes it, the agent answers its lookups, the CLI and the page show it.
import type { FirewallSummary } from './snapshot';
import type { KernelRoute, PingResult, TcpResult, TracerouteResult } from './probe';

export type HopVerdict = 'forwarded' | 'delivered' | 'dropped' | 'unknown';
/** what the kernel said against what the path expects: `pending` while its answer is on its way */
export type KernelAgreement = 'agrees' | 'disagrees' | 'not-verified' | 'pending';
export type TraceDirection = 'forward' | 'return';
export type TraceStatus = 'running' | 'ok' | 'broken' | 'unknown';

/** One end of the trace. */
export interface TraceEndpoint {
  /** as the user gave it */
  ref: string;
  kind: 'pod' | 'ip';
  /** NAMESPACE/NAME when the address is a pod's */
  pod: string | null;
  ip: string | null;
  node: string | null;
  /** the pod's network namespace, as its node's agent recorded it */
  netns: string | null;
}

export interface IfaceFact {
  name: string;
  /** "missing": the link does not exist; "unknown": no agent could say */
  state: 'up' | 'down' | 'missing' | 'unknown';
  mtu: number | null;
  /** the bridge it is a port of */
  master: string | null;
}

export type TraceRule =
  | {
      kind: 'route';
      dst: string;
      gateway: string | null;
      dev: string | null;
      protocol: string;
      ownedByPodnet: boolean;
      table: 'main' | 'intended';
    }
  | { kind: 'local'; address: string }
  | { kind: 'lan'; to: string; host: string | null }
  | { kind: 'none'; why: string };

export interface FirewallFact {
  verdict: 'accept' | 'drop' | 'unknown';
  why: string;
  /** leaving the cluster network: the node's masquerade rule rewrites the source */
  masquerade: boolean;
}

/** What the agent is asked at a hop. Every field is parsed before it reaches `ip`. */
export type LookupAt = { pod: string } | { node: true };
export type Lookup =
  | { kind: 'route'; at: LookupAt; dst: string; from?: string; iif?: string }
  | { kind: 'link'; at: LookupAt; dev: string }
  | { kind: 'neigh'; at: LookupAt; address: string; dev: string }
  | { kind: 'sysctl'; at: { node: true }; dev?: string }
  | { kind: 'firewall'; at: { node: true } };

export const LOOKUP_KINDS = ['route', 'link', 'neigh', 'sysctl', 'firewall'] as const;
export const MAX_LOOKUPS = 32;

export interface LookupResult {
  kind: Lookup['kind'];
  ok: boolean;
  /** the kernel's own words when it refused ("No route to host", "Cannot find device") */
  error: string | null;
  /** exactly what ran, as argv (no shell); empty for what the agent reads itself */
  command: string[];
  route?: KernelRoute | null;
  link?: { name: string; up: boolean; operState: string; mtu: number; master: string | null } | null;
  neigh?: { address: string; dev: string; state: string[]; mac: string | null } | null;
  sysctl?: { ipForward: boolean; rpFilter: { all: number; dev: number | null } } | null;
  firewall?: FirewallSummary | null;
  durationMs: number;
}

/** A lookup the trace sends to a node's agent, and what it expects of the answer. */
export interface KernelCheck {
  id: string;
  hop: string;
  node: string;
  lookup: Lookup;
  /** the path's expectation in words: "via 192.168.1.12 dev eth0", "up, port of v-net-0" */
  expect: string;
  result: LookupResult | null;
  /** null until answered; false when the kernel decided otherwise than the path expects */
  agrees: boolean | null;
  /** the kernel's answer in words */
  says: string | null;
  /** the agent did not answer the lookup at all (unreachable, refused): not verified */
  error: string | null;
  /** which fact of the hop it checks */
  role: 'in' | 'out' | 'bridge' | 'route' | 'sysctl' | 'firewall' | 'neigh';
  /** the path's prediction, to compare the answer with: a route's outcome, a link's state */
  want: {
    ok: boolean;
    type?: 'unicast' | 'local';
    gateway?: string | null;
    dev?: string | null;
    state?: IfaceFact['state'];
    master?: string | null;
    ipForward?: boolean | null;
    firewall?: FirewallFact['verdict'];
    leaving?: boolean;
  };
  /** asked after the probe: a neighbour entry says most once traffic has tried it */
  late: boolean;
}

export type HopRole = 'pod-out' | 'node' | 'lan' | 'router' | 'host' | 'pod-in';

export interface TraceHop {
  id: string;
  direction: TraceDirection;
  index: number;
  role: HopRole;
  where: { kind: 'pod' | 'node' | 'router' | 'lan' | 'host'; name: string; node: string | null };
  /** "node1 routes 10.244.2.2 to node2" */
  title: string;
  in: IfaceFact | null;
  out: IfaceFact | null;
  /** the bridge a node hop crosses (a pod's veth is one of its ports) */
  bridge: IfaceFact | null;
  /** a node hop that routes (L3); false when the bridge only switches between two of its pods */
  routed: boolean;
  /** the interface the route back to the source leaves by: strict rp_filter drops the packet
   *  unless it is the one the packet came in on */
  backDev: string | null;
  /** the interface the routing decision sees the packet come in on (the bridge for a pod's veth) */
  inL3: string | null;
  /** host-gw or router mode: the gateway the intent says this destination needs, when the
   *  hop's route should go via one */
  intendedGateway: string | null;
  /** the node's agent answers: without it the hop is the expected one only */
  agentLive: boolean;
  /** what is wrong here, when something is: the diagnosis names it */
  problem: DiagnosisKind | null;
  rule: TraceRule;
  neighbour: { address: string; dev: string; state: string } | null;
  firewall: FirewallFact | null;
  /** on a forwarding hop: ip_forward and the effective rp_filter of the interface the packet came in on */
  settings: { ipForward: boolean | null; rpFilter: number | null } | null;
  verdict: HopVerdict;
  /** the verdict in words, with the reason for a drop or an unknown */
  reason: string;
  kernel: KernelAgreement;
  /** what the kernel said at this hop when it disagrees or refused, in words */
  kernelSays: string | null;
  /** graph element ids this hop crosses (lib/model/graph-ids.ts) */
  elements: string[];
}

export interface TraceFix {
  /** where the commands run: a node by name (its network namespace), or null for "anywhere" */
  node: string | null;
  /** each command as argv, to run in order */
  commands: string[][];
  /** the commands as a person types them */
  text: string;
}

export type DiagnosisKind =
  | 'route-missing'
  | 'route-wrong-gateway'
  | 'bridge-missing'
  | 'bridge-down'
  | 'veth-missing'
  | 'veth-down'
  | 'veth-detached'
  | 'forwarding-off'
  | 'forward-drop'
  | 'rp-filter'
  | 'mtu-mismatch'
  | 'no-pod-for-ip'
  | 'pod-ip-mismatch'
  | 'no-host'
  | 'agent-unreachable'
  | 'kernel-disagrees'
  | 'probe-failed'
  | 'pod-unknown';

export interface Diagnosis {
  kind: DiagnosisKind;
  /** the hop where the path breaks; null when it is not one hop's */
  hop: string | null;
  severity: 'broken' | 'unknown' | 'warning';
  /** the cause in one sentence */
  cause: string;
  expected: string;
  actual: string;
  fix: TraceFix | null;
  /** a lab fault holds this on purpose (`podnet lab fault clear` heals it) */
  heldFault: string | null;
  /** the graph elements the cause is about (lib/model/graph-ids.ts): the node whose table or
   *  firewall decided, the route, the bridge, the veth */
  elements: string[];
}

export interface TraceProbeSettings {
  count: number;
  intervalMs: number;
  timeoutMs: number;
  /** the large ping's payload: the source's MTU less 28 bytes of headers, sent with DF */
  largeSize: number | null;
  port: number | null;
}

export interface TraceProbe {
  settings: TraceProbeSettings;
  ping: PingResult | null;
  largePing: PingResult | null;
  traceroute: TracerouteResult | null;
  tcp: TcpResult | null;
  /** why a part did not run or failed to run (agent refused, read-only) */
  errors: string[];
  /** set before the probe runs when the traceroute and the large ping are skipped, and why */
  skipped: string | null;
  /** the traceroute's hops laid against the expected path: hop address → the path hop it matches */
  matched: { ttl: number; address: string | null; hop: string | null }[];
  /** the network delivered: ping answered, or TCP connected or was refused */
  reachable: boolean | null;
}

export interface TraceRequest {
  from: string;
  to: string;
  port: number | null;
  /** send no packets: the path and the kernel's lookups only */
  noProbe: boolean;
}

export interface TraceResult {
  request: TraceRequest;
  startedAt: string;
  /** what is done: the path (always), the kernel's lookups, the probe */
  phase: 'path' | 'kernel' | 'probe' | 'done';
  status: TraceStatus;
  /** one line: "default/web-1 reaches default/web-3" or the first cause */
  summary: string;
  from: TraceEndpoint;
  to: TraceEndpoint;
  routing: string;
  forward: TraceHop[];
  /** the way back, which can differ (router mode, a wrong route on the far side, rp_filter) */
  back: TraceHop[];
  checks: KernelCheck[];
  probe: TraceProbe | null;
  /** the first is the break; the rest are what else is wrong on the path */
  diagnoses: Diagnosis[];
  notes: string[];
  timings: { pathMs: number; kernelMs: number | null; probeMs: number | null; totalMs: number | null };
}

/** Exit codes of `podnet trace`, as the issue fixed them. */
export const TRACE_EXIT = { ok: 0, broken: 1, badInput: 2, unknown: 3 } as const;
