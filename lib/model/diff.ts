// One diff for every model that streams as changes: the agent's NodeSnapshot (its
// events) and the dashboard's Topology (topology.watch). A model is a head, compared
// whole, and lists of objects with a key each. Two models in, typed changes out (added /
// changed / removed, each keyed), and one apply to replay them on the client's side.
import type { Address, Finding, Link, Neighbour, NodeInfo, NodeSnapshot, PodOnNode, Route } from './snapshot';
import {
  topologyKeyOf,
  type TopoFinding,
  type TopoPod,
  type TopoRoute,
  type Topology,
  type TopologyChange,
} from './topology';

export type KeyedChange<C extends string, H extends string, V> =
  | { collection: C; op: 'added' | 'changed'; key: string; value: unknown }
  | { collection: C; op: 'removed'; key: string }
  | { collection: H; op: 'changed'; key: H; value: V };

type Lists<C extends string> = { [K in C]: readonly unknown[] };

interface Shape<M extends Lists<C>, C extends string, H extends string, V> {
  head: H;
  headOf(m: M): V;
  withHead(m: M, head: V): M;
  /** one key function per list, in the order the diff reports them */
  keys: Record<C, (x: never) => string>;
}

// Objects are built with a fixed key order, so JSON text compares them exactly. An
// unchanged object is often the same reference (the topology merge reuses them): skip the text.
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

function diffBy<M extends Lists<C>, C extends string, H extends string, V>(
  shape: Shape<M, C, H, V>,
  prev: M | null,
  next: M,
  parted?: (c: C, out: KeyedChange<C, H, V>[]) => boolean,
): KeyedChange<C, H, V>[] {
  const out: KeyedChange<C, H, V>[] = [];
  const head = shape.headOf(next);
  if (!prev || !same(shape.headOf(prev), head))
    out.push({ collection: shape.head, op: 'changed', key: shape.head, value: head });
  for (const c of Object.keys(shape.keys) as C[]) {
    if (prev && prev[c] === next[c]) continue;
    if (parted?.(c, out)) continue;
    for (const ch of diffList(c, prev ? [prev[c]] : [], [next[c]], shape.keys[c] as (x: unknown) => string))
      out.push(ch);
  }
  return out;
}

/** One list's changes (the list in one or more pieces): added and changed ones in
 *  `after`'s order, then removed ones in `before`'s. */
function diffList<C extends string>(
  c: C,
  before: readonly (readonly unknown[])[],
  after: readonly (readonly unknown[])[],
  key: (x: unknown) => string,
): KeyedChange<C, never, never>[] {
  const out: KeyedChange<C, never, never>[] = [];
  const was = new Map<string, unknown>();
  const now = new Map<string, unknown>();
  for (const list of before) for (const x of list) was.set(key(x), x);
  for (const list of after) for (const x of list) now.set(key(x), x);
  for (const [k, v] of now) {
    const old = was.get(k);
    if (old === undefined) out.push({ collection: c, op: 'added', key: k, value: v });
    else if (!same(old, v)) out.push({ collection: c, op: 'changed', key: k, value: v });
  }
  for (const k of was.keys()) if (!now.has(k)) out.push({ collection: c, op: 'removed', key: k });
  return out;
}

/** A copy of one list with a key → position index. A topology holds 10,000 pods: a
 *  findIndex per change would make one event cost a second. */
function indexedList(items: readonly unknown[], key: (x: unknown) => string) {
  const list = [...items];
  const at = new Map<string, number>();
  list.forEach((x, i) => {
    const k = key(x);
    if (!at.has(k)) at.set(k, i);
  });
  // A removal leaves a hole, dropped once at the end, so the index stays true meanwhile.
  const holes = new Set<number>();
  return {
    remove(k: string) {
      const i = at.get(k);
      if (i === undefined) return;
      holes.add(i);
      at.delete(k);
    },
    put(k: string, value: unknown) {
      const i = at.get(k);
      if (i !== undefined) list[i] = value;
      else at.set(k, list.push(value) - 1);
    },
    items: () => (holes.size ? list.filter((_, i) => !holes.has(i)) : list),
  };
}

/** Returns a new model, the input is left as it was. Order within a list is kept,
 *  additions go to the end; removing what is not there does nothing. */
function applyBy<M extends Lists<C>, C extends string, H extends string, V>(
  shape: Shape<M, C, H, V>,
  model: M,
  changes: readonly KeyedChange<C, H, V>[],
): M {
  let head: { value: V } | null = null;
  const lists = new Map<C, ReturnType<typeof indexedList>>();
  for (const ch of changes) {
    if (ch.collection === shape.head) {
      if (ch.op === 'changed') head = { value: ch.value as V };
      continue;
    }
    const c = ch.collection as C;
    let list = lists.get(c);
    if (!list) lists.set(c, (list = indexedList(model[c], shape.keys[c] as (x: unknown) => string)));
    if (ch.op === 'removed') list.remove(ch.key);
    else list.put(ch.key, ch.value);
  }
  const next: M = { ...model };
  for (const [c, list] of lists) (next as Record<C, readonly unknown[]>)[c] = list.items();
  return head ? shape.withHead(next, head.value) : next;
}

// ---- the agent's NodeSnapshot

export type Collection = 'links' | 'addresses' | 'routes' | 'neighbours' | 'pods' | 'findings';
export type Change = KeyedChange<Collection, 'node', NodeInfo>;

export const keyOf = {
  links: (l: Link) => l.name,
  addresses: (a: Address) => `${a.link} ${a.address}/${a.prefixLen}`,
  routes: (r: Route) => `${r.dst} ${r.dev ?? ''} ${r.gateway ?? ''}`,
  neighbours: (n: Neighbour) => `${n.link} ${n.address}`,
  pods: (p: PodOnNode) => `${p.containerID} ${p.ifname}`,
  findings: (f: Finding) => f.id,
} satisfies Record<Collection, (x: never) => string>;

const snapshotShape: Shape<NodeSnapshot, Collection, 'node', NodeInfo> = {
  head: 'node',
  headOf: (s) => s.node,
  withHead: (s, node) => ({ ...s, node }),
  keys: keyOf,
};

export function diffSnapshots(prev: NodeSnapshot | null, next: NodeSnapshot): Change[] {
  return diffBy(snapshotShape, prev, next);
}

/** Applies changes to a snapshot (the client side of the event stream). */
export function applyChanges(snap: NodeSnapshot, changes: readonly Change[]): NodeSnapshot {
  return applyBy(snapshotShape, snap, changes);
}

// ---- the dashboard's Topology

type TopologyHead = Pick<Topology, 'cluster' | 'router' | 'updatedAt'>;

const topologyShape: Shape<Topology, keyof typeof topologyKeyOf, 'cluster', TopologyHead> = {
  head: 'cluster',
  headOf: (t) => ({ cluster: t.cluster, router: t.router, updatedAt: t.updatedAt }),
  withHead: (t, head) => ({ ...t, ...head }),
  keys: topologyKeyOf,
};

/**
 * A Topology's lists cut into parts (a node's pods, routes, findings; mergeTopology
 * registers them): each list is its parts' items, and within a part in the list's order.
 * A part that is the same array in both topologies holds the same objects, so
 * diffTopology skips it without looking at its items, as long as no key is in two parts
 * (`apart`, per list): one change then costs the parts it touched, not the cluster.
 */
export interface TopologyParts {
  pods: ReadonlyMap<string, readonly TopoPod[]>;
  routes: ReadonlyMap<string, readonly TopoRoute[]>;
  findings: ReadonlyMap<string, readonly TopoFinding[]>;
  apart: Record<'pods' | 'routes' | 'findings', boolean>;
}

type Parted = keyof TopologyParts['apart'];
const partsOf = new WeakMap<Topology, TopologyParts>();

/** Registers how `topo`'s lists are cut into parts (kept beside it, not in it: it is not sent). */
export function setTopologyParts(topo: Topology, parts: TopologyParts): void {
  partsOf.set(topo, parts);
}

export function topologyParts(topo: Topology): TopologyParts | undefined {
  return partsOf.get(topo);
}

export const diffStats = { parted: 0, whole: 0 };

export function diffTopology(prev: Topology | null, next: Topology): TopologyChange[] {
  const a = prev ? partsOf.get(prev) : undefined;
  const b = partsOf.get(next);
  if (!prev || !a || !b) return diffBy(topologyShape, prev, next);
  return diffBy(topologyShape, prev, next, (c, out) => {
    if (c === 'nodes' || !a.apart[c as Parted] || !b.apart[c as Parted]) return false;
    return diffParts(
      c as Parted,
      prev[c as Parted],
      next[c as Parted],
      a[c as Parted],
      b[c as Parted],
      out as TopologyChange[],
    );
  });
}

/** The changes of one list from its parts that are not the same arrays; false (nothing
 *  done) when those hold more than a quarter of the list: the whole diff then. */
function diffParts(
  c: Parted,
  beforeList: readonly unknown[],
  afterList: readonly unknown[],
  before: ReadonlyMap<string, readonly unknown[]>,
  after: ReadonlyMap<string, readonly unknown[]>,
  out: TopologyChange[],
): boolean {
  const was: (readonly unknown[])[] = [];
  const now: (readonly unknown[])[] = [];
  let size = 0;
  for (const [id, list] of after) {
    const old = before.get(id);
    if (old === list) continue;
    now.push(list);
    size += list.length;
    if (old) {
      was.push(old);
      size += old.length;
    }
  }
  for (const [id, list] of before)
    if (!after.has(id)) {
      was.push(list);
      size += list.length;
    }
  if (size > Math.max(256, (beforeList.length + afterList.length) / 4)) {
    diffStats.whole++;
    return false;
  }
  diffStats.parted++;
  const key = topologyKeyOf[c] as (x: unknown) => string;
  const changes: TopologyChange[] = diffList(c, was, now, key);
  // Parts in turn are not the list's order: put the changes in it (one pass over the keys).
  const added = changes.filter((ch) => ch.op !== 'removed');
  const removed = changes.filter((ch) => ch.op === 'removed');
  if (now.length > 1 && added.length > 1) inListOrder(added, afterList, key);
  if (was.length > 1 && removed.length > 1) inListOrder(removed, beforeList, key);
  for (const ch of added) out.push(ch);
  for (const ch of removed) out.push(ch);
  return true;
}

/** Sorts changes by where their key first is in `list`. */
function inListOrder(changes: TopologyChange[], list: readonly unknown[], key: (x: unknown) => string): void {
  const want = new Set(changes.map((ch) => ch.key));
  const at = new Map<string, number>();
  for (let i = 0; i < list.length && at.size < want.size; i++) {
    const k = key(list[i]);
    if (want.has(k) && !at.has(k)) at.set(k, i);
  }
  changes.sort((x, y) => at.get(x.key)! - at.get(y.key)!);
}

/** Replays changes onto a topology (the page's side of topology.watch). */
export function applyTopologyChanges(topo: Topology, changes: readonly TopologyChange[]): Topology {
  return applyBy(topologyShape, topo, changes);
}
