// One pure diff for the agent's events and the dashboard's store alike: two snapshots
// in, typed changes out (added / changed / removed), each keyed so it can be applied.
import type { Address, Finding, Link, Neighbour, NodeInfo, NodeSnapshot, PodOnNode, Route } from './snapshot';

export type Collection = 'links' | 'addresses' | 'routes' | 'neighbours' | 'pods' | 'findings';

export type Change =
  | { collection: Collection; op: 'added' | 'changed'; key: string; value: unknown }
  | { collection: Collection; op: 'removed'; key: string }
  | { collection: 'node'; op: 'changed'; key: 'node'; value: NodeInfo };

export const keyOf = {
  links: (l: Link) => l.name,
  addresses: (a: Address) => `${a.link} ${a.address}/${a.prefixLen}`,
  routes: (r: Route) => `${r.dst} ${r.dev ?? ''} ${r.gateway ?? ''}`,
  neighbours: (n: Neighbour) => `${n.link} ${n.address}`,
  pods: (p: PodOnNode) => `${p.containerID} ${p.ifname}`,
  findings: (f: Finding) => f.id,
} satisfies Record<Collection, (x: never) => string>;

// Key order is fixed by the collector, so JSON text compares values cheaply and exactly.
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function diffCollection<T>(collection: Collection, key: (x: T) => string, prev: T[], next: T[], out: Change[]): void {
  const before = new Map(prev.map((x) => [key(x), x]));
  const after = new Map(next.map((x) => [key(x), x]));
  for (const [k, v] of after) {
    const old = before.get(k);
    if (old === undefined) out.push({ collection, op: 'added', key: k, value: v });
    else if (!same(old, v)) out.push({ collection, op: 'changed', key: k, value: v });
  }
  for (const k of before.keys()) if (!after.has(k)) out.push({ collection, op: 'removed', key: k });
}

export function diffSnapshots(prev: NodeSnapshot | null, next: NodeSnapshot): Change[] {
  const out: Change[] = [];
  if (!prev || !same(prev.node, next.node)) out.push({ collection: 'node', op: 'changed', key: 'node', value: next.node });
  const empty: NodeSnapshot = { ...next, links: [], addresses: [], routes: [], neighbours: [], pods: [], findings: [] };
  const p = prev ?? empty;
  diffCollection('links', keyOf.links, p.links, next.links, out);
  diffCollection('addresses', keyOf.addresses, p.addresses, next.addresses, out);
  diffCollection('routes', keyOf.routes, p.routes, next.routes, out);
  diffCollection('neighbours', keyOf.neighbours, p.neighbours, next.neighbours, out);
  diffCollection('pods', keyOf.pods, p.pods, next.pods, out);
  diffCollection('findings', keyOf.findings, p.findings, next.findings, out);
  return out;
}

/** Applies changes to a snapshot (the client side of the event stream). */
export function applyChanges(snap: NodeSnapshot, changes: Change[]): NodeSnapshot {
  const next: NodeSnapshot = { ...snap, links: [...snap.links], addresses: [...snap.addresses], routes: [...snap.routes], neighbours: [...snap.neighbours], pods: [...snap.pods], findings: [...snap.findings] };
  for (const c of changes) {
    if (c.collection === 'node') {
      if (c.op === 'changed') next.node = c.value as NodeInfo;
      continue;
    }
    const key = keyOf[c.collection] as (x: unknown) => string;
    const list = next[c.collection] as unknown[];
    const i = list.findIndex((x) => key(x) === c.key);
    if (c.op === 'removed') {
      if (i >= 0) list.splice(i, 1);
    } else if (i >= 0) list[i] = c.value;
    else list.push(c.value);
  }
  return next;
}
