// The dashboard's side of diffSnapshots: two topologies in, keyed changes out, and the
// client's applyTopologyChanges to replay them. Same shape as lib/model/diff.ts, but
// indexed by key, because a topology holds 10,000 pods and a findIndex per change would
// make one event cost a second.
import {
  topologyKeyOf,
  type Topology,
  type TopologyChange,
  type TopologyCollection,
} from './topology';

const COLLECTIONS = Object.keys(topologyKeyOf) as TopologyCollection[];

// Objects are built with a fixed key order, so JSON text compares them exactly. An
// unchanged object is often the same reference (the merge reuses them): skip the text.
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

export function diffTopology(prev: Topology | null, next: Topology): TopologyChange[] {
  const out: TopologyChange[] = [];
  if (!prev || !same(prev.cluster, next.cluster) || !same(prev.router, next.router) || prev.updatedAt !== next.updatedAt) {
    out.push({ collection: 'cluster', op: 'changed', key: 'cluster', value: { cluster: next.cluster, router: next.router, updatedAt: next.updatedAt } });
  }
  for (const c of COLLECTIONS) {
    const key = topologyKeyOf[c] as (x: unknown) => string;
    const before = new Map<string, unknown>((prev ? (prev[c] as unknown[]) : []).map((x) => [key(x), x]));
    const after = next[c] as unknown[];
    const seen = new Set<string>();
    for (const v of after) {
      const k = key(v);
      seen.add(k);
      const old = before.get(k);
      if (old === undefined) out.push({ collection: c, op: 'added', key: k, value: v });
      else if (!same(old, v)) out.push({ collection: c, op: 'changed', key: k, value: v });
    }
    for (const k of before.keys()) if (!seen.has(k)) out.push({ collection: c, op: 'removed', key: k });
  }
  return out;
}

/** Replays changes onto a topology; returns a new object, the input is left as it was.
 *  Order within a collection is kept, additions go to the end. */
export function applyTopologyChanges(topo: Topology, changes: TopologyChange[]): Topology {
  const next: Topology = { ...topo };
  const touched = new Map<TopologyCollection, Map<string, unknown>>();
  for (const ch of changes) {
    if (ch.collection === 'cluster') {
      if (ch.op === 'changed') Object.assign(next, ch.value);
      continue;
    }
    let index = touched.get(ch.collection);
    if (!index) {
      const key = topologyKeyOf[ch.collection] as (x: unknown) => string;
      index = new Map((topo[ch.collection] as unknown[]).map((x) => [key(x), x]));
      touched.set(ch.collection, index);
    }
    if (ch.op === 'removed') index.delete(ch.key);
    else index.set(ch.key, ch.value);
  }
  for (const [c, index] of touched) (next as unknown as Record<string, unknown[]>)[c] = [...index.values()];
  return next;
}
