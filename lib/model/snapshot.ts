// A node's network as its agent reads it from the kernel: links, addresses, routes,
// neighbours, the pods behind the veths, the firewall facts that decide pod traffic, and
// the findings where what the kernel has differs from what the node should have.
// Isomorphic: the agent emits it, the dashboard's server merges it, the UI draws it.
// Types only (and one constant): the schemas the dashboard reads agents with are in
// snapshot-schema.ts, so what imports these types (lib/trace, the CLI) does not load zod.

export type LinkKind = 'bridge' | 'veth' | 'ether' | 'loopback' | 'vxlan' | 'other';

export interface VethPeer {
  /** the namespace of the far end, by name, when it has one */
  netns: string | null;
  ifindex: number | null;
  /** the far end's name, known from the attachment record (no exec into the pod) */
  ifname: string | null;
  /** NAMESPACE/NAME of the pod behind it, from the attachment record */
  pod: string | null;
}

export interface Link {
  index: number;
  name: string;
  kind: LinkKind;
  mac: string | null;
  mtu: number;
  /** operational state as the kernel reports it: UP, DOWN, UNKNOWN, LOWERLAYERDOWN… */
  operState: string;
  /** administratively up (`ip link set … up`) */
  up: boolean;
  /** the bridge this link is a port of */
  master: string | null;
  peer: VethPeer | null;
}

export interface Address {
  link: string;
  family: 'inet' | 'inet6';
  address: string;
  prefixLen: number;
  scope: string;
}

export interface Route {
  dst: string;
  gateway: string | null;
  dev: string | null;
  protocol: string;
  scope: string | null;
  /** podnet's reconciler put it there (marked with its route protocol) */
  ownedByPodnet: boolean;
}

export interface Neighbour {
  address: string;
  link: string;
  mac: string | null;
  state: string[];
}

export interface PodOnNode {
  namespace: string | null;
  name: string | null;
  containerID: string;
  ifname: string;
  ip: string | null;
  hostVeth: string;
  netns: string;
  network: string;
}

export interface FirewallSummary {
  forwardPolicy: 'accept' | 'drop' | 'unknown';
  table: boolean;
  masquerade: boolean;
  forwardAccepts: boolean;
  inputRestricted: boolean;
}

export interface NodeInfo {
  name: string;
  /** IPv4 addresses on the node's links other than the pod bridge and loopback */
  addresses: string[];
  podCIDR: string | null;
  /** the pods' gateway: the bridge's address in podCIDR */
  gateway: string | null;
  bridge: string;
  ipForward: boolean;
  firewall: FirewallSummary | null;
  /** where podnet-ipam keeps this network's leases (one file per address); null when the
   *  node's IPAM is not podnet's */
  leaseDir: string | null;
}

export type Severity = 'error' | 'warning';

export interface Finding {
  /** stable across snapshots while the same thing is wrong: the diff's key */
  id: string;
  severity: Severity;
  /** what is wrong: "route 10.244.2.0/24", "veth veth1a2b… (default/web-1)" */
  object: string;
  message: string;
  expected: string;
  actual: string;
  /** the command that puts it right, when there is one */
  fix: string | null;
}

export interface NodeSnapshot {
  node: NodeInfo;
  links: Link[];
  addresses: Address[];
  routes: Route[];
  neighbours: Neighbour[];
  pods: PodOnNode[];
  findings: Finding[];
  collectedAt: string;
  /** how long the collection took, for /metrics and the benchmark */
  collectMs: number;
}

/** The route protocol podnet's reconciler marks its routes with (`ip route … proto 151`),
 *  so it never touches a route it does not own. 151 is unassigned in rt_protos. */
export const PODNET_ROUTE_PROTO = 151;
