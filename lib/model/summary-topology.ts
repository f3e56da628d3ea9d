// The Topology a page draws when it holds the cluster as summaries (issue 13): every node,
// from its NodeSummary, and the pods, routes and findings of the nodes it has opened
// (their NodeDetails). The components draw a Topology whatever its origin; what they
// cannot know from it — how many pods a node that is not open has, its findings'
// severity, how big its box must be — they take from the summary itself (`summary` beside
// it). Isomorphic and pure.
import { routeTargets, type ClusterSummary, type NodeDetail, type NodeSummary } from './summary';
import type { TopoFinding, TopoNode, TopoPod, TopoRoute, Topology } from './topology';

/** Up to this many nodes every node's routes to the others are drawn (a row of boxes with
 *  route lanes, components/topology/to-elements.ts): for nodes not open they are made from
 *  the summary's route exceptions. Above it only open nodes' routes are drawn anyway. */
export const SUMMARY_ROUTE_NODES = 6;

/** A node that is not open, as far as its summary tells: no routing table, no bridge
 *  details, its conditions counted but not named. */
export function nodeFromSummary(s: NodeSummary): TopoNode {
  return {
    name: s.name,
    ip: s.ip,
    podCIDR: s.podCIDR,
    ready: s.ready,
    conditions: s.conditions ? [`${s.conditions} condition${s.conditions === 1 ? '' : 's'} not as expected`] : [],
    agent: { address: null, ...s.agent },
    bridge: null,
    ipForward: null,
    firewall: null,
    routes: [],
    health: s.health,
    findingCount: s.findings,
  };
}

/** The routes a node that is not open holds, as its summary names them: to each target's
 *  subnet via the target's IP (a misrouted one's gateway is not in the summary: null). */
export function routesFromSummary(s: NodeSummary, nodes: readonly NodeSummary[]): TopoRoute[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const misrouted = new Set(s.routes.misrouted);
  const out: TopoRoute[] = [];
  for (const to of routeTargets(s, nodes)) {
    const t = byName.get(to);
    if (!t?.podCIDR) continue;
    out.push({
      key: `${s.name} ${t.podCIDR}`,
      from: s.name,
      to,
      dst: t.podCIDR,
      via: misrouted.has(to) ? null : t.ip,
      dev: null,
      // which ones podnet did not install is counted, not named: the first `foreign`
      ownedByPodnet: true,
    });
  }
  return out;
}

/** a summary's node, made once per summary object: an unchanged node stays the same
 *  TopoNode, so the graph's diff sees nothing there */
const made = new WeakMap<NodeSummary, TopoNode>();

function summaryNode(s: NodeSummary): TopoNode {
  let n = made.get(s);
  if (!n) made.set(s, (n = nodeFromSummary(s)));
  return n;
}

export interface PartialTopology {
  topology: Topology;
  /** the nodes whose pods, routes and findings are in `topology` */
  loaded: Set<string>;
}

/** The Topology from a summary and the open nodes' details: the work is one pass over
 *  the nodes and the open nodes' lists. */
export function topologyFromSummary(
  summary: ClusterSummary,
  details: ReadonlyMap<string, NodeDetail>,
): PartialTopology {
  const nodes: TopoNode[] = [];
  const pods: TopoPod[] = [];
  const routes: TopoRoute[] = [];
  const findings: TopoFinding[] = [];
  const loaded = new Set<string>();
  const drawAllRoutes = summary.nodes.length <= SUMMARY_ROUTE_NODES;
  for (const s of summary.nodes) {
    const d = details.get(s.name);
    if (d) {
      loaded.add(s.name);
      nodes.push(d.node);
      for (const p of d.pods) pods.push(p);
      for (const r of d.routes) routes.push(r);
      for (const f of d.findings) findings.push(f);
      continue;
    }
    nodes.push(summaryNode(s));
    if (drawAllRoutes) for (const r of routesFromSummary(s, summary.nodes)) routes.push(r);
  }
  return {
    topology: {
      cluster: summary.cluster,
      nodes,
      pods,
      routes,
      findings,
      router: summary.router,
      updatedAt: summary.updatedAt,
    },
    loaded,
  };
}
