// The `kubernetes` cluster source: the control plane's view from a real API server (list +
// watch of Nodes and Pods), each node's agent view from an agent pool.
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterNode, ClusterPod, RoutingMode } from '../../lib/model/topology';
import { StableViews, type AgentView, type ClusterSource, type SourceInputs } from './source';
import {
  agentSocketDirProblem,
  FLANNEL_BACKEND_ANNOTATION,
  toClusterNode,
  toClusterPod,
  type AgentsAt,
  type KubeNode,
  type KubePod,
} from '../../lib/kube/objects';
import { KubeWatch } from '../../lib/kube/watch';
import { loadKubeConfig } from '../../lib/kube/config';

/** What this source needs of server/agents/agent-pool.ts's AgentPool. */
export interface AgentPoolLike {
  /** the agents to talk to, by node name: "host:port", "https://host:port",
   *  "unix:/path/agent.sock", or null for a node without one */
  sync(targets: Map<string, string | null>): void;
  views(): Map<string, AgentView>;
  close(): void;
}

export interface KubernetesSourceOptions {
  /** a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the pod's service account */
  kubeconfig?: string;
  /** the port the podnet agents listen on at each node's InternalIP; null: agents off */
  agentPort: number | null;
  /** agents serve TLS (their addresses become https://IP:port; lib/agent/tls.ts verifies them) */
  agentTls?: boolean;
  /** instead of InternalIP:agentPort, node N's agent is on the unix socket
   *  <agentSocketDir>/N/agent.sock (plain HTTP; agentPort and agentTls do not apply): the
   *  agents of a lab, in network namespaces the dashboard does not route into. Absolute;
   *  a node whose name is not a DNS-1123 subdomain gets no agent, and a condition says why. */
  agentSocketDir?: string;
  /** the agents' bearer token (the pool the caller builds reads it too; probes send it) */
  agentToken: () => string | null;
  /** default (and always when agentPort is null and there is no agentSocketDir): every node has no agent */
  agentPool?: AgentPoolLike;
}

export class KubernetesSource implements ClusterSource {
  readonly name: string;
  private readonly kc: KubeConfig;
  private readonly agents: AgentsAt;
  private readonly agentTls: boolean;
  private readonly pool: AgentPoolLike;
  private watch: KubeWatch | null = null;
  private lastTargets = '';
  private readonly givenPool: AgentPoolLike | undefined;
  private nodeCache: { version: number; nodes: ClusterNode[]; routing: RoutingMode } | null = null;
  /** each Node as converted, by name */
  private readonly nodeObjects = new Map<string, Converted<KubeNode, ClusterNode>>();
  /** the pods sorted by namespace and name, and each as converted, by NAMESPACE/NAME */
  private podCache: { version: number; pods: ClusterPod[] } | null = null;
  private readonly podObjects = new Map<string, Converted<KubePod, ClusterPod>>();
  private readonly views = new StableViews();
  /** pods converted (not found the same), over all reads: a watch event converts its pod only */
  readonly stats = { podsConverted: 0 };
  readonly agentToken: () => string | null;

  constructor(opts: KubernetesSourceOptions) {
    const dirProblem = opts.agentSocketDir === undefined ? null : agentSocketDirProblem(opts.agentSocketDir);
    if (dirProblem) throw new Error(`agentSocketDir ${dirProblem}`);
    this.agentToken = opts.agentToken;
    this.kc = loadKubeConfig(opts.kubeconfig);
    const context = this.kc.getCurrentContext();
    this.name = !opts.kubeconfig && context === 'inClusterContext' ? 'in-cluster' : context;
    this.agents = opts.agentSocketDir !== undefined ? { socketDir: opts.agentSocketDir } : opts.agentPort;
    this.agentTls = opts.agentSocketDir === undefined && (opts.agentTls ?? false);
    this.givenPool = opts.agentPool;
    this.pool = this.agents !== null && opts.agentPool ? opts.agentPool : new NoAgentPool();
  }

  async start(changed: () => void): Promise<void> {
    if (this.watch) throw new Error('KubernetesSource.start() was called twice: create one source per start');
    this.watch = new KubeWatch(this.kc, () => {
      this.syncAgents();
      changed();
    });
    await this.watch.start();
    this.syncAgents();
  }

  read(): SourceInputs {
    const { nodes, routing } = this.nodes();
    const agents = this.views.keep(this.pool.views());
    return {
      info: {
        source: 'kubernetes',
        name: this.name,
        routing: routing === 'unknown' ? routingOfAgents(agents) : routing,
        podNetwork: null,
      },
      plane: { nodes, pods: this.pods(), router: null },
      agents,
      problems: this.watch?.problems() ?? [],
    };
  }

  async close(): Promise<void> {
    await this.watch?.close();
    this.pool.close();
    if (this.givenPool && this.givenPool !== this.pool) this.givenPool.close();
  }

  // Converted once per change of their object, not once per read: a pod event converts
  // that pod (and keeps every other ClusterPod the same object, so the merge rebuilds its
  // node only), and the agents' sync converts nothing.
  private nodes(): { nodes: ClusterNode[]; routing: RoutingMode } {
    const version = this.watch?.version('nodes') ?? -1;
    if (this.nodeCache?.version !== version) {
      const items = this.watch?.nodes() ?? new Map<string, KubeNode>();
      for (const name of this.nodeObjects.keys()) if (!items.has(name)) this.nodeObjects.delete(name);
      const nodes: ClusterNode[] = [];
      for (const [name, raw] of items) {
        const c = converted(this.nodeObjects.get(name), raw, (n) => toClusterNode(n, this.agents, this.agentTls));
        this.nodeObjects.set(name, c);
        nodes.push(c.value);
      }
      nodes.sort((a, b) => a.name.localeCompare(b.name));
      const old = this.nodeCache?.nodes;
      const same = old !== undefined && old.length === nodes.length && old.every((n, i) => n === nodes[i]);
      this.nodeCache = { version, nodes: same ? old : nodes, routing: routingOf([...items.values()]) };
    }
    return this.nodeCache;
  }

  private pods(): ClusterPod[] {
    const version = this.watch?.version('pods') ?? -1;
    const cache = this.podCache;
    if (cache?.version === version) return cache.pods;
    const items = this.watch?.pods() ?? new Map<string, KubePod>();
    const keys = cache && this.watch ? this.watch.changedSince('pods', cache.version) : null;
    let pods: ClusterPod[];
    if (cache && keys && keys.length <= Math.max(64, cache.pods.length / 8)) {
      // The pods the watch changed since: each taken out of the sorted list and put back in its place.
      pods = cache.pods;
      for (const key of new Set(keys)) {
        const old = this.podObjects.get(key);
        const raw = items.get(key);
        const c = raw ? converted(old, raw, this.toPod) : undefined;
        if (c) this.podObjects.set(key, c);
        else this.podObjects.delete(key);
        if (old?.value === c?.value) continue;
        if (pods === cache.pods) pods = pods.slice();
        const at = old ? sortedIndexOf(pods, old.value) : -1;
        if (at >= 0) pods.splice(at, 1);
        if (c) pods.splice(insertionIndex(pods, c.value), 0, c.value);
      }
    } else {
      for (const key of this.podObjects.keys()) if (!items.has(key)) this.podObjects.delete(key);
      pods = [];
      for (const [key, raw] of items) {
        const c = converted(this.podObjects.get(key), raw, this.toPod);
        this.podObjects.set(key, c);
        pods.push(c.value);
      }
      pods.sort(byNamespaceAndName);
      const old = cache?.pods;
      if (old && old.length === pods.length && old.every((p, i) => p === pods[i])) pods = old;
    }
    this.podCache = { version, pods };
    return pods;
  }

  private readonly toPod = (raw: KubePod): ClusterPod => {
    this.stats.podsConverted++;
    return toClusterPod(raw);
  };

  private syncAgents(): void {
    const targets = new Map(this.nodes().nodes.map((n) => [n.name, n.agent] as const));
    const key = JSON.stringify([...targets]);
    if (key === this.lastTargets) return;
    this.lastTargets = key;
    this.pool.sync(targets);
  }
}

interface Converted<R, V> {
  raw: R;
  value: V;
  /** the value as JSON, to keep the old object when a new version of the raw one reads the same */
  json: string;
}

/** `raw` converted, or what it was converted to before when it is the same object (or
 *  the same resourceVersion), or when it converts to the same value. */
function converted<R extends { metadata?: { resourceVersion?: string } }, V>(
  old: Converted<R, V> | undefined,
  raw: R,
  convert: (raw: R) => V,
): Converted<R, V> {
  if (old) {
    if (old.raw === raw) return old;
    const rv = raw.metadata?.resourceVersion;
    if (rv && old.raw.metadata?.resourceVersion === rv) return { ...old, raw };
  }
  const value = convert(raw);
  const json = JSON.stringify(value);
  return old && old.json === json ? { raw, value: old.value, json } : { raw, value, json };
}

const byNamespaceAndName = (a: ClusterPod, b: ClusterPod) =>
  a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

/** where `pod` goes in the sorted `pods`: after every one that sorts before or with it */
function insertionIndex(pods: readonly ClusterPod[], pod: ClusterPod): number {
  let lo = 0;
  let hi = pods.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byNamespaceAndName(pods[mid]!, pod) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** the index of `pod` itself in the sorted `pods` */
function sortedIndexOf(pods: readonly ClusterPod[], pod: ClusterPod): number {
  let lo = 0;
  let hi = pods.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byNamespaceAndName(pods[mid]!, pod) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < pods.length && byNamespaceAndName(pods[i]!, pod) === 0; i++) if (pods[i] === pod) return i;
  return pods.indexOf(pod); // not where the order says (cannot happen): found anyway
}

/** flannel's host-gw backend names itself on every node it manages. */
function routingOf(nodes: KubeNode[]): RoutingMode {
  const backends = nodes
    .map((n) => n.metadata?.annotations?.[FLANNEL_BACKEND_ANNOTATION])
    .filter((b) => b !== undefined);
  return backends.length > 0 && backends.every((b) => b === 'host-gw') ? 'host-gw' : 'unknown';
}

/** podnet's own agents route host-gw: when a live agent holds routes it put there (its
 *  route protocol), the cluster routes so. */
function routingOfAgents(agents: Map<string, AgentView>): RoutingMode {
  for (const view of agents.values()) if (view.snapshot?.routes.some((r) => r.ownedByPodnet)) return 'host-gw';
  return 'unknown';
}

/** The pool when there are no agents: every node "none" since it was first seen. */
class NoAgentPool implements AgentPoolLike {
  private readonly since = new Map<string, string>();

  sync(targets: Map<string, string | null>): void {
    for (const name of this.since.keys()) if (!targets.has(name)) this.since.delete(name);
    for (const name of targets.keys()) if (!this.since.has(name)) this.since.set(name, new Date().toISOString());
  }

  views(): Map<string, AgentView> {
    return new Map(
      [...this.since].map(([name, since]) => [
        name,
        { status: { address: null, state: 'none', since, error: null }, snapshot: null },
      ]),
    );
  }

  close(): void {}
}
