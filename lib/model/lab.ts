// The lab's inventory: the reference topology (DESIGN.md) as data. Pure and isomorphic:
// the lab commands write it, `lab status --json` prints it, the dashboard's lab source
// and `podnet check` read it.
import { DEFAULT_BRIDGE } from './cni';
import type { ClusterNode, ClusterPod, ControlPlane } from './topology';

export type Routing = 'host-gw' | 'router';

export interface LabNode {
  name: string;
  /** N in nodeN: fixes ip 192.168.1.(10+N) and podCIDR 10.244.N.0/24 */
  index: number;
  ip: string;
  podCIDR: string;
  gateway: string;
  /** network namespace name (under /run/netns) */
  netns: string;
  /** the agent's address; null until agents exist */
  agent: string | null;
}

export interface LabPod {
  name: string;
  namespace: string;
  node: string;
  ip: string | null;
  netns: string;
  containerID: string;
}

export interface LabHost {
  ip: string;
  netns: string;
}

export interface LabFlags {
  nodes: number;
  podsPerNode: number;
  routing: Routing;
  /** "kubernetes": Nodes and Pods in the lab's API endpoint, nodes set up as the DaemonSet
   *  does (lab/kube-lab.ts); absent in inventories from before it existed: "lab" */
  controlPlane?: LabControlPlane;
}

export type LabControlPlane = 'lab' | 'kubernetes';

/** What `podnet lab fault KIND` can break, each the way an operator's mistake would. */
export const FAULT_KINDS = [
  'missing-route',
  'wrong-gateway',
  'bridge-down',
  'veth-down',
  'veth-detached',
  'no-forwarding',
  'forward-drop',
  'mtu-mismatch',
  'stale-lease',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault the lab made and holds: the node's agent leaves it alone (no route repair). */
export interface LabFault {
  kind: FaultKind;
  /** the node it is on (in router mode a missing route may be on the router: "router") */
  node: string;
  /** the pod it concerns (veth faults), NAMESPACE/NAME */
  pod: string | null;
  /** the route's destination (route faults), the address (stale-lease) */
  target: string | null;
  /** what it changed, in words */
  detail: string;
  at: string;
}

export interface LabStatus {
  labId: string | null;
  routing: Routing;
  tokenFile: string | null;
  dashboard: string | null;
  /** the key of a dashboard on this lab (podnet up makes it); only in `lab status`, not stored */
  dashboardTokenFile?: string | null;
  router: LabHost | null;
  outside: LabHost;
  lan: { cidr: string; netns: string; bridge: string };
  clusterNetwork: string;
  nodes: LabNode[];
  pods: LabPod[];
  /** faults made with `podnet lab fault` and not cleared yet (absent in older inventories) */
  faults?: LabFault[];
  /** the lab's Kubernetes API endpoint (lab up --control-plane kubernetes): its loopback
   *  URL and a kubeconfig for it; only in `lab status`, not stored */
  kubernetes?: { url: string; kubeconfig: string } | null;
}

export const LAN_CIDR = '192.168.1.0/24';
export const ROUTER_IP = '192.168.1.1';
export const OUTSIDE_IP = '192.168.1.200';
export const CLUSTER_NETWORK = '10.244.0.0/16';
/** the lab's nodes attach pods to the plugin's default bridge */
export const BRIDGE = DEFAULT_BRIDGE;
/** Node N takes 192.168.1.(10+N) and 10.244.N.0/24; the outside host sits at .200. */
export const MAX_NODE_INDEX = 180;

export function nodeIp(index: number): string {
  return `192.168.1.${10 + index}`;
}

export function nodePodCIDR(index: number): string {
  return `10.244.${index}.0/24`;
}

export function nodeGateway(index: number): string {
  return `10.244.${index}.1`;
}

/** "web-1" is default/web-1; "kube-system/dns" is itself. */
export function parsePodRef(ref: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash < 0
    ? { namespace: 'default', name: ref }
    : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

export function podRef(p: { namespace: string; name: string }): string {
  return p.namespace === 'default' ? p.name : `${p.namespace}/${p.name}`;
}

/** Kubernetes names: DNS labels (namespaces) and DNS subdomains (pods), lower case. */
export const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const K8S_POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

/** The lab as a control plane: its inventory lists the nodes and the pods it attached. */
export function controlPlaneOfLab(inv: LabStatus): ControlPlane {
  const nodes: ClusterNode[] = inv.nodes.map((n) => ({
    name: n.name,
    ip: n.ip,
    podCIDR: n.podCIDR,
    ready: null,
    conditions: [],
    agent: n.agent,
  }));
  // The lab attaches pods itself, so every pod it lists is meant to be running.
  const pods: ClusterPod[] = inv.pods.map((p) => ({
    namespace: p.namespace,
    name: p.name,
    node: p.node,
    ip: p.ip,
    phase: 'Running',
    hostNetwork: false,
    labels: {},
    owner: null,
  }));
  return { nodes, pods, router: inv.router ? { ip: inv.router.ip } : null };
}
