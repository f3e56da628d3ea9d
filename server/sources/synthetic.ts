// A generated cluster, for the dashboard benchmark (bench/dashboard.ts) and for demos:
// PODNET_SYNTHETIC=NODESxPODS ("100x10000") gives NODES healthy host-gw nodes with
// PODS pods spread evenly over them, each node with a live agent whose snapshot is what
// a healthy podnet node looks like (the bridge with its gateway, one veth per pod and its
// attachment record, a route to every other node's pod subnet, forwarding on, the
// firewall in place), so mergeTopology finds nothing wrong. Deterministic: the same
// shape (and start time) gives the same inputs. addPod/removePod change it live, and
// PODNET_SYNTHETIC_CHURN_MS=N adds or removes a pod every N ms.
//
// Addresses. Node i (1-based) is 192.168.(1 + ⌊i/200⌋).(10 + i mod 200): 192.168.1.(10+i)
// for the first 189, as in the lab (the LAN is a /24 below 190 nodes, a /16 above).
// Pod subnets: with at most 255 nodes and at most 253 pods per node, 10.244.i.0/24 in
// 10.244.0.0/16, as in the lab; otherwise every node gets the same larger block, the
// smallest power of two ≥ 256 that holds its pods plus network, gateway and broadcast,
// carved from 10.0.0.0/8 (node i takes the i-th block; block 0 is left unused).
import { DEFAULT_BRIDGE } from '../../lib/model/cni';
import type { Finding, FirewallSummary, Link, NodeSnapshot, PodOnNode, Route } from '../../lib/model/snapshot';
import { PODNET_ROUTE_PROTO } from '../../lib/model/snapshot';
import type { AgentStatus, ClusterNode, ClusterPod } from '../../lib/model/topology';
import { hashHex } from '../../lib/model/hash';
import { formatCidr, formatIpv4, parseIpv4 } from '../../lib/model/ipv4';
import type { AgentView, ClusterSource, SourceInputs } from './source';

export const SYNTHETIC_NAMESPACES = ['default', 'web', 'data', 'batch'] as const;
const APPS = ['api', 'frontend', 'worker', 'cache', 'db', 'queue', 'auth'];
const AGENT_PORT = 9650;
const FIREWALL: FirewallSummary = {
  forwardPolicy: 'accept',
  table: true,
  masquerade: true,
  forwardAccepts: true,
  inputRestricted: true,
};
/** what the first three links of every node are: lo, eth0, the bridge */
const FIRST_VETH_INDEX = 4;

export interface SyntheticShape {
  nodes: number;
  pods: number;
}

/** "NODESxPODS" → the shape; throws on anything else (at least one node). */
export function parseShape(text: string): SyntheticShape {
  const m = /^(\d{1,4})x(\d{1,7})$/.exec(text.trim());
  if (!m) throw new Error(`synthetic cluster shape "${text}": expected NODESxPODS, e.g. 100x10000`);
  const shape = { nodes: Number(m[1]), pods: Number(m[2]) };
  if (shape.nodes < 1) throw new Error(`synthetic cluster shape "${text}": needs at least one node`);
  return shape;
}

export interface SyntheticOptions {
  /** add or remove a pod this often (ms); default PODNET_SYNTHETIC_CHURN_MS, unset: never */
  churnMs?: number | null;
  /** the agents' "live since" and the snapshots' collection time before any change;
   *  default: when the source is made. Changes are stamped with the real time. */
  startedAt?: Date;
}

export interface AddressPlan {
  podNetwork: string;
  /** the LAN's prefix length (24 below 190 nodes, else 16) */
  lanPrefix: number;
  /** pod subnet prefix length per node */
  podPrefix: number;
  nodeIp(i: number): string;
  /** the node's pod subnet, as a network address (number) */
  podNet(i: number): number;
}

/** The addresses of a shape (see the header): the lab's scheme where it fits, else larger blocks. */
export function addressPlan(shape: SyntheticShape): AddressPlan {
  const perNode = Math.ceil(shape.pods / shape.nodes);
  const nodeIp = (i: number) => `192.168.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`;
  const lanPrefix = shape.nodes < 190 ? 24 : 16;
  if (shape.nodes <= 255 && perNode <= 253) {
    const base = parseIpv4('10.244.0.0')!;
    return { podNetwork: '10.244.0.0/16', lanPrefix, podPrefix: 24, nodeIp, podNet: (i) => base + i * 256 };
  }
  let size = 256;
  // Room for a few more than the even share, so addPod has space on every node.
  while (size - 3 < perNode + 16) size *= 2;
  if ((shape.nodes + 1) * size > 2 ** 24)
    throw new Error(
      `synthetic cluster ${shape.nodes}x${shape.pods}: ${shape.nodes} subnets of ${size} addresses do not fit in 10.0.0.0/8`,
    );
  const base = parseIpv4('10.0.0.0')!;
  return {
    podNetwork: '10.0.0.0/8',
    lanPrefix,
    podPrefix: 32 - Math.log2(size),
    nodeIp,
    podNet: (i) => base + i * size,
  };
}

interface SynPod {
  namespace: string;
  name: string;
  key: string;
  node: string;
  /** offset of its address in the node's subnet (2 and up) */
  offset: number;
  ip: string;
  containerID: string;
  hostVeth: string;
  ifindex: number;
  app: string;
  /** what it is to the control plane and to its node's agent, made once: a change
   *  elsewhere leaves these the same objects (the merge reuses what it built from them) */
  cluster: ClusterPod | null;
  attachment: PodOnNode | null;
  link: Link | null;
}

interface SynNode {
  index: number;
  name: string;
  ip: string;
  podCIDR: string;
  podNet: number;
  gateway: string;
  /** the highest usable offset in the subnet */
  maxOffset: number;
  pods: Map<string, SynPod>;
  /** free address offsets below nextOffset, so addresses are reused lowest first */
  freeOffsets: number[];
  nextOffset: number;
  nextIfindex: number;
  collectedAt: string;
  /** the agent view, rebuilt when a pod of this node changed */
  view: AgentView | null;
  /** its links before the veths, and its routes: the same objects for every snapshot */
  baseLinks: Link[] | null;
  routes: Route[] | null;
}

/** 64 hex digits, a container ID made from the text. */
function containerIdOf(text: string): string {
  let id = '';
  for (let k = 0; id.length < 64; k++) id += hashHex(`${text}#${k}`, 13);
  return id.slice(0, 64);
}

/** a locally administered MAC from the text */
function macOf(text: string): string {
  const h = hashHex(text, 10);
  return `02:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}`;
}

/** a seeded PRNG (mulberry32): the churn is the same run to run */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function churnFromEnv(): number | null {
  const text = process.env.PODNET_SYNTHETIC_CHURN_MS;
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`PODNET_SYNTHETIC_CHURN_MS="${text}": must be a whole number of milliseconds, at least 1`);
  return n;
}

export class SyntheticSource implements ClusterSource {
  readonly shape: SyntheticShape;
  private readonly plan: AddressPlan;
  private readonly nodes: SynNode[] = [];
  private readonly byName = new Map<string, SynNode>();
  /** every pod, in the order they were made */
  private readonly pods = new Map<string, SynPod>();
  /** the n of the next `pod-<n>` */
  private nextPod = 1;
  private readonly startedAt: string;
  private readonly churnMs: number | null;
  private churnTimer: NodeJS.Timeout | null = null;
  private readonly random: () => number;
  private changed: () => void = () => {};
  private cache: SourceInputs | null = null;
  /** the control plane's pods in the order they were made; a change makes a new array
   *  (copied, with what was added or removed since the last read) */
  private planePods: ClusterPod[] = [];
  private podsAdded: ClusterPod[] = [];
  private readonly podsRemoved = new Set<ClusterPod>();
  private readonly planeNodes: ClusterNode[];

  constructor(shapeText: string, options: SyntheticOptions = {}) {
    this.shape = parseShape(shapeText);
    this.plan = addressPlan(this.shape);
    this.startedAt = (options.startedAt ?? new Date()).toISOString();
    this.churnMs = options.churnMs === undefined ? churnFromEnv() : options.churnMs;
    this.random = prng(Number.parseInt(hashHex(`${this.shape.nodes}x${this.shape.pods}`, 8), 16));
    const size = 2 ** (32 - this.plan.podPrefix);
    for (let i = 1; i <= this.shape.nodes; i++) {
      const podNet = this.plan.podNet(i);
      const n: SynNode = {
        index: i,
        name: `node${i}`,
        ip: this.plan.nodeIp(i),
        podCIDR: formatCidr({ network: podNet, length: this.plan.podPrefix }),
        podNet,
        gateway: formatIpv4(podNet + 1),
        maxOffset: size - 2,
        pods: new Map(),
        freeOffsets: [],
        nextOffset: 2,
        nextIfindex: FIRST_VETH_INDEX,
        collectedAt: this.startedAt,
        view: null,
        baseLinks: null,
        routes: null,
      };
      this.nodes.push(n);
      this.byName.set(n.name, n);
    }
    this.planeNodes = this.nodes.map((n) => ({
      name: n.name,
      ip: n.ip,
      podCIDR: n.podCIDR,
      ready: true,
      conditions: [],
      agent: `${n.ip}:${AGENT_PORT}`,
    }));
    // Round-robin: pod-1 on node1, pod-2 on node2, …; the namespace changes every round.
    for (let k = 0; k < this.shape.pods; k++)
      this.place(this.nodes[k % this.nodes.length]!, null, null, this.startedAt);
  }

  async start(changed: () => void): Promise<void> {
    this.changed = changed;
    if (this.churnMs !== null) {
      this.churnTimer = setInterval(() => this.churn(), this.churnMs);
      this.churnTimer.unref();
    }
  }

  read(): SourceInputs {
    if (this.cache) return this.cache;
    if (this.podsAdded.length || this.podsRemoved.size) {
      const kept = this.podsRemoved.size
        ? this.planePods.filter((p) => !this.podsRemoved.has(p))
        : this.planePods.slice();
      for (const p of this.podsAdded) kept.push(p);
      this.planePods = kept;
      this.podsAdded = [];
      this.podsRemoved.clear();
    }
    const agents = new Map<string, AgentView>();
    for (const n of this.nodes) agents.set(n.name, (n.view ??= this.viewOf(n)));
    this.cache = {
      info: {
        source: 'synthetic',
        name: `${this.shape.nodes}x${this.shape.pods}`,
        routing: 'host-gw',
        podNetwork: this.plan.podNetwork,
      },
      plane: { nodes: this.planeNodes, pods: this.planePods, router: null },
      agents,
      problems: [],
    };
    return this.cache;
  }

  /** a generated cluster has no agents to ask */
  agentToken(): string | null {
    return null;
  }

  async close(): Promise<void> {
    if (this.churnTimer) clearInterval(this.churnTimer);
    this.churnTimer = null;
    this.changed = () => {};
  }

  /** how many pods there are now */
  get podCount(): number {
    return this.pods.size;
  }

  /** the keys (NAMESPACE/NAME) of the pods on a node, or of all pods */
  podKeys(node?: string): string[] {
    if (node === undefined) return [...this.pods.keys()];
    return [...(this.byName.get(node)?.pods.keys() ?? [])];
  }

  /**
   * Adds a running pod to a node — its veth, its attachment record, its address (the
   * lowest free one) — and signals the change. Returns its key. Without a name it is the
   * next `pod-<n>`; without a namespace, the one the round-robin gives.
   */
  addPod(node: string, ref: { namespace?: string; name?: string } = {}): string {
    const n = this.byName.get(node);
    if (!n) throw new Error(`synthetic cluster: no node ${node}`);
    const pod = this.place(n, ref.namespace ?? null, ref.name ?? null, new Date().toISOString());
    this.touch();
    return pod.key;
  }

  /** Removes a pod (NAMESPACE/NAME; a bare name means default/NAME); false when there is none. */
  removePod(key: string): boolean {
    const k = key.includes('/') ? key : `default/${key}`;
    const p = this.pods.get(k);
    if (!p) return false;
    const n = this.byName.get(p.node)!;
    const added = this.podsAdded.indexOf(p.cluster!);
    if (added >= 0) this.podsAdded.splice(added, 1);
    else this.podsRemoved.add(p.cluster!);
    this.pods.delete(k);
    n.pods.delete(k);
    n.freeOffsets.push(p.offset);
    n.freeOffsets.sort((a, b) => b - a); // lowest last: pop() takes it
    n.view = null;
    n.collectedAt = new Date().toISOString();
    this.touch();
    return true;
  }

  private touch(): void {
    this.cache = null;
    this.changed();
  }

  private place(n: SynNode, namespace: string | null, name: string | null, at: string): SynPod {
    const seq = this.nextPod;
    const podName = name ?? `pod-${seq}`;
    // The namespace changes each round of the round-robin, so every node has pods in each.
    const ns =
      namespace ?? SYNTHETIC_NAMESPACES[Math.floor((seq - 1) / this.nodes.length) % SYNTHETIC_NAMESPACES.length]!;
    const key = `${ns}/${podName}`;
    if (this.pods.has(key)) throw new Error(`synthetic cluster: pod ${key} exists`);
    const offset = n.freeOffsets.pop() ?? n.nextOffset;
    if (offset > n.maxOffset) {
      n.freeOffsets.push(offset);
      throw new Error(`synthetic cluster: ${n.name}'s subnet ${n.podCIDR} is full`);
    }
    if (offset === n.nextOffset) n.nextOffset++;
    if (name === null) this.nextPod++;
    const containerID = containerIdOf(`${n.name}/${key}/${seq}`);
    const pod: SynPod = {
      namespace: ns,
      name: podName,
      key,
      node: n.name,
      offset,
      ip: formatIpv4(n.podNet + offset),
      containerID,
      hostVeth: 'veth' + hashHex(`${containerID}/eth0`, 11),
      ifindex: n.nextIfindex++,
      app: APPS[(seq - 1) % APPS.length]!,
      cluster: null,
      attachment: null,
      link: null,
    };
    pod.cluster = {
      namespace: pod.namespace,
      name: pod.name,
      node: pod.node,
      ip: pod.ip,
      phase: 'Running',
      hostNetwork: false,
      labels: { app: pod.app },
      owner: `ReplicaSet/${pod.app}-${hashHex(`${pod.namespace}/${pod.app}`, 10)}`,
    };
    this.podsAdded.push(pod.cluster);
    this.pods.set(key, pod);
    n.pods.set(key, pod);
    n.view = null;
    n.collectedAt = at;
    return pod;
  }

  /** One churn step: add or remove a pod, keeping the count within 5% of the shape's. */
  private churn(): void {
    const band = Math.max(1, Math.ceil(this.shape.pods * 0.05));
    const count = this.pods.size;
    const add = count <= this.shape.pods - band ? true : count >= this.shape.pods + band ? false : this.random() < 0.5;
    if (add || count === 0) {
      const n = this.nodes[Math.floor(this.random() * this.nodes.length)]!;
      try {
        this.addPod(n.name);
      } catch {
        /* that node's subnet is full: the next step tries again */
      }
    } else {
      const keys = this.podKeys();
      this.removePod(keys[Math.floor(this.random() * keys.length)]!);
    }
  }

  private viewOf(n: SynNode): AgentView {
    const status: AgentStatus = { address: `${n.ip}:${AGENT_PORT}`, state: 'live', since: this.startedAt, error: null };
    return { status, snapshot: this.snapshotOf(n) };
  }

  private snapshotOf(n: SynNode): NodeSnapshot {
    const pods = [...n.pods.values()];
    n.baseLinks ??= [
      {
        index: 1,
        name: 'lo',
        kind: 'loopback',
        mac: '00:00:00:00:00:00',
        mtu: 65536,
        operState: 'UNKNOWN',
        up: true,
        master: null,
        peer: null,
      },
      {
        index: 2,
        name: 'eth0',
        kind: 'ether',
        mac: macOf(`${n.name}/eth0`),
        mtu: 1500,
        operState: 'UP',
        up: true,
        master: null,
        peer: null,
      },
      {
        index: 3,
        name: DEFAULT_BRIDGE,
        kind: 'bridge',
        mac: macOf(`${n.name}/${DEFAULT_BRIDGE}`),
        mtu: 1500,
        operState: 'UP',
        up: true,
        master: null,
        peer: null,
      },
    ];
    const links: Link[] = [
      ...n.baseLinks,
      ...pods.map(
        (p): Link =>
          (p.link ??= {
            index: p.ifindex,
            name: p.hostVeth,
            kind: 'veth',
            mac: macOf(`${n.name}/${p.hostVeth}`),
            mtu: 1500,
            operState: 'UP',
            up: true,
            master: DEFAULT_BRIDGE,
            peer: { netns: `cni-${p.containerID.slice(0, 8)}`, ifindex: 2, ifname: 'eth0', pod: p.key },
          }),
      ),
    ];
    const lanNet = this.plan.lanPrefix === 24 ? `${n.ip.split('.').slice(0, 3).join('.')}.0/24` : '192.168.0.0/16';
    const routes: Route[] = (n.routes ??= [
      { dst: n.podCIDR, gateway: null, dev: DEFAULT_BRIDGE, protocol: 'kernel', scope: 'link', ownedByPodnet: false },
      { dst: lanNet, gateway: null, dev: 'eth0', protocol: 'kernel', scope: 'link', ownedByPodnet: false },
      ...this.nodes
        .filter((o) => o !== n)
        .map((o): Route => ({
          dst: o.podCIDR,
          gateway: o.ip,
          dev: 'eth0',
          protocol: String(PODNET_ROUTE_PROTO),
          scope: null,
          ownedByPodnet: true,
        })),
    ]);
    const attachments: PodOnNode[] = pods.map(
      (p): PodOnNode =>
        (p.attachment ??= {
          namespace: p.namespace,
          name: p.name,
          containerID: p.containerID,
          ifname: 'eth0',
          ip: p.ip,
          hostVeth: p.hostVeth,
          netns: `/var/run/netns/cni-${p.containerID.slice(0, 8)}`,
          network: 'podnet',
        }),
    );
    const findings: Finding[] = [];
    return {
      node: {
        name: n.name,
        addresses: [n.ip],
        podCIDR: n.podCIDR,
        gateway: n.gateway,
        bridge: DEFAULT_BRIDGE,
        ipForward: true,
        firewall: FIREWALL,
        leaseDir: null,
      },
      links,
      addresses: [
        { link: 'eth0', family: 'inet', address: n.ip, prefixLen: this.plan.lanPrefix, scope: 'global' },
        { link: DEFAULT_BRIDGE, family: 'inet', address: n.gateway, prefixLen: this.plan.podPrefix, scope: 'global' },
      ],
      routes,
      neighbours: [],
      pods: attachments,
      findings,
      collectedAt: n.collectedAt,
      collectMs: 0,
    };
  }
}
