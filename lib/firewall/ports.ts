// The ports a restricted node keeps open, as data: the firewall renders one rule per
// entry, and the CLI prints the same list, so the two can never disagree. Pure.

export interface OpenPort {
  name: string;
  proto: 'tcp' | 'udp';
  /** first and last port (equal for a single port) */
  from: number;
  to: number;
  /** who may connect: the other nodes only, or any address (SSH, so nobody is locked out) */
  source: 'peers' | 'anywhere';
  why: string;
}

export const OPEN_PORTS: readonly OpenPort[] = [
  {
    name: 'ssh',
    proto: 'tcp',
    from: 22,
    to: 22,
    source: 'anywhere',
    why: 'SSH stays reachable from anywhere so a firewall mistake cannot lock you out',
  },
  {
    name: 'kube-apiserver',
    proto: 'tcp',
    from: 6443,
    to: 6443,
    source: 'peers',
    why: 'the Kubernetes API, for kubelets and kube-proxy on the other nodes',
  },
  {
    name: 'etcd',
    proto: 'tcp',
    from: 2379,
    to: 2380,
    source: 'peers',
    why: 'client (2379) and peer (2380) traffic between control-plane members',
  },
  {
    name: 'kubelet',
    proto: 'tcp',
    from: 10250,
    to: 10250,
    source: 'peers',
    why: 'the API server reaches the kubelet for logs, exec and metrics',
  },
  {
    name: 'kube-controller-manager',
    proto: 'tcp',
    from: 10257,
    to: 10257,
    source: 'peers',
    why: 'secure port: health and metrics',
  },
  {
    name: 'kube-scheduler',
    proto: 'tcp',
    from: 10259,
    to: 10259,
    source: 'peers',
    why: 'secure port: health and metrics',
  },
  { name: 'nodeport-tcp', proto: 'tcp', from: 30000, to: 32767, source: 'peers', why: 'NodePort Services (TCP)' },
  { name: 'nodeport-udp', proto: 'udp', from: 30000, to: 32767, source: 'peers', why: 'NodePort Services (UDP)' },
  {
    name: 'podnet-agent',
    proto: 'tcp',
    from: 9650,
    to: 9650,
    source: 'peers',
    why: 'snapshots and events for the dashboard',
  },
];

/** "6443" or "30000-32767", as nft and people write it. */
export function portRange(p: Pick<OpenPort, 'from' | 'to'>): string {
  return p.from === p.to ? String(p.from) : `${p.from}-${p.to}`;
}
