// What a trace is computed from: the control plane's view (nodes, pods, where each runs,
// its IP), each node's agent snapshot (or none, when the agent does not answer), the
// routing mode and the faults a lab holds on purpose. The dashboard's sources give
// exactly this (server/sources/source.ts); the CLI builds it from the lab. Pure.
import { DEFAULT_BRIDGE } from '../model/cni';
import type { LabFault } from '../model/lab';
import type { NodeSnapshot, PodOnNode } from '../model/snapshot';
import type { AgentStatus, ControlPlane, RoutingMode } from '../model/topology';

export interface TraceInputs {
  info: { routing: RoutingMode; podNetwork: string | null };
  plane: ControlPlane;
  agents: Map<string, { status: AgentStatus; snapshot: NodeSnapshot | null }>;
  /** faults a lab holds (`podnet lab fault`): the diagnosis says so */
  faults?: LabFault[];
}

/** A node as the trace sees it: the control plane's facts and its agent's snapshot. */
export interface TraceNode {
  name: string;
  ip: string | null;
  podCIDR: string | null;
  agent: AgentStatus;
  /** the agent's last snapshot; kept while it is unreachable, but then not trusted */
  snapshot: NodeSnapshot | null;
  /** the agent answers now: its snapshot is the node's state */
  live: boolean;
  /** the link holding the node's IP (eth0 in the lab) */
  uplink: string;
  bridge: string;
}

/** A pod as the trace sees it: where it runs, its IP as the API and the node have it. */
export interface TracePod {
  key: string;
  node: TraceNode | null;
  /** the API's status.podIP (the lab's record) */
  apiIp: string | null;
  /** the IP the node's agent found on the pod's attachment */
  agentIp: string | null;
  onNode: PodOnNode | null;
}

const NO_AGENT: AgentStatus = { address: null, state: 'none', since: new Date(0).toISOString(), error: null };

export function traceNodes(inputs: TraceInputs): TraceNode[] {
  return inputs.plane.nodes.map((n) => {
    const view = inputs.agents.get(n.name);
    const snapshot = view?.snapshot ?? null;
    const uplink = snapshot?.addresses.find((a) => a.family === 'inet' && a.address === n.ip)?.link ?? 'eth0';
    return {
      name: n.name,
      ip: n.ip,
      podCIDR: n.podCIDR,
      agent: view?.status ?? NO_AGENT,
      snapshot,
      live: view?.status.state === 'live' && snapshot !== null,
      uplink,
      bridge: snapshot?.node.bridge ?? DEFAULT_BRIDGE,
    };
  });
}

export function tracePods(inputs: TraceInputs, nodes: TraceNode[]): TracePod[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out: TracePod[] = [];
  const seen = new Set<string>();
  for (const p of inputs.plane.pods) {
    const key = `${p.namespace}/${p.name}`;
    const node = p.node ? (byName.get(p.node) ?? null) : null;
    const onNode = node?.snapshot?.pods.find((x) => `${x.namespace ?? 'default'}/${x.name}` === key) ?? null;
    seen.add(key);
    out.push({ key, node, apiIp: p.ip, agentIp: onNode?.ip ?? null, onNode });
  }
  // A pod the API does not list but a node runs (an attachment nobody accounts for).
  for (const node of nodes) {
    for (const x of node.snapshot?.pods ?? []) {
      if (!x.name) continue;
      const key = `${x.namespace ?? 'default'}/${x.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ key, node, apiIp: null, agentIp: x.ip, onNode: x });
    }
  }
  return out;
}
