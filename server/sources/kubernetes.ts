// The `kubernetes` cluster source: the control plane's view from a real API server (list +
// watch of Nodes and Pods), each node's agent view from an agent pool.
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterNode, ClusterPod, RoutingMode } from '../../lib/model/topology';
import type { AgentView, ClusterSource, SourceInputs } from './source';
import {
  agentSocketDirProblem,
  FLANNEL_BACKEND_ANNOTATION,
  toClusterNode,
  toClusterPod,
  type AgentsAt,
  type KubeNode,
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
  private podCache: { version: number; pods: ClusterPod[] } | null = null;
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
    const agents = this.pool.views();
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

  // Converted once per change of their resource, not once per read: a pod event must not
  // convert every node, and the agents' sync must not convert every pod.
  private nodes(): { nodes: ClusterNode[]; routing: RoutingMode } {
    const version = this.watch?.version('nodes') ?? -1;
    if (this.nodeCache?.version !== version) {
      const raw = [...(this.watch?.nodes().values() ?? [])];
      const nodes = raw
        .map((n) => toClusterNode(n, this.agents, this.agentTls))
        .sort((a, b) => a.name.localeCompare(b.name));
      this.nodeCache = { version, nodes, routing: routingOf(raw) };
    }
    return this.nodeCache;
  }

  private pods(): ClusterPod[] {
    const version = this.watch?.version('pods') ?? -1;
    if (this.podCache?.version !== version) {
      const pods = [...(this.watch?.pods().values() ?? [])]
        .map(toClusterPod)
        .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
      this.podCache = { version, pods };
    }
    return this.podCache.pods;
  }

  private syncAgents(): void {
    const targets = new Map(this.nodes().nodes.map((n) => [n.name, n.agent] as const));
    const key = JSON.stringify([...targets]);
    if (key === this.lastTargets) return;
    this.lastTargets = key;
    this.pool.sync(targets);
  }
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
