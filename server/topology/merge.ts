// One Topology from the two views of a cluster: the control plane's (which pods exist,
// on which node, with which IP) and the data plane's (what each node's agent found in
// the kernel). Where they disagree, that is a finding: a pod the API runs on node2 with
// 10.244.2.5 that has no veth there, or another IP, is exactly what an engineer at 2 a.m.
// needs to see. Pure: the same inputs give the same Topology (fixtures test it).
import type { Link, NodeSnapshot, PodOnNode, Route } from '../../lib/model/snapshot';
import { setTopologyParts } from '../../lib/model/diff';
import type {
  ClusterInfo,
  ClusterNode,
  ClusterPod,
  Health,
  Topology,
  TopoFinding,
  TopoNode,
  TopoPod,
  TopoRoute,
} from '../../lib/model/topology';
import { formatCidr, maskOf, parseCidr, prefixContains } from '../../lib/model/ipv4';
import type { AgentView, SourceInputs } from '../sources/source';

const NO_AGENT: AgentView = {
  status: { address: null, state: 'none', since: new Date(0).toISOString(), error: null },
  snapshot: null,
};

/** the part of the pods the control plane has not scheduled (node null or "") */
export const UNSCHEDULED = '\u0000unscheduled';
/** the router's routes (router mode), among the routes' parts */
const ROUTER = '\u0000router';
const NO_CLUSTER_PODS: readonly ClusterPod[] = [];

/**
 * What the merge made of one node (or of the pods on a node the control plane does not
 * list, or of the unscheduled ones) from its inputs: the node, its agent's view and its
 * control-plane pods. Kept while those are the same references, so a change on one node
 * rebuilds that node's part only. Never changed once settled: replaced.
 */
interface Part {
  id: string;
  listed: boolean;
  n: ClusterNode | undefined;
  view: AgentView;
  status: string;
  source: ClusterInfo['source'];
  /** its control-plane pods, in the plane's order */
  plane: readonly ClusterPod[];
  /** the attachment each `plane` entry was found with, and its host-side link */
  found: (PodOnNode | null)[];
  links: (Link | undefined)[];
  /** one TopoPod per `plane` entry */
  apiPods: TopoPod[];
  /** attachments no control-plane pod accounts for */
  extraPods: TopoPod[];
  /** apiPods then extraPods: the part's share of Topology.pods, in the same order */
  pods: TopoPod[];
  /** agent findings, then the node's own */
  head: TopoFinding[];
  /** per `plane` entry, its findings (null: none) */
  podFindings: (TopoFinding[] | null)[];
  podFindingCount: number;
  /** the pod-unknown findings of extraPods */
  tail: TopoFinding[];
  /** head, pod findings, tail: the part's share of Topology.findings, in the same order */
  findings: TopoFinding[];
  /** the pod keys its findings name (a pod with one is shown as "finding") */
  findingKeys: ReadonlySet<string>;
  /** its pods' keys, each once */
  podKeys: ReadonlySet<string>;
  node: TopoNode | null;
  /** pods built by this merge, whose health may still be set in place */
  fresh: Set<TopoPod> | null;
  /** scratch: the next `plane` entry while the flat list is built */
  cursor: number;
}

export interface MergeStats {
  merges: number;
  /** parts (a node's pods, findings and TopoNode) built, over all merges */
  partsBuilt: number;
  /** parts whose pods' health alone was refreshed (a finding elsewhere began or ceased to name one of their pods) */
  healthRefreshed: number;
  /** the parts the last merge built: node names, "(unscheduled)" */
  lastBuilt: string[];
}

/** What the last merge built, so the next one rebuilds only the nodes whose inputs
 *  (their ClusterNode, their agent's snapshot and status, their control-plane pods) are
 *  not the same references as before, and reuses every other node's TopoNode, TopoPods,
 *  routes and findings — and their arrays — as they were. Within a rebuilt node a pod
 *  whose ClusterPod and attachment are the same objects keeps its TopoPod. When nothing
 *  changed the merge returns the last Topology itself. Results are the same with or
 *  without a memo (the tests merge without). */
export class MergeMemo {
  readonly pods = new WeakMap<ClusterPod, { found: PodOnNode | null; link: Link | undefined; pod: TopoPod }>();
  readonly podIndex = new WeakMap<NodeSnapshot, Map<string, PodOnNode>>();
  readonly linkIndex = new WeakMap<NodeSnapshot, Map<string, Link>>();
  /** each node's cross-node routes, kept while its snapshot's route list and the subnets' owners are the same */
  readonly routes = new Map<string, { in: readonly Route[] | null; owners: string; routes: TopoRoute[] }>();
  readonly stats: MergeStats = { merges: 0, partsBuilt: 0, healthRefreshed: 0, lastBuilt: [] };
  /** the parts by id (node name) */
  parts = new Map<string, Part>();
  /** for each pod key a finding names, how many parts name it */
  readonly findingKeyCount = new Map<string, number>();
  /** for each pod key, how many parts hold a pod with it; and how many keys are in more than one */
  readonly podKeyCount = new Map<string, number>();
  sharedPodKeys = 0;
  last: {
    topo: Topology;
    planePods: readonly ClusterPod[];
    planeNodes: readonly ClusterNode[];
    info: string;
    router: string;
    routeLists: readonly (readonly TopoRoute[])[];
  } | null = null;
  owners: Owners | null = null;
  routerRoutes: { nodes: readonly ClusterNode[]; router: string; routes: TopoRoute[] } | null = null;
}

interface Owners {
  nodes: readonly ClusterNode[];
  owners: { name: string; cidr: { network: number; length: number } }[];
  /** by the canonical text ("network/len") of each node's subnet, the owner the scan in
   *  order finds for exactly that subnet (the first node whose subnet contains it) */
  exact: Map<string, string>;
  key: string;
  /** a node name listed twice */
  duplicates: boolean;
  /** no route key can be in two nodes' parts (no name has a space or is "router") */
  routeKeysApart: boolean;
}

export function mergeTopology(inputs: SourceInputs, readOnly: boolean, memo: MergeMemo = new MergeMemo()): Topology {
  const { plane, agents } = inputs;
  const source = inputs.info.source;
  memo.stats.merges++;
  const last = memo.last;
  const before = memo.parts;
  const owners = ownersOf(plane.nodes, memo);

  // The control-plane pods by node: one pass of pointer pushes, none when the list is the same array.
  let groups: Map<string, ClusterPod[]> | null = null;
  if (!last || last.planePods !== plane.pods) {
    groups = new Map();
    for (const p of plane.pods) {
      const id = p.node || UNSCHEDULED;
      const g = groups.get(id);
      if (g) g.push(p);
      else groups.set(id, [p]);
    }
  }

  // The parts: every listed node, then each other node the pods name, and the unscheduled.
  const ids: { id: string; n: ClusterNode | undefined }[] = [];
  const listed = new Set<string>();
  for (const n of plane.nodes) {
    if (listed.has(n.name)) continue; // a name listed twice: its first entry (its part serves both)
    listed.add(n.name);
    ids.push({ id: n.name, n });
  }
  if (groups) {
    for (const id of groups.keys()) if (!listed.has(id)) ids.push({ id, n: undefined });
  } else {
    for (const part of before.values())
      if (!listed.has(part.id) && part.plane.length) ids.push({ id: part.id, n: undefined });
  }

  const parts = new Map<string, Part>();
  const rebuilt: Part[] = [];
  /** finding keys counted up or down by this merge: were they named before it */
  const touched = new Map<string, boolean>();
  const count = (m: Map<string, number>, k: string, d: number): number => {
    const was = m.get(k) ?? 0;
    if (was + d === 0) m.delete(k);
    else m.set(k, was + d);
    return was;
  };
  const enlist = (part: Part, d: 1 | -1) => {
    for (const k of part.findingKeys) {
      const was = count(memo.findingKeyCount, k, d);
      if (!touched.has(k)) touched.set(k, was > 0);
    }
    for (const k of part.podKeys) {
      const was = count(memo.podKeyCount, k, d);
      if (d === 1 && was === 1) memo.sharedPodKeys++;
      if (d === -1 && was === 2) memo.sharedPodKeys--;
    }
  };
  for (const { id, n } of ids) {
    const view = id === UNSCHEDULED ? NO_AGENT : (agents.get(id) ?? NO_AGENT);
    const group = groups ? (groups.get(id) ?? NO_CLUSTER_PODS) : (before.get(id)?.plane ?? NO_CLUSTER_PODS);
    const old = before.get(id);
    const status = old && old.view === view ? old.status : JSON.stringify(view.status);
    if (
      old &&
      old.n === n &&
      old.view.snapshot === view.snapshot &&
      old.status === status &&
      old.source === source &&
      sameItems(old.plane, group)
    ) {
      parts.set(id, old);
      continue;
    }
    const part = buildPart(id, n, view, status, source, group, memo, old);
    if (old) enlist(old, -1);
    enlist(part, 1);
    parts.set(id, part);
    rebuilt.push(part);
  }
  for (const [id, old] of before) if (!parts.has(id)) enlist(old, -1);
  memo.stats.partsBuilt += rebuilt.length;
  memo.stats.lastBuilt = rebuilt.map((p) => (p.id === UNSCHEDULED ? '(unscheduled)' : p.id));

  // Health: "finding" when any part's finding names the pod's key. A rebuilt part sets its
  // pods' now; another part only when a key it holds began or ceased to be named.
  for (const part of rebuilt) settleHealth(part, memo);
  const flipped: string[] = [];
  for (const [k, was] of touched) if (memo.findingKeyCount.has(k) !== was) flipped.push(k);
  if (flipped.some((k) => (memo.podKeyCount.get(k) ?? 0) > 1 || !rebuilt.some((p) => p.podKeys.has(k)))) {
    const keys = new Set(flipped);
    const fresh = new Set(rebuilt);
    for (const [id, part] of parts) {
      if (fresh.has(part) || !part.pods.some((p) => keys.has(p.key))) continue;
      const refreshed = refreshHealth(part, memo);
      if (refreshed !== part) {
        parts.set(id, refreshed);
        memo.stats.healthRefreshed++;
      }
    }
  }
  memo.parts = parts;

  // The flat lists, in the order of a merge without parts: the control-plane pods in the
  // plane's order, then each listed node's attachments no pod accounts for; each listed
  // node's findings (its agent's, its own), every pod's in the plane's order, then the
  // pod-unknown ones. Built again only when a part changed.
  const prev = last?.topo;
  const nodeParts = plane.nodes.map((n) => parts.get(n.name)!);
  let pods: TopoPod[];
  let findings: TopoFinding[];
  if (
    prev &&
    last!.planePods === plane.pods &&
    last!.planeNodes === plane.nodes &&
    parts.size === before.size &&
    [...parts].every(([id, part]) => before.get(id) === part)
  ) {
    pods = prev.pods;
    findings = prev.findings;
  } else {
    pods = new Array<TopoPod>(plane.pods.length);
    const podFindings: TopoFinding[] = [];
    let anyPodFindings = false;
    for (const part of parts.values()) if (part.podFindingCount > 0) anyPodFindings = true;
    // a run of one node's pods costs one lookup
    for (const part of parts.values()) part.cursor = 0;
    let runId: string | null = null;
    let run: Part | null = null;
    for (let i = 0; i < plane.pods.length; i++) {
      const id = plane.pods[i]!.node || UNSCHEDULED;
      if (id !== runId) {
        runId = id;
        run = parts.get(id)!;
      }
      const at = run!.cursor++;
      pods[i] = run!.apiPods[at]!;
      if (anyPodFindings) {
        const pf = run!.podFindings[at];
        if (pf) for (const f of pf) podFindings.push(f);
      }
    }
    for (const part of nodeParts) for (const p of part.extraPods) pods.push(p);
    findings = [];
    for (const part of nodeParts) for (const f of part.head) findings.push(f);
    for (const f of podFindings) findings.push(f);
    for (const part of nodeParts) for (const f of part.tail) findings.push(f);
    if (prev && sameItems(prev.pods, pods)) pods = prev.pods;
    if (prev && sameItems(prev.findings, findings)) findings = prev.findings;
  }

  const routeLists = crossNodeRoutes(plane.nodes, agents, plane.router, memo, owners);
  const nodes = nodeParts.map((p) => p.node!);

  const updated = [...agents.values()]
    .map((a) => a.snapshot?.collectedAt ?? '')
    .concat(inputs.plane.nodes.length ? [] : ['']);
  const updatedAt = updated.sort().at(-1) || new Date(0).toISOString();
  const info = JSON.stringify(inputs.info);
  const router = JSON.stringify(plane.router);
  const next = {
    planePods: plane.pods,
    planeNodes: plane.nodes,
    info,
    router,
    routeLists,
  };
  const sameNodes = prev !== undefined && sameItems(prev.nodes, nodes);
  if (
    prev &&
    sameNodes &&
    pods === prev.pods &&
    findings === prev.findings &&
    sameLists(last!.routeLists, routeLists) &&
    last!.info === info &&
    last!.router === router &&
    prev.cluster.readOnly === readOnly &&
    prev.updatedAt === updatedAt
  ) {
    memo.last = { ...next, topo: prev, routeLists: last!.routeLists };
    return prev;
  }
  const topo: Topology = {
    cluster: { ...inputs.info, readOnly },
    nodes: sameNodes ? prev!.nodes : nodes,
    pods,
    routes: prev && sameLists(last!.routeLists, routeLists) ? prev.routes : routeLists.flat(),
    findings,
    router: plane.router,
    updatedAt,
  };
  if (!owners.duplicates) {
    const podParts = new Map<string, readonly TopoPod[]>();
    const findingParts = new Map<string, readonly TopoFinding[]>();
    let findingKeysApart = true;
    for (const [id, part] of parts) {
      podParts.set(id, part.pods);
      findingParts.set(id, part.findings);
      if (id.includes('/')) findingKeysApart = false;
    }
    const routeParts = new Map<string, readonly TopoRoute[]>();
    plane.nodes.forEach((n, i) => routeParts.set(n.name, routeLists[i]!));
    if (plane.router) routeParts.set(ROUTER, routeLists[plane.nodes.length]!);
    setTopologyParts(topo, {
      pods: podParts,
      routes: routeParts,
      findings: findingParts,
      apart: { pods: memo.sharedPodKeys === 0, routes: owners.routeKeysApart, findings: findingKeysApart },
    });
  }
  memo.last = { ...next, topo };
  return topo;
}

const sameItems = <T>(a: readonly T[], b: readonly T[]): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
const sameLists = <T>(a: readonly (readonly T[])[], b: readonly (readonly T[])[]): boolean => sameItems(a, b);

function buildPart(
  id: string,
  n: ClusterNode | undefined,
  view: AgentView,
  status: string,
  source: ClusterInfo['source'],
  plane: readonly ClusterPod[],
  memo: MergeMemo,
  old: Part | undefined,
): Part {
  const snap = view.snapshot;
  const head: TopoFinding[] = [];
  // Agent findings, scoped by node (their ids are unique per node only).
  if (n && snap) {
    const byVeth = new Map(snap.pods.map((p) => [p.hostVeth, p]));
    for (const f of snap.findings) {
      const veth = f.id.includes(':') ? f.id.slice(f.id.indexOf(':') + 1) : '';
      const pod = byVeth.get(veth);
      head.push({ ...f, id: `${n.name}/${f.id}`, node: n.name, pod: pod ? agentPodKey(pod) : null, source: 'agent' });
    }
  }
  if (n) head.push(...nodeFindings(n, view, source));

  const index = snap ? podIndexOf(memo, snap) : null;
  const linkOf = (a: PodOnNode | null): Link | undefined =>
    a && snap ? linkIndexOf(memo, snap).get(a.hostVeth) : undefined;
  const links = new Array<Link | undefined>(plane.length);
  const claimed = new Set<PodOnNode>();
  const fresh = new Set<TopoPod>();
  const found = new Array<PodOnNode | null>(plane.length);
  const apiPods = new Array<TopoPod>(plane.length);
  const perPod = new Array<TopoFinding[] | null>(plane.length);
  let podFindingCount = 0;
  for (let i = 0; i < plane.length; i++) {
    const p = plane[i]!;
    const a = index && !p.hostNetwork ? (index.get(`${p.namespace}/${p.name}`) ?? null) : null;
    if (a) claimed.add(a);
    found[i] = a;
    const link = (links[i] = linkOf(a));
    const hit = memo.pods.get(p);
    if (hit && hit.found === a && hit.link === link) apiPods[i] = hit.pod;
    else fresh.add((apiPods[i] = podFrom(p, a, link)));
    const pf = podFindings(p, a, view);
    perPod[i] = pf.length ? pf : null;
    podFindingCount += pf.length;
  }
  // Attachments no control-plane pod accounts for: a sandbox the API has forgotten.
  const extraPods: TopoPod[] = [];
  const tail: TopoFinding[] = [];
  if (n) {
    for (const a of snap?.pods ?? []) {
      if (claimed.has(a)) continue;
      const key = agentPodKey(a);
      const pod = podFrom(
        {
          namespace: a.namespace ?? '(unknown)',
          name: a.name ?? a.containerID.slice(0, 12),
          node: n.name,
          ip: a.ip,
          phase: 'Unknown',
          hostNetwork: false,
          labels: {},
          owner: null,
        },
        a,
        linkOf(a),
        false,
      );
      extraPods.push(pod);
      fresh.add(pod);
      tail.push({
        id: `${n.name}/pod-unknown:${key}`,
        severity: 'warning',
        object: `attachment ${a.containerID.slice(0, 12)}/${a.ifname}`,
        message: `${n.name} has a pod network attachment for ${key} (${a.ip ?? 'no IP'}) that the control plane does not list`,
        expected: 'a pod for every attachment',
        actual: `${a.hostVeth} with ${a.ip ?? 'no IP'}, no pod`,
        fix: 'if the pod is gone, let the runtime run CNI GC (or CNI DEL for its container)',
        node: n.name,
        pod: key,
        source: 'merge',
      });
    }
  }
  const findings: TopoFinding[] = head.slice();
  if (podFindingCount) for (const pf of perPod) if (pf) findings.push(...pf);
  for (const f of tail) findings.push(f);
  const findingKeys = new Set<string>();
  for (const f of findings) if (f.pod) findingKeys.add(f.pod);
  const podKeys = new Set<string>();
  for (const p of apiPods) podKeys.add(p.key);
  for (const p of extraPods) podKeys.add(p.key);

  let node: TopoNode | null = null;
  if (n) {
    const count = findings.length;
    const reuse =
      old?.node &&
      old.n === n &&
      old.view.snapshot === snap &&
      old.status === status &&
      old.node.findingCount === count;
    node = reuse ? old.node : nodeFrom(n, view, count);
  }
  return {
    id,
    listed: n !== undefined,
    n,
    view,
    status,
    source,
    plane,
    found,
    links,
    apiPods,
    extraPods,
    pods: apiPods, // set by settleHealth
    head,
    podFindings: perPod,
    podFindingCount,
    tail,
    findings,
    findingKeys,
    podKeys,
    node,
    fresh,
    cursor: 0,
  };
}

/** The health of a part's pods, once every part's findings are counted. */
const healthOf = (part: Part, memo: MergeMemo, p: TopoPod): Health =>
  part.listed && part.view.status.state === 'unreachable'
    ? 'unreachable'
    : memo.findingKeyCount.has(p.key)
      ? 'finding'
      : 'healthy';

/** Sets the health of a rebuilt part's pods: in place on the ones it built, by copy on
 *  reused ones (they are shared with the last topology: replaced, never changed). */
function settleHealth(part: Part, memo: MergeMemo): void {
  const fresh = part.fresh!;
  const set = (p: TopoPod): TopoPod => {
    const health = healthOf(part, memo, p);
    return fresh.has(p) ? Object.assign(p, { health }) : p.health === health ? p : { ...p, health };
  };
  for (let i = 0; i < part.apiPods.length; i++) {
    const pod = set(part.apiPods[i]!);
    part.apiPods[i] = pod;
    memo.pods.set(part.plane[i]!, { found: part.found[i]!, link: part.links[i], pod });
  }
  for (const p of part.extraPods) set(p);
  part.pods = part.extraPods.length ? [...part.apiPods, ...part.extraPods] : part.apiPods;
  part.fresh = null;
}

/** A kept part with its pods' health as it is now: itself when none changed. */
function refreshHealth(part: Part, memo: MergeMemo): Part {
  let changed = false;
  const apiPods = part.apiPods.map((p, i) => {
    const health = healthOf(part, memo, p);
    if (p.health === health) return p;
    changed = true;
    const pod = { ...p, health };
    memo.pods.set(part.plane[i]!, { found: part.found[i]!, link: part.links[i], pod });
    return pod;
  });
  const extraPods = part.extraPods.map((p) => {
    const health = healthOf(part, memo, p);
    if (p.health === health) return p;
    changed = true;
    return { ...p, health };
  });
  if (!changed) return part;
  return { ...part, apiPods, extraPods, pods: extraPods.length ? [...apiPods, ...extraPods] : apiPods };
}

/** The subnets' owners, once per plane.nodes array. */
function ownersOf(nodes: readonly ClusterNode[], memo: MergeMemo): Owners {
  if (memo.owners?.nodes === nodes) return memo.owners;
  const owners = nodes.flatMap((n) => {
    const cidr = n.podCIDR ? parseCidr(n.podCIDR) : null;
    return cidr ? [{ name: n.name, cidr }] : [];
  });
  // Each subnet's owner as the scan finds it: the first of the subnets that equal it or
  // contain it, i.e. whose canonical text is its network masked to 0..len bits.
  const first = new Map<string, number>();
  owners.forEach((o, i) => {
    const k = `${o.cidr.network}/${o.cidr.length}`;
    if (!first.has(k)) first.set(k, i);
  });
  const exact = new Map<string, string>();
  for (const o of owners) {
    const text = formatCidr(o.cidr);
    if (exact.has(text)) continue;
    let best = owners.length;
    for (let len = 0; len <= o.cidr.length; len++) {
      const i = first.get(`${(o.cidr.network & maskOf(len)) >>> 0}/${len}`);
      if (i !== undefined && i < best) best = i;
    }
    exact.set(text, owners[best]!.name);
  }
  const names = new Set(nodes.map((n) => n.name));
  memo.owners = {
    nodes,
    owners,
    exact,
    key: owners.map((o) => `${o.name}=${o.cidr.network}/${o.cidr.length}`).join(','),
    duplicates: names.size !== nodes.length,
    routeKeysApart: !names.has('router') && nodes.every((n) => !n.name.includes(' ')),
  };
  return memo.owners;
}

/** a snapshot's attachments by NAMESPACE/NAME, built once per snapshot */
function podIndexOf(memo: MergeMemo, snap: NodeSnapshot): Map<string, PodOnNode> {
  let index = memo.podIndex.get(snap);
  if (!index) {
    index = new Map(snap.pods.map((a) => [`${a.namespace}/${a.name}`, a]));
    memo.podIndex.set(snap, index);
  }
  return index;
}

/** a snapshot's links by name (the first of a name), built once per snapshot */
function linkIndexOf(memo: MergeMemo, snap: NodeSnapshot): Map<string, Link> {
  let index = memo.linkIndex.get(snap);
  if (!index) {
    index = new Map();
    for (const l of snap.links) if (!index.has(l.name)) index.set(l.name, l);
    memo.linkIndex.set(snap, index);
  }
  return index;
}

const agentPodKey = (a: PodOnNode) => `${a.namespace ?? '(unknown)'}/${a.name ?? a.containerID.slice(0, 12)}`;

function nodeFrom(n: ClusterNode, view: AgentView, findingCount: number): TopoNode {
  const snap = view.snapshot;
  const bridgeName = snap?.node.bridge ?? null;
  const link = bridgeName ? snap!.links.find((l) => l.name === bridgeName && l.kind === 'bridge') : undefined;
  const health: Health = view.status.state === 'unreachable' ? 'unreachable' : findingCount > 0 ? 'finding' : 'healthy';
  return {
    name: n.name,
    ip: n.ip,
    podCIDR: n.podCIDR ?? snap?.node.podCIDR ?? null,
    ready: n.ready,
    conditions: n.conditions,
    agent: view.status,
    bridge: link
      ? {
          name: link.name,
          up: link.up && link.operState !== 'DOWN',
          addresses: snap!.addresses
            .filter((a) => a.link === link.name && a.family === 'inet')
            .map((a) => `${a.address}/${a.prefixLen}`),
        }
      : null,
    ipForward: snap ? snap.node.ipForward : null,
    firewall: snap?.node.firewall ?? null,
    routes: snap?.routes ?? [],
    health,
    findingCount,
  };
}

function podFrom(p: ClusterPod, a: PodOnNode | null, link: Link | undefined, api = true): TopoPod {
  return {
    key: `${p.namespace}/${p.name}`,
    namespace: p.namespace,
    name: p.name,
    node: p.node,
    ip: p.ip ?? a?.ip ?? null,
    phase: p.phase,
    hostNetwork: p.hostNetwork,
    labels: p.labels,
    owner: p.owner,
    veth: a ? { host: a.hostVeth, up: link ? link.up : null, ifname: a.ifname, mac: link?.mac ?? null } : null,
    agentIp: a?.ip ?? null,
    netns: a?.netns ?? null,
    containerID: a?.containerID ?? null,
    seenBy: { api, agent: a !== null },
    health: 'healthy',
  };
}

/** Where to look when a node's agent does not answer, in the words of the source's world. */
function agentFix(node: string, source: ClusterInfo['source']): string {
  if (source === 'kubernetes')
    return `kubectl -n podnet-system get pods -o wide --field-selector spec.nodeName=${node}: is its podnet-node pod running? Then kubectl logs that pod -c agent`;
  if (source === 'lab') return `podnet lab up restarts the lab's agents (a node outside the lab has none)`;
  return `check the podnet agent on ${node}`;
}

function nodeFindings(n: ClusterNode, view: AgentView, source: ClusterInfo['source']): TopoFinding[] {
  const out: TopoFinding[] = [];
  const base = { node: n.name, pod: null, source: 'merge' as const };
  if (view.status.state === 'unreachable') {
    out.push({
      ...base,
      id: `${n.name}/agent-unreachable`,
      severity: 'error',
      object: `agent ${view.status.address}`,
      message: `${n.name}'s agent does not answer since ${view.status.since}${view.snapshot ? ': what is shown for this node is its last snapshot' : ''}`,
      expected: 'a live event stream',
      actual: view.status.error ?? 'unreachable',
      fix: agentFix(n.name, source),
    });
  }
  if (n.podCIDR === null) {
    out.push({
      ...base,
      id: `${n.name}/node-no-podcidr`,
      severity: 'warning',
      object: 'spec.podCIDR',
      message: `${n.name} has no pod subnet: pods scheduled there get no IP from podnet`,
      expected: 'a podCIDR (kube-controller-manager --allocate-node-cidrs)',
      actual: 'none',
      fix: null,
    });
  } else if (view.snapshot?.node.podCIDR && view.snapshot.node.podCIDR !== n.podCIDR) {
    out.push({
      ...base,
      id: `${n.name}/podcidr-mismatch`,
      severity: 'error',
      object: 'pod subnet',
      message: `the control plane gives ${n.name} ${n.podCIDR}, but its CNI config hands out ${view.snapshot.node.podCIDR}`,
      expected: n.podCIDR,
      actual: view.snapshot.node.podCIDR,
      fix: `rewrite the node's conflist for ${n.podCIDR} (podnet cni install --subnet ${n.podCIDR})`,
    });
  }
  if (n.ready === false) {
    out.push({
      ...base,
      id: `${n.name}/node-not-ready`,
      severity: 'warning',
      object: 'Ready condition',
      message: `${n.name} is not Ready`,
      expected: 'Ready=True',
      actual: n.conditions.join('; ') || 'Ready=False',
      fix: null,
    });
  }
  return out;
}

function podFindings(p: ClusterPod, found: PodOnNode | null, view: AgentView): TopoFinding[] {
  // Only a live agent's view can contradict the API; a Pending pod has no network yet.
  if (!p.node || p.hostNetwork || p.phase !== 'Running' || view.status.state !== 'live' || !view.snapshot) return [];
  const key = `${p.namespace}/${p.name}`;
  const base = { node: p.node, pod: key, source: 'merge' as const };
  if (!found) {
    return [
      {
        ...base,
        id: `${p.node}/pod-no-veth:${key}`,
        severity: 'error',
        object: `pod ${key}`,
        message: `the control plane runs ${key} on ${p.node}${p.ip ? ` with ${p.ip}` : ''}, but ${p.node} has no pod network attachment for it`,
        expected: `a veth on ${p.node} into ${view.snapshot.node.bridge}${p.ip ? ` for ${p.ip}` : ''}`,
        actual: 'no attachment',
        fix: `delete the pod so its controller recreates it (its sandbox lost its network)`,
      },
    ];
  }
  if (p.ip && found.ip && p.ip !== found.ip) {
    return [
      {
        ...base,
        id: `${p.node}/pod-ip-mismatch:${key}`,
        severity: 'error',
        object: `pod ${key}`,
        message: `the control plane says ${key} has ${p.ip}, but its veth ${found.hostVeth} on ${p.node} carries ${found.ip}`,
        expected: p.ip,
        actual: found.ip,
        fix: 'delete the pod so its controller recreates it; then check for a leaked lease on the node',
      },
    ];
  }
  return [];
}

/** Routes that carry pod traffic between nodes, as the nodes hold them (host-gw), and
 *  the router's table as the control plane intends it (router mode: the router has no
 *  agent, so these are what it should hold). One list per plane.nodes entry, then the
 *  router's when there is one; each kept while its inputs are the same. */
function crossNodeRoutes(
  nodes: readonly ClusterNode[],
  agents: Map<string, AgentView>,
  router: { ip: string } | null,
  memo: MergeMemo,
  owners: Owners,
): (readonly TopoRoute[])[] {
  // A route is cross-node when its destination lies inside another node's pod subnet: the
  // first node (in order) whose subnet contains it. A destination that is exactly some
  // node's subnet (a host-gw route: nearly all of them) is one lookup, its text as it is
  // and then canonical; only another one scans the subnets.
  const ownerOf = (dst: string): string | null => {
    const hit = owners.exact.get(dst);
    if (hit !== undefined) return hit;
    const net = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
    if (!net) return null;
    const exact = owners.exact.get(formatCidr(net));
    if (exact !== undefined) return exact;
    return owners.owners.find((o) => o.cidr.length <= net.length && prefixContains(o.cidr, net.network))?.name ?? null;
  };
  const out: (readonly TopoRoute[])[] = [];
  for (const n of nodes) {
    const table = agents.get(n.name)?.snapshot?.routes ?? null;
    const hit = memo.routes.get(n.name);
    if (hit && hit.in === table && hit.owners === owners.key) {
      out.push(hit.routes);
      continue;
    }
    const routes: TopoRoute[] = [];
    for (const r of table ?? []) {
      const to = ownerOf(r.dst);
      if (to === null || to === n.name) continue;
      routes.push({
        key: `${n.name} ${r.dst}`,
        from: n.name,
        to,
        dst: r.dst,
        via: r.gateway,
        dev: r.dev,
        ownedByPodnet: r.ownedByPodnet,
      });
    }
    memo.routes.set(n.name, { in: table, owners: owners.key, routes });
    out.push(routes);
  }
  const present = new Set(nodes.map((n) => n.name));
  for (const name of memo.routes.keys()) if (!present.has(name)) memo.routes.delete(name);
  if (router) {
    const ip = router.ip;
    if (memo.routerRoutes?.nodes !== nodes || memo.routerRoutes.router !== ip) {
      const routes: TopoRoute[] = [];
      for (const n of nodes)
        if (n.podCIDR && n.ip)
          routes.push({
            key: `router ${n.podCIDR}`,
            from: 'router',
            to: n.name,
            dst: n.podCIDR,
            via: n.ip,
            dev: null,
            ownedByPodnet: false,
          });
      memo.routerRoutes = { nodes, router: ip, routes };
    }
    out.push(memo.routerRoutes.routes);
  }
  return out;
}
