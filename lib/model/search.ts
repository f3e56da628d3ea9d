// Search and table rows as topology.search and topology.table serve them (the server
// answers from its index, server/topology/pod-index.ts), with the page's rules
// (components/panels/SearchBox.tsx, TopologyTable.tsx): a pod's name, its namespace, an
// IP (exact or a prefix such as "10.244.2."), a node's name. Isomorphic and pure.
import type { Health, Selection, TopoFinding, TopoNode, TopoPod } from './topology';
import { parseCidr, prefixContains } from './ipv4';

export const SEARCH_LIMIT_MAX = 50;
export const TABLE_PAGE_MAX = 200;

export interface SearchResult {
  sel: Selection;
  /** lower is better: 0 exact, 1 prefix, 2 address prefix not at a dot, 3 substring,
   *  2–3 namespace, 4 node whose subnet holds the address, 6 a pod of the named node */
  score: number;
  label: string;
  detail: string;
}

export const looksLikeIp = (q: string) => /^[0-9]{1,3}(\.[0-9]{0,3}){0,3}$/.test(q);

/** How well `text` matches `q` (both lower-case): 0 exact, 1 prefix, 3 substring, null none. */
export function rank(text: string | null, q: string, substring = true): number | null {
  if (!text) return null;
  const t = text.toLowerCase();
  if (t === q) return 0;
  if (t.startsWith(q)) return 1;
  if (substring && t.includes(q)) return 3;
  return null;
}

/** An address prefix: "10.244.5" matches 10.244.5.3 (1) before 10.244.51.0/24 (2). */
export function rankIp(text: string | null, q: string): number | null {
  if (!text) return null;
  if (text === q) return 0;
  if (!text.startsWith(q)) return null;
  const next = text[q.length];
  return q.endsWith('.') || next === '.' || next === '/' ? 1 : 2;
}

const best = (...ranks: (number | null)[]): number | null => {
  let out: number | null = null;
  for (const r of ranks) if (r !== null && (out === null || r < out)) out = r;
  return out;
};

export function nodeScore(n: TopoNode, q: string, ip: boolean, fullIp: number | null): number | null {
  if (!ip) return rank(n.name, q);
  const net = fullIp !== null && n.podCIDR ? parseCidr(n.podCIDR) : null;
  return best(rankIp(n.ip, q), rankIp(n.podCIDR, q), net && prefixContains(net, fullIp!) ? 4 : null);
}

export function podScore(p: TopoPod, q: string, ip: boolean): number | null {
  if (ip) return best(rankIp(p.ip, q), rankIp(p.agentIp, q));
  // the namespace ranks after the pod's own name: "default" should not bury "default-backend"
  const ns = rank(p.namespace, q, false);
  return best(
    rank(p.name, q),
    q.includes('/') ? rank(p.key, q) : null,
    ns === null ? null : ns + 2,
    p.node?.toLowerCase() === q ? 6 : null,
  );
}

export const nodeResult = (n: TopoNode, score: number): SearchResult => ({
  sel: { kind: 'node', key: n.name },
  score,
  label: n.name,
  detail: [n.ip, n.podCIDR].filter(Boolean).join(' · ') || 'node',
});

export const podResult = (p: TopoPod, score: number): SearchResult => ({
  sel: { kind: 'pod', key: p.key },
  score,
  label: p.key,
  detail: [p.ip ?? 'no IP', p.node ?? 'unscheduled'].join(' · '),
});

/** A string whose plain `<` order is a numeric-aware, case-blind order ("pod-9" before
 *  "pod-10"): comparing 100,000 of these is far cheaper than an Intl.Collator. */
export const sortKey = (text: string) => text.toLowerCase().replace(/\d+/g, (d) => d.padStart(12, '0'));

// ---- the table

export type TableColumn = 'kind' | 'name' | 'namespace' | 'node' | 'ip' | 'veth' | 'state' | 'health' | 'findings';
export const TABLE_COLUMNS: readonly TableColumn[] = [
  'kind',
  'name',
  'namespace',
  'node',
  'ip',
  'veth',
  'state',
  'health',
  'findings',
];

export interface TableRow {
  id: string;
  sel: Selection;
  kind: 'node' | 'pod';
  name: string;
  namespace: string;
  node: string;
  ip: string;
  veth: string;
  state: string;
  health: Health;
  findings: number;
}

export const HEALTH_TEXT: Record<Health, string> = {
  healthy: 'Healthy',
  finding: 'Has findings',
  unreachable: 'Agent unreachable',
};

const joined = (parts: (string | null | false)[]) => parts.filter(Boolean).join(', ');

export function nodeRow(n: TopoNode): TableRow {
  const state = joined([
    `agent ${n.agent.state}`,
    n.ready === null ? null : n.ready ? 'Ready' : 'Not Ready',
    n.bridge !== null && !n.bridge.up && 'bridge down',
  ]);
  return {
    id: `node:${n.name}`,
    sel: { kind: 'node', key: n.name },
    kind: 'node',
    name: n.name,
    namespace: '',
    node: n.name,
    ip: n.ip ?? '',
    veth: n.bridge ? n.bridge.name : '',
    state,
    health: n.health,
    findings: n.findingCount,
  };
}

export function podRow(p: TopoPod, findings: number): TableRow {
  const veth = p.hostNetwork
    ? 'host network'
    : p.veth
      ? `${p.veth.host} (${p.veth.up === null ? 'unknown' : p.veth.up ? 'up' : 'down'})`
      : '';
  const state =
    p.veth?.up === false || (p.agentIp && p.ip && p.agentIp !== p.ip)
      ? joined([
          p.phase,
          p.veth?.up === false && 'veth down',
          p.agentIp !== null && p.agentIp !== p.ip && `agent sees ${p.agentIp}`,
        ])
      : p.phase;
  return {
    id: `pod:${p.key}`,
    sel: { kind: 'pod', key: p.key },
    kind: 'pod',
    name: p.name,
    namespace: p.namespace,
    node: p.node ?? '',
    ip: p.ip ?? '',
    veth,
    state,
    health: p.health,
    findings,
  };
}

/** the lower-case text the table's filter matches, as the page has it */
export function rowHaystack(r: TableRow, extra: { podCIDR?: string | null; agentIp?: string | null }): string {
  const text =
    r.kind === 'node'
      ? `node ${r.name} ${extra.podCIDR ?? ''} ${r.ip} ${r.veth} ${r.state} ${HEALTH_TEXT[r.health]}`
      : `pod ${r.sel.key} ${r.node} ${r.ip} ${extra.agentIp ?? ''} ${r.veth} ${r.state} ${HEALTH_TEXT[r.health]}`;
  return text.toLowerCase();
}

/** the findings list's order: errors first, then by node and object */
export function findingOrder(a: TopoFinding, b: TopoFinding): number {
  return (
    (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
    cmp(sortKey(a.node ?? ''), sortKey(b.node ?? '')) ||
    cmp(sortKey(a.object), sortKey(b.object)) ||
    cmp(a.id, b.id)
  );
}

export const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
