// The server's index behind topology.search, topology.table and topology.findings, kept
// in shards, one per node's pods (SummaryBuilder's lists, the same array while no pod of
// the node changed): a shard is built the first time a query needs it after its node
// changed, so churn costs the changed node's shard and queries cost what they match.
//
// - search: per shard, sorted names, keys and addresses (a prefix is a binary search), a
//   trigram index of NAMESPACE/NAME for substrings of 3+ characters, the namespaces; the
//   candidates are scored with the page's own rules (lib/model/search.ts). A query of one
//   or two characters (not an address) also scans names for substrings: it matches most
//   pods anyway. Nodes (thousands at most) are scanned.
// - table: per shard, rows sorted by the asked column once; a page is a k-way merge of
//   the shards' orders up to page × pageSize + pageSize (no sort of every row per request).
//   A filter scans the rows' text (as the page's table does), shard by shard.
// - findings: sorted once per version, then sliced.
import type { TopoFinding, TopoNode, TopoPod, Topology } from '../../lib/model/topology';
import {
  cmp,
  findingOrder,
  looksLikeIp,
  nodeResult,
  nodeRow,
  nodeScore,
  podResult,
  podRow,
  podScore,
  rowHaystack,
  sortKey,
  type SearchResult,
  type TableColumn,
  type TableRow,
} from '../../lib/model/search';
import { parseIpv4 } from '../../lib/model/ipv4';
import type { SummaryBuilder } from './summary';

interface SearchShard {
  pods: TopoPod[];
  lname: string[];
  lkey: string[];
  /** indexes into pods, sorted by lname / lkey */
  byName: number[];
  byKey: number[];
  /** [address, pod index], sorted by address (ip and agentIp) */
  byIp: [string, number][];
  namespaces: Map<string, number[]>;
  trigrams: Map<string, number[]>;
  /** sortKey of each pod's key: the results' order */
  order: string[];
}

interface TableShard {
  rows: TableRow[];
  hay: string[];
  /** per column: row indexes in ascending order (ties by id) */
  orders: Map<TableColumn, number[]>;
  keys: Map<TableColumn, (string | number)[]>;
}

export interface TableQuery {
  page: number;
  pageSize: number;
  sort?: { column: TableColumn; dir: 'asc' | 'desc' };
  filter?: string;
  kind?: 'node' | 'pod';
}

export interface IndexStats {
  searchShardsBuilt: number;
  tableShardsBuilt: number;
}

const HEALTH_ORDER = { unreachable: 0, finding: 1, healthy: 2 } as const;

export class PodIndex {
  private topo: Topology | null = null;
  private version = 0;
  private podFindings = new Map<string, number>();
  /** per node: "pod=count,…" of its pods' findings, so a table shard knows its counts are current */
  private findingSig = new Map<string | null, string>();
  private search = new WeakMap<TopoPod[], SearchShard>();
  private tables = new WeakMap<TopoPod[], { sig: string; shard: TableShard }>();
  private nodeTable: { topo: Topology; shard: TableShard } | null = null;
  private findingsSorted: { topo: Topology; list: TopoFinding[] } | null = null;
  readonly stats: IndexStats = { searchShardsBuilt: 0, tableShardsBuilt: 0 };

  constructor(private readonly builder: SummaryBuilder) {}

  update(topo: Topology, version: number): void {
    this.topo = topo;
    this.version = version;
    const counts = new Map<string, number>();
    const sig = new Map<string | null, string>();
    for (const f of topo.findings) {
      if (!f.pod) continue;
      counts.set(f.pod, (counts.get(f.pod) ?? 0) + 1);
      const node = f.node && this.builder.has(f.node) ? f.node : null;
      sig.set(node, `${sig.get(node) ?? ''}${f.pod};`);
    }
    this.podFindings = counts;
    this.findingSig = sig;
  }

  /** Pods and nodes matching `query`, best first (the page's order), at most `limit`;
   *  `total` counts every match. */
  find(query: string, limit: number): { version: number; results: SearchResult[]; total: number } {
    const q = query.trim().toLowerCase();
    const out = new TopK(limit);
    if (!this.topo || q === '') return { version: this.version, results: [], total: 0 };
    const ip = looksLikeIp(q);
    const fullIp = ip ? parseIpv4(q) : null;
    for (const n of this.topo.nodes) {
      const score = nodeScore(n, q, ip, fullIp);
      if (score !== null) out.offer(nodeResult(n, score), 0, sortKey(n.name));
    }
    for (const b of this.builder.buckets()) {
      if (b.pods.length === 0) continue;
      const shard = this.searchShard(b.pods);
      for (const i of candidates(shard, q, ip, b.node?.toLowerCase() === q)) {
        const p = shard.pods[i]!;
        const score = podScore(p, q, ip);
        if (score !== null) out.offer(podResult(p, score), 1, shard.order[i]!);
      }
    }
    return { version: this.version, results: out.results(), total: out.total };
  }

  /** One page of the table (nodes' rows, then pods', unless sorted), with the total that
   *  match the filter. */
  table(query: TableQuery): { version: number; rows: TableRow[]; total: number } {
    const terms = (query.filter ?? '').trim().toLowerCase().split(/\s+/).filter(Boolean);
    const shards: TableShard[] = [];
    if (this.topo && query.kind !== 'pod') shards.push(this.nodeShard(this.topo));
    if (query.kind !== 'node')
      for (const b of this.builder.buckets()) if (b.pods.length) shards.push(this.tableShard(b.node, b.pods));
    const column = query.sort?.column ?? null;
    const sign = query.sort?.dir === 'desc' ? -1 : 1;
    // each shard's rows in the asked order, filtered
    const lists = shards.map((s) => {
      const order = column ? orderOf(s, column) : s.rows.map((_, i) => i);
      const kept = terms.length ? order.filter((i) => terms.every((t) => s.hay[i]!.includes(t))) : order;
      return { s, order: sign === 1 ? kept : kept.slice().reverse(), at: 0 };
    });
    const total = lists.reduce((n, l) => n + l.order.length, 0);
    const from = query.page * query.pageSize;
    const rows: TableRow[] = [];
    if (!column) {
      // unsorted: shards in turn (nodes first), as the topology lists them
      let skip = from;
      for (const l of lists) {
        if (skip >= l.order.length) {
          skip -= l.order.length;
          continue;
        }
        for (let k = skip; k < l.order.length && rows.length < query.pageSize; k++) rows.push(l.s.rows[l.order[k]!]!);
        skip = 0;
        if (rows.length >= query.pageSize) break;
      }
      return { version: this.version, rows, total };
    }
    const keyOf = (l: (typeof lists)[number]) => {
      const i = l.order[l.at]!;
      return { k: keysOf(l.s, column)[i]!, id: l.s.rows[i]!.id };
    };
    const before = (a: (typeof lists)[number], b: (typeof lists)[number]) => {
      const x = keyOf(a);
      const y = keyOf(b);
      return sign * (cmp(x.k, y.k) || cmp(x.id, y.id)) < 0;
    };
    const heap = new Heap(
      lists.filter((l) => l.order.length > 0),
      before,
    );
    for (let n = 0; n < from + query.pageSize && heap.size > 0; n++) {
      const l = heap.top()!;
      if (n >= from) rows.push(l.s.rows[l.order[l.at]!]!);
      l.at++;
      if (l.at < l.order.length) heap.replaceTop(l);
      else heap.pop();
    }
    return { version: this.version, rows, total };
  }

  findings(query: { page: number; pageSize: number; node?: string; severity?: 'error' | 'warning' }): {
    version: number;
    rows: TopoFinding[];
    total: number;
  } {
    if (!this.topo) return { version: this.version, rows: [], total: 0 };
    if (this.findingsSorted?.topo !== this.topo)
      this.findingsSorted = { topo: this.topo, list: [...this.topo.findings].sort(findingOrder) };
    let list = this.findingsSorted.list;
    if (query.node !== undefined) list = list.filter((f) => f.node === query.node);
    if (query.severity) list = list.filter((f) => f.severity === query.severity);
    const from = query.page * query.pageSize;
    return { version: this.version, rows: list.slice(from, from + query.pageSize), total: list.length };
  }

  private searchShard(pods: TopoPod[]): SearchShard {
    let shard = this.search.get(pods);
    if (shard) return shard;
    this.stats.searchShardsBuilt++;
    const lname = pods.map((p) => p.name.toLowerCase());
    const lkey = pods.map((p) => p.key.toLowerCase());
    const idx = pods.map((_, i) => i);
    const byIp: [string, number][] = [];
    const namespaces = new Map<string, number[]>();
    const trigrams = new Map<string, number[]>();
    pods.forEach((p, i) => {
      if (p.ip) byIp.push([p.ip, i]);
      if (p.agentIp && p.agentIp !== p.ip) byIp.push([p.agentIp, i]);
      const ns = p.namespace.toLowerCase();
      const list = namespaces.get(ns);
      if (list) list.push(i);
      else namespaces.set(ns, [i]);
      const k = lkey[i]!;
      const seen = new Set<string>();
      for (let j = 0; j + 3 <= k.length; j++) {
        const t = k.slice(j, j + 3);
        if (seen.has(t)) continue;
        seen.add(t);
        const post = trigrams.get(t);
        if (post) post.push(i);
        else trigrams.set(t, [i]);
      }
    });
    byIp.sort((a, b) => cmp(a[0], b[0]));
    shard = {
      pods,
      lname,
      lkey,
      byName: idx.slice().sort((a, b) => cmp(lname[a]!, lname[b]!)),
      byKey: idx.slice().sort((a, b) => cmp(lkey[a]!, lkey[b]!)),
      byIp,
      namespaces,
      trigrams,
      order: pods.map((p) => sortKey(p.key)),
    };
    this.search.set(pods, shard);
    return shard;
  }

  private tableShard(node: string | null, pods: TopoPod[]): TableShard {
    const sig = this.findingSig.get(node) ?? '';
    const hit = this.tables.get(pods);
    if (hit && hit.sig === sig) return hit.shard;
    this.stats.tableShardsBuilt++;
    const rows = pods.map((p) => podRow(p, this.podFindings.get(p.key) ?? 0));
    const shard: TableShard = {
      rows,
      hay: rows.map((r, i) => rowHaystack(r, { agentIp: pods[i]!.agentIp })),
      orders: new Map(),
      keys: new Map(),
    };
    this.tables.set(pods, { sig, shard });
    return shard;
  }

  private nodeShard(topo: Topology): TableShard {
    if (this.nodeTable?.topo === topo) return this.nodeTable.shard;
    const rows = topo.nodes.map(nodeRow);
    const shard: TableShard = {
      rows,
      hay: rows.map((r, i) => rowHaystack(r, { podCIDR: (topo.nodes[i] as TopoNode).podCIDR })),
      orders: new Map(),
      keys: new Map(),
    };
    this.nodeTable = { topo, shard };
    return shard;
  }
}

function keysOf(s: TableShard, column: TableColumn): (string | number)[] {
  let keys = s.keys.get(column);
  if (!keys) {
    keys = s.rows.map((r): string | number => {
      switch (column) {
        case 'findings':
          return r.findings;
        case 'health':
          return HEALTH_ORDER[r.health];
        case 'ip':
          return r.ip ? (parseIpv4(r.ip) ?? Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
        default:
          return sortKey(r[column]);
      }
    });
    s.keys.set(column, keys);
  }
  return keys;
}

function orderOf(s: TableShard, column: TableColumn): number[] {
  let order = s.orders.get(column);
  if (!order) {
    const keys = keysOf(s, column);
    order = s.rows.map((_, i) => i).sort((a, b) => cmp(keys[a]!, keys[b]!) || cmp(s.rows[a]!.id, s.rows[b]!.id));
    s.orders.set(column, order);
  }
  return order;
}

/** the first index in `order` whose text is ≥ q */
function lowerBound(order: readonly number[], text: readonly string[], q: string): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (text[order[mid]!]! < q) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every pod of the shard that can match `q` (a superset; the caller scores them). */
function candidates(s: SearchShard, q: string, ip: boolean, nodeNamed: boolean): Iterable<number> {
  if (nodeNamed) return s.pods.keys(); // every pod of the named node matches
  const out = new Set<number>();
  if (ip) {
    let lo = 0;
    let hi = s.byIp.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s.byIp[mid]![0] < q) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < s.byIp.length && s.byIp[k]![0].startsWith(q); k++) out.add(s.byIp[k]![1]);
    return out;
  }
  for (let k = lowerBound(s.byName, s.lname, q); k < s.byName.length && s.lname[s.byName[k]!]!.startsWith(q); k++)
    out.add(s.byName[k]!);
  if (q.includes('/'))
    for (let k = lowerBound(s.byKey, s.lkey, q); k < s.byKey.length && s.lkey[s.byKey[k]!]!.startsWith(q); k++)
      out.add(s.byKey[k]!);
  for (const [ns, list] of s.namespaces) if (ns.startsWith(q)) for (const i of list) out.add(i);
  if (q.length >= 3) {
    // a substring of the name (or of NAMESPACE/NAME) holds every trigram of q: the
    // shortest posting list among them is a superset of the matches
    let shortest: number[] | null = null;
    for (let j = 0; j + 3 <= q.length; j++) {
      const post = s.trigrams.get(q.slice(j, j + 3));
      if (!post) return out;
      if (!shortest || post.length < shortest.length) shortest = post;
    }
    for (const i of shortest ?? []) out.add(i);
  } else {
    s.lname.forEach((n, i) => {
      if (n.includes(q)) out.add(i);
    });
  }
  return out;
}

/** The best `limit` results in the page's order (score, nodes first, label), and a count. */
class TopK {
  private items: { r: SearchResult; kind: number; key: string }[] = [];
  total = 0;
  constructor(private readonly limit: number) {}

  offer(r: SearchResult, kind: number, key: string): void {
    this.total++;
    if (this.limit === 0) return;
    const worst = this.items.at(-1);
    if (
      this.items.length >= this.limit &&
      worst &&
      (r.score > worst.r.score || (r.score === worst.r.score && kind > worst.kind))
    )
      return;
    const item = { r, kind, key };
    const lessThan = (a: typeof item, b: typeof item) => a.r.score - b.r.score || a.kind - b.kind || cmp(a.key, b.key);
    if (this.items.length >= this.limit && lessThan(item, worst!) >= 0) return;
    let i = this.items.length;
    while (i > 0 && lessThan(item, this.items[i - 1]!) < 0) i--;
    this.items.splice(i, 0, item);
    if (this.items.length > this.limit) this.items.pop();
  }

  results(): SearchResult[] {
    return this.items.map((x) => x.r);
  }
}

class Heap<T> {
  private items: T[];
  constructor(
    items: T[],
    private readonly before: (a: T, b: T) => boolean,
  ) {
    this.items = items.slice();
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }
  get size(): number {
    return this.items.length;
  }
  top(): T | undefined {
    return this.items[0];
  }
  replaceTop(x: T): void {
    this.items[0] = x;
    this.down(0);
  }
  pop(): void {
    const last = this.items.pop()!;
    if (this.items.length) {
      this.items[0] = last;
      this.down(0);
    }
  }
  private down(i: number): void {
    const a = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}
