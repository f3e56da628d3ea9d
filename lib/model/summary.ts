// "Summary first" (issue 13): what a page loads before anything else, and what it watches
// while it shows the whole cluster — one small NodeSummary per node (pod counts by
// health, finding count, agent state, the node's routes to other nodes as a short list of
// exceptions) — and the one node's NodeDetail it fetches when it opens that node. Both
// stream as keyed changes, like the Topology (lib/model/diff.ts): a change on one node's
// pods changes that node's summary only. Isomorphic: types and pure functions.
//
// Size: a healthy node's summary is ~330 bytes of JSON whatever the cluster's size (its
// routes are a count and the exceptions, not one entry per route): ~35 KB at 100 nodes,
// ~340 KB at 1,000 (server/topology/summary.test.ts asserts the bounds).
import { parseCidr } from './ipv4';
import { slotIn } from './pod-slot';
import type { Severity } from './snapshot';
import type { AgentState, ClusterInfo, Health, TopoFinding, TopoNode, TopoPod, TopoRoute } from './topology';

/** nodes one summary subscription may focus at once (topology.focus): a page's open nodes */
export const MAX_FOCUS = 64;

/** Up to this many nodes and pods a page holds the whole topology: every pod drawn
 *  without asking, every list filtered in the page (components/data/use-topology.ts). A
 *  few thousand pods load in well under the 1 s first render (bench/README.md); the focus
 *  limit above is as many nodes. */
export const SMALL_NODES = 64;
export const SMALL_PODS = 2_000;
export const isSmallCluster = (s: ClusterSummary): boolean =>
  s.nodes.length <= SMALL_NODES && s.totals.pods <= SMALL_PODS;

/** names listed in a node's route exceptions; the rest is counted in `more` */
export const ROUTE_LIST_MAX = 16;

/**
 * The routes a node holds to other nodes' pod subnets, compactly. In host-gw every node
 * holds one route to every other node's subnet, so at 1,000 nodes there are ~1M of them:
 * the summary names the exceptions instead. `kind: 'except'`: it routes to every other
 * node with a pod subnet except `nodes` (a healthy host-gw node: `nodes` empty);
 * `kind: 'only'`: it routes to exactly `nodes` (router mode, where nodes route through
 * the router, or a node that lacks most of its routes). Whichever list is shorter is sent.
 */
export interface NodeRouteSummary {
  /** how many other nodes' pod subnets it holds a route to */
  count: number;
  kind: 'except' | 'only';
  /** at most ROUTE_LIST_MAX names */
  nodes: string[];
  /** how many names were left out of `nodes` */
  more: number;
  /** nodes whose subnet it routes via an address that is not that node's IP (at most ROUTE_LIST_MAX) */
  misrouted: string[];
  /** of `count`, routes podnet did not install */
  foreign: number;
}

export interface NodeSummary {
  name: string;
  ip: string | null;
  podCIDR: string | null;
  ready: boolean | null;
  /** how many conditions are not as they should be (the texts are in the node's detail) */
  conditions: number;
  agent: { state: AgentState; since: string; error: string | null };
  health: Health;
  /** pods on this node (the control plane's, and attachments only its agent knows) */
  pods: number;
  /** of those: [healthy, with findings, agent unreachable] */
  podHealth: [number, number, number];
  findings: number;
  /** the worst of its findings' severities (the graph's colour for its box), null without any */
  severity: Severity | null;
  /** the highest slot its pods take in its box (lib/model/pod-slot.ts; -1: none) and how
   *  many pods have no slot: a page sizes every box from these before it loads any pods */
  slots: { highest: number; unslotted: number };
  /** the bridge as its agent sees it; 'missing' when the agent found none, null without a snapshot */
  bridge: 'up' | 'down' | 'missing' | null;
  routes: NodeRouteSummary;
}

export interface SummaryTotals {
  nodes: number;
  pods: number;
  /** [healthy, with findings, agent unreachable] */
  podHealth: [number, number, number];
  /** pods without a node (unscheduled) */
  unscheduled: number;
  /** pods on a node the control plane does not list */
  elsewhere: number;
  findings: { error: number; warning: number };
}

/** what a summary says besides its nodes: compared whole, sent whole when it changes */
export interface SummaryHead {
  cluster: ClusterInfo;
  router: { ip: string } | null;
  updatedAt: string;
  totals: SummaryTotals;
}

export interface ClusterSummary extends SummaryHead {
  nodes: NodeSummary[];
}

/** One node opened: everything the page draws inside its box and lists in its panel. */
export interface NodeDetail {
  node: TopoNode;
  pods: TopoPod[];
  /** the routes it holds to other nodes' subnets */
  routes: TopoRoute[];
  /** findings on this node (its agent's, and the merge's about it and its pods) */
  findings: TopoFinding[];
}

export type SummaryChange =
  | { collection: 'nodes'; op: 'added' | 'changed'; key: string; value: NodeSummary }
  | { collection: 'nodes'; op: 'removed'; key: string }
  | { collection: 'cluster'; op: 'changed'; key: 'cluster'; value: SummaryHead };

export type NodeDetailChange =
  | { collection: 'pods' | 'routes' | 'findings'; op: 'added' | 'changed'; key: string; value: unknown }
  | { collection: 'pods' | 'routes' | 'findings'; op: 'removed'; key: string }
  | { collection: 'node'; op: 'changed'; key: string; value: TopoNode };

/** A focused node's part of an event: its whole detail (newly focused, or after a
 *  reconnect or a gap), its changes since the last event, or that it is gone. */
export type DetailUpdate =
  | { node: string; op: 'snapshot'; detail: NodeDetail }
  | { node: string; op: 'changes'; changes: NodeDetailChange[] }
  | { node: string; op: 'removed' };

/**
 * What topology.watchSummary yields. `hello` first on every connection (the subscription
 * id, whether its focus survived, the focus); then either `summary` (the whole summary and
 * a snapshot of every focused node, all at `version`) or `changes` (summary changes, and
 * for focused nodes their detail updates). A `changes` event may carry only details: a
 * node newly focused gets a snapshot at the current version.
 */
export type SummaryEvent =
  | { type: 'hello'; subscriptionId: string; resumed: boolean; focus: string[] }
  | { type: 'summary'; version: number; summary: ClusterSummary; details: DetailUpdate[] }
  | { type: 'changes'; version: number; changes: SummaryChange[]; details: DetailUpdate[] };

/** The id of each watchSummary event: "SUBSCRIPTION:VERSION" (VERSION empty before the
 *  page has any). tRPC sends the last one back on a reconnect, so the server knows both
 *  which subscription (and focus) it was and what the page already has. */
export function formatSummaryEventId(subscriptionId: string, version: number | null): string {
  return `${subscriptionId}:${version ?? ''}`;
}

export const SUMMARY_EVENT_ID = /^(?:([A-Za-z0-9_-]{1,64}):)?(\d{0,15})$/;

export function parseSummaryEventId(id: string | null | undefined): {
  subscriptionId: string | null;
  version: number | null;
} {
  const m = id ? SUMMARY_EVENT_ID.exec(id) : null;
  if (!m) return { subscriptionId: null, version: null };
  return { subscriptionId: m[1] ?? null, version: m[2] ? Number(m[2]) : null };
}

// ---- building one node's summary (pure)

/** the other nodes with a pod subnet: who a node should route to in host-gw */
export interface RouteOwners {
  /** node name → its IP, for every node with a pod subnet */
  ips: Map<string, string | null>;
}

export function routeSummary(name: string, routes: readonly TopoRoute[], owners: RouteOwners): NodeRouteSummary {
  const held = new Set<string>();
  const misrouted: string[] = [];
  let foreign = 0;
  for (const r of routes) {
    if (r.to === null || r.to === name || held.has(r.to)) continue;
    held.add(r.to);
    if (!r.ownedByPodnet) foreign++;
    const ip = owners.ips.get(r.to);
    if (ip && r.via !== null && r.via !== ip && misrouted.length < ROUTE_LIST_MAX) misrouted.push(r.to);
  }
  const others = owners.ips.size - (owners.ips.has(name) ? 1 : 0);
  const missing = others - [...held].filter((n) => owners.ips.has(n)).length;
  if (held.size <= missing) {
    const list = [...held];
    return {
      count: held.size,
      kind: 'only',
      nodes: list.slice(0, ROUTE_LIST_MAX),
      more: Math.max(0, list.length - ROUTE_LIST_MAX),
      misrouted,
      foreign,
    };
  }
  const except: string[] = [];
  let more = 0;
  for (const n of owners.ips.keys()) {
    if (n === name || held.has(n)) continue;
    if (except.length < ROUTE_LIST_MAX) except.push(n);
    else more++;
  }
  return { count: held.size, kind: 'except', nodes: except, more, misrouted, foreign };
}

export function worstSeverity(findings: readonly TopoFinding[]): Severity | null {
  let out: Severity | null = null;
  for (const f of findings) {
    out = f.severity;
    if (out === 'error') break;
  }
  return out;
}

const HEALTH_INDEX: Record<Health, 0 | 1 | 2> = { healthy: 0, finding: 1, unreachable: 2 };

export function nodeSummary(
  node: TopoNode,
  pods: readonly TopoPod[],
  routes: NodeRouteSummary,
  /** the worst severity of the findings naming this node (worstSeverity) */
  severity: Severity | null = null,
): NodeSummary {
  const podHealth: [number, number, number] = [0, 0, 0];
  const net = node.podCIDR ? parseCidr(node.podCIDR) : null;
  const slots = { highest: -1, unslotted: 0 };
  for (const p of pods) {
    podHealth[HEALTH_INDEX[p.health]]++;
    const s = slotIn(p.ip, net);
    if (s === null) slots.unslotted++;
    else if (s > slots.highest) slots.highest = s;
  }
  return {
    name: node.name,
    ip: node.ip,
    podCIDR: node.podCIDR,
    ready: node.ready,
    conditions: node.conditions.length,
    agent: { state: node.agent.state, since: node.agent.since, error: node.agent.error },
    health: node.health,
    pods: pods.length,
    podHealth,
    findings: node.findingCount,
    severity,
    slots,
    // ipForward is null exactly when there is no snapshot
    bridge: node.bridge ? (node.bridge.up ? 'up' : 'down') : node.ipForward === null ? null : 'missing',
    routes,
  };
}

/** The nodes a node holds a route to, as far as its summary names them: every other node
 *  with a subnet but the exceptions ('except'), or the listed ones ('only'; `more` unnamed). */
export function routeTargets(s: NodeSummary, nodes: readonly NodeSummary[]): string[] {
  if (s.routes.kind === 'only') return s.routes.nodes;
  const except = new Set(s.routes.nodes);
  return nodes.filter((n) => n.name !== s.name && n.podCIDR !== null && !except.has(n.name)).map((n) => n.name);
}

// ---- diff and apply

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

export const summaryHeadOf = (s: ClusterSummary): SummaryHead => ({
  cluster: s.cluster,
  router: s.router,
  updatedAt: s.updatedAt,
  totals: s.totals,
});

/** Node summaries the builder did not rebuild are the same objects: compared by identity. */
export function diffSummary(prev: ClusterSummary | null, next: ClusterSummary): SummaryChange[] {
  const out: SummaryChange[] = [];
  const head = summaryHeadOf(next);
  if (!prev || !same(summaryHeadOf(prev), head))
    out.push({ collection: 'cluster', op: 'changed', key: 'cluster', value: head });
  const before = new Map((prev?.nodes ?? []).map((n) => [n.name, n]));
  for (const n of next.nodes) {
    const old = before.get(n.name);
    if (old === undefined) out.push({ collection: 'nodes', op: 'added', key: n.name, value: n });
    else if (!same(old, n)) out.push({ collection: 'nodes', op: 'changed', key: n.name, value: n });
    before.delete(n.name);
  }
  for (const k of before.keys()) out.push({ collection: 'nodes', op: 'removed', key: k });
  return out;
}

/** The page's side: a new summary, the input left as it was; added nodes go to the end. */
export function applySummaryChanges(s: ClusterSummary, changes: readonly SummaryChange[]): ClusterSummary {
  let head: SummaryHead | null = null;
  let nodes: NodeSummary[] | null = null;
  let at: Map<string, number> | null = null;
  const removed = new Set<string>();
  for (const ch of changes) {
    if (ch.collection === 'cluster') {
      head = ch.value;
      continue;
    }
    nodes ??= [...s.nodes];
    at ??= new Map(nodes.map((n, i) => [n.name, i]));
    if (ch.op === 'removed') {
      if (at.has(ch.key)) removed.add(ch.key);
      continue;
    }
    removed.delete(ch.key);
    const i = at.get(ch.key);
    if (i === undefined) at.set(ch.key, nodes.push(ch.value) - 1);
    else nodes[i] = ch.value;
  }
  const out: ClusterSummary = { ...s, ...(head ?? {}) };
  if (nodes) out.nodes = removed.size ? nodes.filter((n) => !removed.has(n.name)) : nodes;
  return out;
}

const detailKeys = {
  pods: (p: TopoPod) => p.key,
  routes: (r: TopoRoute) => r.key,
  findings: (f: TopoFinding) => f.id,
} as const;

type DetailList = keyof typeof detailKeys;
const DETAIL_LISTS = Object.keys(detailKeys) as DetailList[];

export function diffNodeDetail(prev: NodeDetail, next: NodeDetail): NodeDetailChange[] {
  const out: NodeDetailChange[] = [];
  if (!same(prev.node, next.node))
    out.push({ collection: 'node', op: 'changed', key: next.node.name, value: next.node });
  for (const c of DETAIL_LISTS) {
    const a = prev[c] as readonly unknown[];
    const b = next[c] as readonly unknown[];
    if (a === b) continue; // the builder keeps an unchanged list's identity
    const key = detailKeys[c] as (x: unknown) => string;
    const before = new Map(a.map((x) => [key(x), x]));
    for (const v of b) {
      const k = key(v);
      const old = before.get(k);
      if (old === undefined) out.push({ collection: c, op: 'added', key: k, value: v });
      else if (!same(old, v)) out.push({ collection: c, op: 'changed', key: k, value: v });
      before.delete(k);
    }
    for (const k of before.keys()) out.push({ collection: c, op: 'removed', key: k });
  }
  return out;
}

export function applyNodeDetailChanges(d: NodeDetail, changes: readonly NodeDetailChange[]): NodeDetail {
  const out: NodeDetail = { ...d };
  const lists = new Map<DetailList, Map<string, unknown>>();
  for (const ch of changes) {
    if (ch.collection === 'node') {
      out.node = ch.value;
      continue;
    }
    let list = lists.get(ch.collection);
    if (!list) {
      const key = detailKeys[ch.collection] as (x: unknown) => string;
      list = new Map((d[ch.collection] as readonly unknown[]).map((x) => [key(x), x]));
      lists.set(ch.collection, list);
    }
    if (ch.op === 'removed') list.delete(ch.key);
    else list.set(ch.key, ch.value);
  }
  for (const [c, list] of lists) (out as unknown as Record<DetailList, unknown[]>)[c] = [...list.values()];
  return out;
}
