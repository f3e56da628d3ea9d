// The cluster's pod network as the dashboard shows it: the control plane's view (which
// nodes and pods exist, where they run, which IP each was given — from the Kubernetes API
// or the lab's inventory) merged with the data plane's (each node's agent snapshot: the
// bridge, the veths, the routes). Isomorphic: the server builds it, the page draws it,
// and topology.watch streams its changes as TopologyChange lists.
import type { FirewallSummary, Finding, Route } from './snapshot';

export type SourceKind = 'lab' | 'kubernetes' | 'synthetic';
export type RoutingMode = 'host-gw' | 'router' | 'unknown';

export interface ClusterInfo {
  source: SourceKind;
  /** the lab id, the kubeconfig context, or the synthetic shape ("100x100") */
  name: string;
  routing: RoutingMode;
  /** the cluster's pod network (10.244.0.0/16), when known */
  podNetwork: string | null;
  /** the page turns probes off and says so */
  readOnly: boolean;
}

/** One node as the control plane lists it. */
export interface ClusterNode {
  name: string;
  /** InternalIP */
  ip: string | null;
  /** spec.podCIDR; null when the node has none (yet) */
  podCIDR: string | null;
  /** the Ready condition: true/false, null when unknown (the lab has no kubelet) */
  ready: boolean | null;
  /** conditions that are not as they should be, as "Type=Status: message" */
  conditions: string[];
  /** where its agent answers: unix:/path or host:port; null when it has none */
  agent: string | null;
}

/** One pod as the control plane lists it. */
export interface ClusterPod {
  namespace: string;
  name: string;
  /** spec.nodeName; null while unscheduled */
  node: string | null;
  /** status.podIP; null until it has one */
  ip: string | null;
  /** Pending, Running, Succeeded, Failed, Unknown; the lab's pods are Running */
  phase: string;
  /** hostNetwork pods share the node's namespace: no veth is expected for them */
  hostNetwork: boolean;
  labels: Record<string, string>;
  /** "ReplicaSet/coredns-5dd5756b68", null without an owner */
  owner: string | null;
}

export interface ControlPlane {
  nodes: ClusterNode[];
  pods: ClusterPod[];
  /** the router host in router mode */
  router: { ip: string } | null;
}

export type AgentState = 'live' | 'connecting' | 'unreachable' | 'none';

export interface AgentStatus {
  address: string | null;
  state: AgentState;
  /** ISO time the state began: "unreachable since 02:13:05" */
  since: string;
  /** why it is unreachable, as the client saw it */
  error: string | null;
}

/** Node health as the graph colours it. */
export type Health = 'healthy' | 'finding' | 'unreachable';

export interface TopoNode {
  name: string;
  ip: string | null;
  podCIDR: string | null;
  ready: boolean | null;
  conditions: string[];
  agent: AgentStatus;
  /** the bridge as the agent sees it; null without a snapshot or when it is missing */
  bridge: { name: string; up: boolean; addresses: string[] } | null;
  ipForward: boolean | null;
  firewall: FirewallSummary | null;
  /** the node's routing table (main), from its agent */
  routes: Route[];
  health: Health;
  findingCount: number;
}

/** A pod as the control plane lists it (its `ip` is the agent's when the API has none),
 *  with what the node's agent knows of it. */
export interface TopoPod extends ClusterPod {
  /** NAMESPACE/NAME: the pod's id everywhere in the dashboard */
  key: string;
  /** the pod's side as the agent's attachment records have it */
  veth: { host: string; up: boolean | null; ifname: string; mac: string | null } | null;
  /** the IP the node's agent found on the pod's veth, when it differs it is a finding */
  agentIp: string | null;
  netns: string | null;
  containerID: string | null;
  /** which views know this pod */
  seenBy: { api: boolean; agent: boolean };
  health: Health;
}

/** A route that carries pod traffic between nodes: `from` holds a route to `dst`
 *  (another node's pod subnet) via `via`. `from` is a node name or "router". */
export interface TopoRoute {
  key: string;
  from: string;
  /** the node whose subnet this is, or null when no node owns dst */
  to: string | null;
  dst: string;
  via: string | null;
  dev: string | null;
  ownedByPodnet: boolean;
}

export type FindingSource = 'agent' | 'merge';

export interface TopoFinding extends Finding {
  /** the node it was found on (agent findings), or the node the API puts the pod on */
  node: string | null;
  /** the pod it concerns, NAMESPACE/NAME, when it concerns one */
  pod: string | null;
  source: FindingSource;
}

export interface Topology {
  cluster: ClusterInfo;
  nodes: TopoNode[];
  pods: TopoPod[];
  routes: TopoRoute[];
  findings: TopoFinding[];
  router: { ip: string } | null;
  /** ISO time of the newest input that went into it */
  updatedAt: string;
}

export const topologyKeyOf = {
  nodes: (n: TopoNode) => n.name,
  pods: (p: TopoPod) => p.key,
  routes: (r: TopoRoute) => r.key,
  findings: (f: TopoFinding) => f.id,
} as const;

export type TopologyCollection = keyof typeof topologyKeyOf;

export type TopologyChange =
  | { collection: TopologyCollection; op: 'added' | 'changed'; key: string; value: unknown }
  | { collection: TopologyCollection; op: 'removed'; key: string }
  | {
      collection: 'cluster';
      op: 'changed';
      key: 'cluster';
      value: { cluster: ClusterInfo; router: { ip: string } | null; updatedAt: string };
    };

/** What topology.watch yields: the whole topology first (and after every reconnect),
 *  then changes against it. `version` counts every update the server made. */
export type TopologyEvent =
  | { type: 'snapshot'; version: number; topology: Topology }
  | { type: 'changes'; version: number; changes: TopologyChange[] };

export const podKey = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** A selection in the page and in deep links: "pod:default/web-1", "node:node2". */
export type Selection = { kind: 'pod'; key: string } | { kind: 'node'; key: string };

export function parseSelection(text: string | null | undefined): Selection | null {
  if (!text) return null;
  const m = /^(pod|node):(.+)$/.exec(text);
  if (!m) return null;
  const kind = m[1] as 'pod' | 'node';
  const key = m[2]!;
  // "pod:web-1" means default/web-1, as everywhere in podnet
  return { kind, key: kind === 'pod' && !key.includes('/') ? `default/${key}` : key };
}

export const formatSelection = (s: Selection) => `${s.kind}:${s.key}`;
