// The cluster summary and node details (lib/model/summary.ts), kept from the merged
// Topology node by node. Each node's pods are the merge's part for it (topologyParts:
// the merge keeps a node's pods array while nothing of the node changed), so an update
// looks at the pods of the nodes whose array is new only; a topology without parts (one
// not from mergeTopology, or with a node listed twice) is grouped by node in one pass. A
// node's part — its pods list, its summary — stays the same objects when its TopoNode,
// its routes and its pods are unchanged: the merge (MergeMemo) hands back the same
// TopoNode, the same route list and, when the control-plane pod is the same object, the
// same TopoPod; a pod rebuilt with equal content is matched field by field and the old
// object kept. So one change from one agent costs that node's part only; `stats` counts
// the work.
import type { TopoFinding, TopoNode, TopoPod, TopoRoute, Topology } from '../../lib/model/topology';
import {
  nodeSummary,
  routeSummary,
  type ClusterSummary,
  type NodeDetail,
  type NodeSummary,
  type RouteOwners,
  type SummaryTotals,
  worstSeverity,
} from '../../lib/model/summary';
import { topologyParts } from '../../lib/model/diff';
import { UNSCHEDULED, type MergeMemo } from './merge';

export interface NodePart {
  node: TopoNode;
  /** the same array while no pod of the node changed */
  pods: TopoPod[];
  /** what `pods` was made from: the merge's pods array for the node (null: grouped here) */
  from: readonly TopoPod[] | null;
  routes: readonly TopoRoute[];
  ownersKey: string;
  summary: NodeSummary;
}

export interface BuildStats {
  /** node parts rebuilt (summary recomputed), over all updates */
  nodesBuilt: number;
  /** pods matched field by field because the merge rebuilt them */
  podsCompared: number;
  /** pods looked at to tell each node's (and the orphans') pods: a topology's every pod
   *  when it has no parts, else the pods of the parts whose array is new */
  podsGrouped: number;
  updates: number;
}

const EMPTY: TopoPod[] = [];

export class SummaryBuilder {
  private parts = new Map<string, NodePart>();
  /** pods on no listed node (unscheduled, or a node the control plane does not list) */
  private orphans: TopoPod[] = EMPTY;
  /** the merge's parts the orphans were made from (null: grouped here) */
  private orphansFrom: (readonly TopoPod[])[] | null = null;
  /** the orphans' unscheduled count and health, for `orphans` as it is */
  private orphanCounts = { of: EMPTY as readonly TopoPod[], unscheduled: 0, podHealth: [0, 0, 0] };
  private findingsByNode = new Map<string, readonly TopoFinding[]>();
  /** error and warning counts by findings array (a part's, kept while the part is) */
  private severityOf = new WeakMap<readonly TopoFinding[], { error: number; warning: number }>();
  private summaryNow: ClusterSummary | null = null;
  readonly stats: BuildStats = { nodesBuilt: 0, podsCompared: 0, podsGrouped: 0, updates: 0 };

  /** Folds a new topology in; returns the nodes whose part was rebuilt (added ones too)
   *  and the ones removed. `memo` (the ClusterView's) gives each node's route list
   *  without a pass over every route (~1M at 1,000 host-gw nodes). */
  update(topo: Topology, memo?: MergeMemo): { rebuilt: Set<string>; removed: Set<string> } {
    this.stats.updates++;
    const listed = new Set<string>();
    for (const n of topo.nodes) listed.add(n.name);
    // Each listed node's pods in the topology's order, then the others' (the orphans).
    // From the merge's parts: a listed node's part holds exactly the pods naming it, in
    // order (unless a node is named "" or as the unscheduled part: grouped here then).
    const cut = listed.has('') || listed.has(UNSCHEDULED) ? undefined : topologyParts(topo);
    /** per listed node, the merge's array (cut) or the pods grouped here */
    const podsByNode = new Map<string, readonly TopoPod[]>();
    let orphanSource: (readonly TopoPod[])[] | null = null;
    let orphans: TopoPod[] | null = null;
    if (cut) {
      orphanSource = [];
      for (const [id, pods] of cut.pods) {
        if (listed.has(id)) podsByNode.set(id, pods);
        else if (pods.length) orphanSource.push(pods);
      }
      const before = this.orphansFrom;
      if (!before || before.length !== orphanSource.length || before.some((a, i) => a !== orphanSource![i]))
        orphans = this.orphansOf(orphanSource, topo, listed);
    } else {
      const grouped = new Map<string, TopoPod[]>();
      orphans = [];
      this.stats.podsGrouped += topo.pods.length;
      for (const p of topo.pods) {
        if (p.node !== null && listed.has(p.node)) {
          const list = grouped.get(p.node);
          if (list) list.push(p);
          else grouped.set(p.node, [p]);
        } else orphans.push(p);
      }
      for (const [name, pods] of grouped) podsByNode.set(name, pods);
    }
    let routesByNode: Map<string, TopoRoute[]> | null = null;
    const routesOf = (name: string): readonly TopoRoute[] => {
      const hit = memo?.routes.get(name);
      if (hit) return hit.routes;
      if (!routesByNode) {
        routesByNode = new Map();
        for (const r of topo.routes) {
          const list = routesByNode.get(r.from);
          if (list) list.push(r);
          else routesByNode.set(r.from, [r]);
        }
      }
      return routesByNode.get(name) ?? EMPTY_ROUTES;
    };

    const owners: RouteOwners = { ips: new Map() };
    for (const n of topo.nodes) if (n.podCIDR) owners.ips.set(n.name, n.ip);
    const ownersKey = topo.nodes.map((n) => (n.podCIDR ? `${n.name}=${n.ip}` : '')).join(',');

    // Findings by node and by severity: from the parts (a part's findings are the
    // topology's findings naming its node, in order; counted once per array), else one pass.
    const severity = { error: 0, warning: 0 };
    if (cut) {
      const findingsByNode = new Map<string, readonly TopoFinding[]>();
      for (const [id, list] of cut.findings) {
        if (list.length && listed.has(id)) findingsByNode.set(id, list);
        let s = this.severityOf.get(list);
        if (!s) {
          s = { error: 0, warning: 0 };
          for (const f of list) s[f.severity]++;
          this.severityOf.set(list, s);
        }
        severity.error += s.error;
        severity.warning += s.warning;
      }
      this.findingsByNode = findingsByNode;
    } else {
      const findingsByNode = new Map<string, TopoFinding[]>();
      for (const f of topo.findings) {
        severity[f.severity]++;
        if (!f.node) continue;
        const list = findingsByNode.get(f.node);
        if (list) list.push(f);
        else findingsByNode.set(f.node, [f]);
      }
      this.findingsByNode = findingsByNode;
    }

    const rebuilt = new Set<string>();
    const parts = new Map<string, NodePart>();
    for (const node of topo.nodes) {
      const old = this.parts.get(node.name);
      const routes = routesOf(node.name);
      const given = podsByNode.get(node.name) ?? EMPTY;
      const from = cut ? given : null;
      let pods: TopoPod[];
      if (old && from !== null && old.from === from) pods = old.pods;
      else {
        if (from !== null) this.stats.podsGrouped += from.length;
        pods = this.reconcile(old?.pods ?? EMPTY, given);
      }
      const severity = worstSeverity(this.findingsByNode.get(node.name) ?? EMPTY_FINDINGS);
      if (
        old &&
        old.node === node &&
        old.pods === pods &&
        old.routes === routes &&
        old.ownersKey === ownersKey &&
        old.summary.severity === severity
      ) {
        parts.set(node.name, old.from === from ? old : { ...old, from });
        continue;
      }
      const routesSame = old !== undefined && old.routes === routes && old.ownersKey === ownersKey;
      const summary = nodeSummary(
        node,
        pods,
        routesSame ? old.summary.routes : routeSummary(node.name, routes, owners),
        severity,
      );
      parts.set(node.name, { node, pods, from, routes, ownersKey, summary });
      rebuilt.add(node.name);
      this.stats.nodesBuilt++;
    }
    const removed = new Set<string>();
    for (const name of this.parts.keys()) if (!parts.has(name)) removed.add(name);
    this.parts = parts;
    if (orphans) this.orphans = this.reconcile(this.orphans, orphans);
    this.orphansFrom = orphanSource;
    const counts = this.orphanCountsNow();

    const totals: SummaryTotals = {
      nodes: topo.nodes.length,
      pods: topo.pods.length,
      podHealth: [0, 0, 0],
      unscheduled: counts.unscheduled,
      elsewhere: this.orphans.length - counts.unscheduled,
      findings: severity,
    };
    const nodes: NodeSummary[] = [];
    for (const part of parts.values()) {
      nodes.push(part.summary);
      for (let i = 0; i < 3; i++) totals.podHealth[i]! += part.summary.podHealth[i]!;
    }
    for (let i = 0; i < 3; i++) totals.podHealth[i]! += counts.podHealth[i]!;
    this.summaryNow = { cluster: topo.cluster, router: topo.router, updatedAt: topo.updatedAt, totals, nodes };
    return { rebuilt, removed };
  }

  /** The orphans in the topology's order from the merge's parts of unlisted ids: one part
   *  is in that order already; several interleave, so the topology's pods are filtered. */
  private orphansOf(sources: (readonly TopoPod[])[], topo: Topology, listed: Set<string>): TopoPod[] {
    if (sources.length === 0) return EMPTY;
    if (sources.length === 1) {
      this.stats.podsGrouped += sources[0]!.length;
      return sources[0]!.slice();
    }
    this.stats.podsGrouped += topo.pods.length;
    return topo.pods.filter((p) => p.node === null || !listed.has(p.node));
  }

  private orphanCountsNow(): { unscheduled: number; podHealth: number[] } {
    const c = this.orphanCounts;
    if (c.of === this.orphans) return c;
    const podHealth = [0, 0, 0];
    let unscheduled = 0;
    for (const p of this.orphans) {
      podHealth[p.health === 'healthy' ? 0 : p.health === 'finding' ? 1 : 2]!++;
      if (p.node === null) unscheduled++;
    }
    this.orphanCounts = { of: this.orphans, unscheduled, podHealth };
    return this.orphanCounts;
  }

  summary(): ClusterSummary {
    if (!this.summaryNow) throw new Error('SummaryBuilder: no topology folded in yet');
    return this.summaryNow;
  }

  has(name: string): boolean {
    return this.parts.has(name);
  }

  part(name: string): NodePart | undefined {
    return this.parts.get(name);
  }

  /** every node's part, then the pods on no listed node (node null) */
  buckets(): { node: string | null; pods: TopoPod[] }[] {
    const out: { node: string | null; pods: TopoPod[] }[] = [];
    for (const [name, part] of this.parts) out.push({ node: name, pods: part.pods });
    out.push({ node: null, pods: this.orphans });
    return out;
  }

  detail(name: string): NodeDetail | null {
    const part = this.parts.get(name);
    if (!part) return null;
    return {
      node: part.node,
      pods: part.pods,
      routes: part.routes as TopoRoute[],
      findings: (this.findingsByNode.get(name) ?? EMPTY_FINDINGS) as TopoFinding[],
    };
  }

  /** `next`, or `prev` itself when equal pod by pod; equal pods keep their old object. */
  private reconcile(prev: TopoPod[], next: readonly TopoPod[]): TopoPod[] {
    if (prev === next) return prev;
    let i = 0;
    if (prev.length === next.length) {
      for (; i < next.length; i++) {
        const a = prev[i]!;
        const b = next[i]!;
        if (a === b) continue;
        this.stats.podsCompared++;
        if (!samePod(a, b)) break;
      }
      if (i === next.length) return prev;
    }
    // Something differs: keep the equal ones' old objects (key by key) for the detail's diff.
    const old = new Map(prev.map((p) => [p.key, p]));
    const out = next.slice();
    for (let j = 0; j < out.length; j++) {
      const a = old.get(out[j]!.key);
      if (a && a !== out[j]) {
        this.stats.podsCompared++;
        if (samePod(a, out[j]!)) out[j] = a;
      }
    }
    return out;
  }
}

const EMPTY_ROUTES: TopoRoute[] = [];
const EMPTY_FINDINGS: TopoFinding[] = [];

const sameRecord = (a: Record<string, string>, b: Record<string, string>) => {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
};

/** Field by field, every field of TopoPod (merge.ts's podFrom builds them in one shape). */
export function samePod(a: TopoPod, b: TopoPod): boolean {
  return (
    a.key === b.key &&
    a.namespace === b.namespace &&
    a.name === b.name &&
    a.node === b.node &&
    a.ip === b.ip &&
    a.phase === b.phase &&
    a.hostNetwork === b.hostNetwork &&
    a.owner === b.owner &&
    a.agentIp === b.agentIp &&
    a.netns === b.netns &&
    a.containerID === b.containerID &&
    a.health === b.health &&
    a.seenBy.api === b.seenBy.api &&
    a.seenBy.agent === b.seenBy.agent &&
    (a.veth === b.veth ||
      (a.veth !== null &&
        b.veth !== null &&
        a.veth.host === b.veth.host &&
        a.veth.up === b.veth.up &&
        a.veth.ifname === b.veth.ifname &&
        a.veth.mac === b.veth.mac)) &&
    sameRecord(a.labels, b.labels)
  );
}
