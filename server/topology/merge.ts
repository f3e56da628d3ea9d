// One Topology from the two views of a cluster: the control plane's (which pods exist,
// on which node, with which IP) and the data plane's (what each node's agent found in
// the kernel). Where they disagree, that is a finding: a pod the API runs on node2 with
// 10.244.2.5 that has no veth there, or another IP, is exactly what an engineer at 2 a.m.
// needs to see. Pure: the same inputs give the same Topology (fixtures test it).
import type { NodeSnapshot, PodOnNode } from '../../lib/model/snapshot';
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
import { parseCidr, prefixContains } from '../../lib/model/ipv4';
import type { AgentView, SourceInputs } from '../sources/source';

const NO_AGENT: AgentView = {
  status: { address: null, state: 'none', since: new Date(0).toISOString(), error: null },
  snapshot: null,
};

/** What the last merge built, so the next one reuses every object whose inputs are the
 *  same references: at 10,000 pods an update then costs the pods of the node that
 *  changed, and diffTopology skips unchanged objects by identity instead of comparing
 *  their JSON. Results are the same with or without it (the tests merge without). */
export class MergeMemo {
  readonly pods = new WeakMap<ClusterPod, { found: PodOnNode | null; snap: NodeSnapshot | null; pod: TopoPod }>();
  readonly podIndex = new WeakMap<NodeSnapshot, Map<string, PodOnNode>>();
  readonly nodes = new Map<
    string,
    { n: ClusterNode; snap: NodeSnapshot | null; status: string; count: number; node: TopoNode }
  >();
  readonly routes = new Map<string, { snap: NodeSnapshot | null; owners: string; routes: TopoRoute[] }>();
}

export function mergeTopology(inputs: SourceInputs, readOnly: boolean, memo: MergeMemo = new MergeMemo()): Topology {
  const { plane, agents } = inputs;
  const cluster: ClusterInfo = { ...inputs.info, readOnly };
  const findings: TopoFinding[] = [];

  // Agent findings, scoped by node (their ids are unique per node only).
  for (const n of plane.nodes) {
    const view = agents.get(n.name) ?? NO_AGENT;
    const snap = view.snapshot;
    if (snap) {
      const byVeth = new Map(snap.pods.map((p) => [p.hostVeth, p]));
      for (const f of snap.findings) {
        const veth = f.id.includes(':') ? f.id.slice(f.id.indexOf(':') + 1) : '';
        const pod = byVeth.get(veth);
        findings.push({
          ...f,
          id: `${n.name}/${f.id}`,
          node: n.name,
          pod: pod ? agentPodKey(pod) : null,
          source: 'agent',
        });
      }
    }
    findings.push(...nodeFindings(n, view, inputs.info.source));
  }

  const pods: TopoPod[] = [];
  /** for each entry of `pods`: the control-plane pod, attachment and snapshot it came
   *  from (origin null: an agent-only pod, not memoised) */
  const origins: Origin[] = [];
  const fresh = new Set<TopoPod>();
  const claimed = new Set<PodOnNode>();
  for (const p of plane.pods) {
    const view = p.node ? (agents.get(p.node) ?? NO_AGENT) : NO_AGENT;
    const snap = view.snapshot;
    const found = snap && !p.hostNetwork ? (podIndexOf(memo, snap).get(`${p.namespace}/${p.name}`) ?? null) : null;
    if (found) claimed.add(found);
    const hit = memo.pods.get(p);
    let pod: TopoPod;
    if (hit && hit.found === found && hit.snap === snap) pod = hit.pod;
    else {
      pod = podFrom(p, found, snap);
      fresh.add(pod);
    }
    pods.push(pod);
    origins.push({ p, found, snap });
    findings.push(...podFindings(p, found, view));
  }
  // Attachments no control-plane pod accounts for: a sandbox the API has forgotten.
  for (const n of plane.nodes) {
    const snap = agents.get(n.name)?.snapshot;
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
        snap ?? null,
        false,
      );
      pods.push(pod);
      origins.push(null);
      fresh.add(pod);
      findings.push({
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

  const findingsByNode = new Map<string, number>();
  const podsWithFindings = new Set<string>();
  for (const f of findings) {
    if (f.node) findingsByNode.set(f.node, (findingsByNode.get(f.node) ?? 0) + 1);
    if (f.pod) podsWithFindings.add(f.pod);
  }
  const nodes = plane.nodes.map((n) => {
    const view = agents.get(n.name) ?? NO_AGENT;
    const count = findingsByNode.get(n.name) ?? 0;
    const status = JSON.stringify(view.status);
    const hit = memo.nodes.get(n.name);
    if (hit && hit.n === n && hit.snap === view.snapshot && hit.status === status && hit.count === count)
      return hit.node;
    const node = nodeFrom(n, view, count);
    memo.nodes.set(n.name, { n, snap: view.snapshot, status, count, node });
    return node;
  });
  const present = new Set(plane.nodes.map((n) => n.name));
  for (const name of [...memo.nodes.keys(), ...memo.routes.keys()])
    if (!present.has(name)) {
      memo.nodes.delete(name);
      memo.routes.delete(name);
    }
  const unreachable = new Set(nodes.filter((n) => n.health === 'unreachable').map((n) => n.name));
  pods.forEach((p, i) => {
    const health: Health =
      p.node && unreachable.has(p.node) ? 'unreachable' : podsWithFindings.has(p.key) ? 'finding' : 'healthy';
    // A reused pod is shared with the last topology: replace it, never change it.
    const pod = fresh.has(p) ? Object.assign(p, { health }) : p.health === health ? p : { ...p, health };
    pods[i] = pod;
    const origin = origins[i];
    if (origin) memo.pods.set(origin.p, { found: origin.found, snap: origin.snap, pod });
  });

  const updated = [...agents.values()]
    .map((a) => a.snapshot?.collectedAt ?? '')
    .concat(inputs.plane.nodes.length ? [] : ['']);
  return {
    cluster,
    nodes,
    pods,
    routes: crossNodeRoutes(plane.nodes, agents, plane.router, memo),
    findings,
    router: plane.router,
    updatedAt: updated.sort().at(-1) || new Date(0).toISOString(),
  };
}

type Origin = { p: ClusterPod; found: PodOnNode | null; snap: NodeSnapshot | null } | null;

/** a snapshot's attachments by NAMESPACE/NAME, built once per snapshot */
function podIndexOf(memo: MergeMemo, snap: NodeSnapshot): Map<string, PodOnNode> {
  let index = memo.podIndex.get(snap);
  if (!index) {
    index = new Map(snap.pods.map((a) => [`${a.namespace}/${a.name}`, a]));
    memo.podIndex.set(snap, index);
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

function podFrom(p: ClusterPod, a: PodOnNode | null, snap: NodeSnapshot | null, api = true): TopoPod {
  const link = a && snap ? snap.links.find((l) => l.name === a.hostVeth) : undefined;
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
 *  agent, so these are what it should hold). */
function crossNodeRoutes(
  nodes: ClusterNode[],
  agents: Map<string, AgentView>,
  router: { ip: string } | null,
  memo: MergeMemo,
): TopoRoute[] {
  const owners = nodes.flatMap((n) => {
    const cidr = n.podCIDR ? parseCidr(n.podCIDR) : null;
    return cidr ? [{ name: n.name, cidr }] : [];
  });
  // A route is cross-node when its destination lies inside another node's pod subnet.
  const ownerOf = (dst: string): string | null => {
    const net = parseCidr(dst.includes('/') ? dst : `${dst}/32`);
    if (!net) return null;
    return owners.find((o) => o.cidr.length <= net.length && prefixContains(o.cidr, net.network))?.name ?? null;
  };
  const ownersKey = owners.map((o) => `${o.name}=${o.cidr.network}/${o.cidr.length}`).join(',');
  const out: TopoRoute[] = [];
  for (const n of nodes) {
    const snap = agents.get(n.name)?.snapshot ?? null;
    const hit = memo.routes.get(n.name);
    if (hit && hit.snap === snap && hit.owners === ownersKey) {
      out.push(...hit.routes);
      continue;
    }
    const routes: TopoRoute[] = [];
    for (const r of snap?.routes ?? []) {
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
    memo.routes.set(n.name, { snap, owners: ownersKey, routes });
    out.push(...routes);
  }
  if (router) {
    for (const n of nodes)
      if (n.podCIDR && n.ip)
        out.push({
          key: `router ${n.podCIDR}`,
          from: 'router',
          to: n.name,
          dst: n.podCIDR,
          via: n.ip,
          dev: null,
          ownedByPodnet: false,
        });
  }
  return out;
}
