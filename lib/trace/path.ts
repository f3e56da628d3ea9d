// The expected path: follow the packet from the source pod's eth0 through each namespace
// it would cross — the pod's route, its veth into the node's bridge, the node's routing
// table (longest prefix match), the LAN to the next hop (another node, the router, a
// host), that node's bridge and veth, the destination pod — and the way back. Each hop
// carries the facts the agents' snapshots hold (interfaces with state and MTU, the
// route, the neighbour entry, the firewall, forwarding) and the lookups that ask the
// kernel the same question now. Pure: snapshots in, hops and lookups out.
import { elementId } from '../model/graph-ids';
import { PODNET_ROUTE_PROTO, type Link, type NodeSnapshot, type Route } from '../model/snapshot';
import type {
  FirewallFact,
  IfaceFact,
  KernelCheck,
  Lookup,
  TraceDirection,
  TraceEndpoint,
  TraceHop,
  TraceRule,
} from '../model/trace';
import { cidrHolds, longestPrefixMatch } from './lpm';
import type { TraceInputs, TraceNode, TracePod } from './inputs';

/** A path longer than this is a loop (a route pointing back): the walk stops and says so. */
const MAX_HOPS = 16;
const POD_IFNAME = 'eth0';

export interface TraceContext {
  inputs: TraceInputs;
  nodes: TraceNode[];
  pods: TracePod[];
  routing: string;
  clusterNetwork: string | null;
}

type Loc =
  | { kind: 'pod'; pod: TracePod }
  | { kind: 'node'; node: TraceNode; fromPod: TracePod | null; inDev: string }
  | { kind: 'router' }
  | { kind: 'host'; ip: string };

interface Walk {
  dir: TraceDirection;
  srcIp: string;
  dstIp: string;
  /** the destination, when it is a pod (its veth is the last port) */
  dstPod: TracePod | null;
  hops: TraceHop[];
  checks: KernelCheck[];
}

const UNKNOWN_IFACE = (name: string): IfaceFact => ({ name, state: 'unknown', mtu: null, master: null });

export function ifaceOf(snapshot: NodeSnapshot | null, name: string): IfaceFact {
  if (!snapshot) return UNKNOWN_IFACE(name);
  const l = snapshot.links.find((x) => x.name === name);
  return l ? linkFact(l) : { name, state: 'missing', mtu: null, master: null };
}

export function linkFact(l: Pick<Link, 'name' | 'up' | 'operState' | 'mtu' | 'master'>): IfaceFact {
  // A veth whose far end is down reports LOWERLAYERDOWN: administratively up but not passing.
  const up = l.up && (l.operState === 'UP' || l.operState === 'UNKNOWN');
  return { name: l.name, state: up ? 'up' : 'down', mtu: l.mtu, master: l.master };
}

/** The intended routes of a node without an agent (or of the router): the control plane's subnets. */
function intendedRoutes(ctx: TraceContext, self: TraceNode | null): Route[] {
  const routes: Route[] = [];
  for (const n of ctx.nodes) {
    if (!n.podCIDR || !n.ip) continue;
    if (self && n.name === self.name)
      routes.push({
        dst: n.podCIDR,
        gateway: null,
        dev: self.bridge,
        protocol: 'kernel',
        scope: 'link',
        ownedByPodnet: false,
      });
    // A node's routes to its peers are podnet's (host-gw); the router's are the operator's own.
    else if (self && ctx.routing === 'host-gw')
      routes.push({
        dst: n.podCIDR,
        gateway: n.ip,
        dev: self.uplink,
        protocol: String(PODNET_ROUTE_PROTO),
        scope: null,
        ownedByPodnet: true,
      });
    else if (!self)
      routes.push({
        dst: n.podCIDR,
        gateway: n.ip,
        dev: 'eth0',
        protocol: 'static',
        scope: null,
        ownedByPodnet: false,
      });
  }
  const router = ctx.inputs.plane.router;
  if (self && ctx.routing === 'router' && router)
    routes.push({
      dst: 'default',
      gateway: router.ip,
      dev: self.uplink,
      protocol: 'boot',
      scope: null,
      ownedByPodnet: false,
    });
  const lanNode = ctx.nodes.find((n) => n.ip);
  if (lanNode?.ip)
    routes.push({
      dst: `${lanNode.ip.split('.').slice(0, 3).join('.')}.0/24`,
      gateway: null,
      dev: self?.uplink ?? 'eth0',
      protocol: 'kernel',
      scope: 'link',
      ownedByPodnet: false,
    });
  return routes;
}

/** The gateway the intent says `dstIp` needs from `node`: a peer's address (host-gw) or the router's. */
function intendedGateway(ctx: TraceContext, node: TraceNode, dstIp: string): string | null {
  if (cidrHolds(node.podCIDR, dstIp)) return null;
  const owner = ctx.nodes.find((n) => n !== node && cidrHolds(n.podCIDR, dstIp));
  if (!owner) return null;
  if (ctx.routing === 'host-gw') return owner.ip;
  if (ctx.routing === 'router') return ctx.inputs.plane.router?.ip ?? null;
  return null;
}

function ruleOf(r: Route | null, table: 'main' | 'intended', why: string): TraceRule {
  if (!r) return { kind: 'none', why };
  return {
    kind: 'route',
    dst: r.dst,
    gateway: r.gateway,
    dev: r.dev,
    protocol: r.protocol,
    ownedByPodnet: r.ownedByPodnet,
    table,
  };
}

function firewallOf(node: TraceNode, dstIp: string, clusterNetwork: string | null): FirewallFact | null {
  const fw = node.snapshot?.node.firewall;
  if (!fw) return null;
  const leaving = clusterNetwork !== null && !cidrHolds(clusterNetwork, dstIp);
  return judgeFirewall(fw, leaving);
}

export function judgeFirewall(
  fw: { forwardPolicy: string; forwardAccepts: boolean; masquerade: boolean; table: boolean },
  leaving: boolean,
): FirewallFact {
  const masquerade = leaving && fw.masquerade;
  if (fw.forwardPolicy === 'drop' && !fw.forwardAccepts)
    return { verdict: 'drop', why: "the FORWARD policy is drop and podnet's accepts are missing", masquerade };
  if (fw.forwardPolicy === 'drop')
    return {
      verdict: 'accept',
      why: "FORWARD policy drop; podnet's accepts for the cluster network let pod traffic through",
      masquerade,
    };
  if (fw.forwardPolicy === 'unknown')
    return { verdict: 'unknown', why: 'the FORWARD chain could not be read', masquerade };
  return {
    verdict: 'accept',
    why: `FORWARD policy accept${fw.forwardAccepts ? " (and podnet's accepts)" : ''}`,
    masquerade,
  };
}

function hop(
  w: Walk,
  h: Omit<TraceHop, 'id' | 'direction' | 'index' | 'verdict' | 'reason' | 'kernel' | 'kernelSays' | 'problem'>,
): TraceHop {
  const index = w.hops.length + 1;
  const full: TraceHop = {
    ...h,
    id: `${w.dir === 'forward' ? 'f' : 'b'}${index}`,
    direction: w.dir,
    index,
    verdict: 'unknown',
    reason: '',
    kernel: 'pending',
    kernelSays: null,
    problem: null,
  };
  w.hops.push(full);
  return full;
}

function check(
  w: Walk,
  h: TraceHop,
  node: TraceNode,
  role: KernelCheck['role'],
  lookup: Lookup,
  want: KernelCheck['want'],
  expect: string,
  late = false,
): void {
  if (!node.live) return;
  w.checks.push({
    id: `${h.id}:${role}`,
    hop: h.id,
    node: node.name,
    lookup,
    expect,
    result: null,
    agrees: null,
    says: null,
    error: null,
    role,
    want,
    late,
  });
}

function describeRoute(r: TraceRule): string {
  if (r.kind !== 'route') return r.kind === 'none' ? 'no route' : r.kind;
  return `${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev}`;
}

function podOut(w: Walk, pod: TracePod): Loc | null {
  const node = pod.node!;
  const veth = pod.onNode ? ifaceOf(node.snapshot, pod.onNode.hostVeth) : UNKNOWN_IFACE('veth');
  // The pod's eth0 is the far end of its veth: it exists (and is up) as the host end does.
  const out: IfaceFact = {
    name: POD_IFNAME,
    state: veth.state === 'missing' ? 'missing' : veth.state,
    mtu: veth.mtu,
    master: null,
  };
  const sameSubnet = cidrHolds(node.podCIDR, w.dstIp);
  const gw = node.snapshot?.node.gateway ?? null;
  const rule: TraceRule = sameSubnet
    ? {
        kind: 'route',
        dst: node.podCIDR!,
        gateway: null,
        dev: POD_IFNAME,
        protocol: 'kernel',
        ownedByPodnet: false,
        table: 'main',
      }
    : gw
      ? {
          kind: 'route',
          dst: 'default',
          gateway: gw,
          dev: POD_IFNAME,
          protocol: 'boot',
          ownedByPodnet: false,
          table: 'main',
        }
      : { kind: 'none', why: `${node.name}'s pod gateway is not known` };
  const h = hop(w, {
    role: 'pod-out',
    where: { kind: 'pod', name: pod.key, node: node.name },
    title: `${pod.key} sends to ${w.dstIp}`,
    in: null,
    out,
    bridge: null,
    routed: true,
    backDev: null,
    inL3: null,
    intendedGateway: null,
    agentLive: node.live,
    rule,
    neighbour: null,
    firewall: null,
    settings: null,
    elements: [elementId.pod(pod.key), elementId.veth(pod.key)],
  });
  check(
    w,
    h,
    node,
    'route',
    { kind: 'route', at: { pod: pod.key }, dst: w.dstIp },
    {
      ok: rule.kind === 'route',
      type: 'unicast',
      gateway: rule.kind === 'route' ? rule.gateway : null,
      dev: POD_IFNAME,
    },
    describeRoute(rule),
  );
  if (!pod.onNode) return null;
  return { kind: 'node', node, fromPod: pod, inDev: pod.onNode.hostVeth };
}

function podIn(w: Walk, pod: TracePod, inFact: IfaceFact): void {
  const node = pod.node!;
  const h = hop(w, {
    role: 'pod-in',
    where: { kind: 'pod', name: pod.key, node: node.name },
    title: `${pod.key} receives it`,
    in: { name: POD_IFNAME, state: inFact.state, mtu: inFact.mtu, master: null },
    out: null,
    bridge: null,
    routed: false,
    backDev: null,
    inL3: POD_IFNAME,
    intendedGateway: null,
    agentLive: node.live,
    rule: { kind: 'local', address: w.dstIp },
    neighbour: null,
    firewall: null,
    settings: null,
    elements: [elementId.pod(pod.key), elementId.veth(pod.key)],
  });
  check(
    w,
    h,
    node,
    'route',
    { kind: 'route', at: { pod: pod.key }, dst: w.dstIp, from: w.srcIp, iif: POD_IFNAME },
    { ok: true, type: 'local' },
    `local delivery to ${w.dstIp}`,
  );
}

function nodeStep(ctx: TraceContext, w: Walk, at: Extract<Loc, { kind: 'node' }>): Loc | null {
  const { node, fromPod } = at;
  const s = node.live ? node.snapshot : null;
  const routes = s ? s.routes : intendedRoutes(ctx, node);
  const table = s ? 'main' : 'intended';
  const inFact = ifaceOf(s, at.inDev);
  const fromVeth = fromPod !== null;
  const bridgeFact = s ? ifaceOf(s, node.bridge) : UNKNOWN_IFACE(node.bridge);
  const local =
    w.dstIp === node.ip || (s?.addresses.some((a) => a.family === 'inet' && a.address === w.dstIp) ?? false);
  const route = local ? null : longestPrefixMatch(routes, w.dstIp);
  const inL3 = fromVeth ? node.bridge : at.inDev;
  const elements = [elementId.node(node.name)];
  if (fromPod) elements.push(elementId.veth(fromPod.key), elementId.bridge(node.name));
  else elements.push(elementId.uplink(node.name));

  // Where it goes from here.
  let out: IfaceFact | null = null;
  let next: Loc | null = null;
  let nextHopIp: string | null = null;
  let toPod: TracePod | null = null;
  let title: string;
  let rule: TraceRule;
  if (local) {
    rule = { kind: 'local', address: w.dstIp };
    title = `${node.name} receives it (its own address)`;
  } else if (!route) {
    rule = ruleOf(null, table, `${node.name} has no route to ${w.dstIp}`);
    title = `${node.name} has no route to ${w.dstIp}`;
    // The route that should be there: the graph draws it as missing, under this id.
    const owner = ctx.nodes.find((n) => n !== node && cidrHolds(n.podCIDR, w.dstIp));
    if (owner?.podCIDR) elements.push(elementId.route(node.name, owner.podCIDR));
  } else if (route.dev === node.bridge) {
    rule = ruleOf(route, table, '');
    // On the bridge: the pod holding the address, by the node's attachments.
    toPod =
      ctx.pods.find((p) => p.node === node && p.agentIp === w.dstIp) ??
      (s ? null : (ctx.pods.find((p) => p.node === node && p.apiIp === w.dstIp) ?? null));
    if (toPod?.onNode) {
      out = ifaceOf(s, toPod.onNode.hostVeth);
      elements.push(elementId.bridge(node.name), elementId.veth(toPod.key));
    } else if (toPod) {
      out = UNKNOWN_IFACE('veth');
      elements.push(elementId.bridge(node.name), elementId.veth(toPod.key));
    } else elements.push(elementId.bridge(node.name));
    nextHopIp = w.dstIp;
    title = toPod
      ? `${node.name} ${fromVeth ? 'switches' : 'delivers'} it to ${toPod.key}`
      : `${node.name}: no pod holds ${w.dstIp}`;
    if (toPod) next = { kind: 'pod', pod: toPod };
  } else {
    rule = ruleOf(route, table, '');
    out = ifaceOf(s, route.dev ?? node.uplink);
    nextHopIp = route.gateway ?? w.dstIp;
    elements.push(elementId.uplink(node.name));
    if (route.dst !== 'default' && route.gateway) elements.push(elementId.route(node.name, route.dst));
    title = `${node.name} routes it via ${nextHopIp}`;
    next = { kind: 'host', ip: nextHopIp }; // resolved to a node, the router or a host by the LAN step
  }
  const routed = !(fromVeth && toPod !== null && rule.kind === 'route' && rule.dev === node.bridge);
  const back = s ? longestPrefixMatch(s.routes, w.srcIp) : null;
  const neighbourEntry = nextHopIp && s ? s.neighbours.find((n) => n.address === nextHopIp) : undefined;
  const clusterNetwork = ctx.clusterNetwork;
  // The bridge matters when a pod's veth is on either side, and when the destination is one
  // of this node's pods even without a route there (a bridge that is down loses its route).
  const bridgeMatters = fromVeth || toPod !== null || cidrHolds(node.podCIDR, w.dstIp);
  const h = hop(w, {
    role: 'node',
    where: { kind: 'node', name: node.name, node: node.name },
    title,
    in: inFact,
    out,
    bridge: bridgeMatters ? bridgeFact : null,
    routed,
    backDev: back?.dev ?? null,
    inL3,
    intendedGateway: route && route.dev !== node.bridge ? intendedGateway(ctx, node, w.dstIp) : null,
    agentLive: node.live,
    rule,
    neighbour:
      nextHopIp && !local
        ? {
            address: nextHopIp,
            dev: neighbourEntry?.link ?? out?.name ?? node.bridge,
            state: neighbourEntry?.state.join(',') || 'NONE',
          }
        : null,
    firewall: s ? firewallOf(node, w.dstIp, clusterNetwork) : null,
    settings: routed ? { ipForward: s ? s.node.ipForward : null, rpFilter: null } : null,
    elements,
  });
  h.reason = node.live
    ? ''
    : `expected only: ${node.name}'s agent ${node.agent.state === 'none' ? 'is not known' : `does not answer (${node.agent.state}${node.agent.error ? `: ${node.agent.error}` : ''})`}`;

  // What the kernel is asked here.
  if (fromVeth)
    check(
      w,
      h,
      node,
      'in',
      { kind: 'link', at: { node: true }, dev: at.inDev },
      { ok: true, state: inFact.state, master: inFact.master },
      `${at.inDev} up, port of ${node.bridge}`,
    );
  if (h.bridge)
    check(
      w,
      h,
      node,
      'bridge',
      { kind: 'link', at: { node: true }, dev: node.bridge },
      { ok: true, state: bridgeFact.state, master: null },
      `${node.bridge} up`,
    );
  if (out && out.name !== 'veth')
    check(
      w,
      h,
      node,
      'out',
      { kind: 'link', at: { node: true }, dev: out.name },
      { ok: true, state: out.state, master: out.master },
      `${out.name} up`,
    );
  if (routed && !local) {
    const wantOk = route !== null && (s?.node.ipForward ?? true);
    check(
      w,
      h,
      node,
      'route',
      { kind: 'route', at: { node: true }, dst: w.dstIp, from: w.srcIp, iif: inL3 },
      { ok: wantOk, type: 'unicast', gateway: route?.gateway ?? null, dev: route?.dev ?? null },
      wantOk ? describeRoute(rule) : 'no route (the kernel refuses)',
    );
    check(
      w,
      h,
      node,
      'sysctl',
      { kind: 'sysctl', at: { node: true }, dev: inL3 },
      { ok: true, ipForward: s?.node.ipForward ?? null },
      'ip_forward=1, rp_filter allows the source',
    );
  }
  if (local)
    check(
      w,
      h,
      node,
      'route',
      { kind: 'route', at: { node: true }, dst: w.dstIp, from: w.srcIp, iif: inL3 },
      { ok: true, type: 'local' },
      `local delivery to ${w.dstIp}`,
    );
  if (!local)
    check(
      w,
      h,
      node,
      'firewall',
      { kind: 'firewall', at: { node: true } },
      {
        ok: true,
        firewall: h.firewall?.verdict ?? 'unknown',
        leaving: clusterNetwork !== null && !cidrHolds(clusterNetwork, w.dstIp),
      },
      h.firewall?.why ?? 'the FORWARD chain accepts pod traffic',
    );
  if (nextHopIp && out && out.name !== 'veth')
    check(
      w,
      h,
      node,
      'neigh',
      { kind: 'neigh', at: { node: true }, address: nextHopIp, dev: out.name },
      { ok: true },
      `a neighbour entry for ${nextHopIp}`,
      true,
    );

  if (toPod && next?.kind === 'pod') {
    // The veth's far end is the destination pod's eth0.
    podIn(w, toPod, out ?? UNKNOWN_IFACE('veth'));
    return null;
  }
  if (next?.kind === 'host') return lanStep(ctx, w, node, out, next.ip);
  return null;
}

/** Across the LAN to the host that holds `ip`: a node, the router, or a host outside. */
function lanStep(
  ctx: TraceContext,
  w: Walk,
  from: TraceNode | 'router' | { ip: string },
  outFact: IfaceFact | null,
  ip: string,
): Loc | null {
  const node = ctx.nodes.find((n) => n.ip === ip) ?? null;
  const router = ctx.inputs.plane.router?.ip === ip;
  const host = node ? node.name : router ? 'router' : ip === w.dstIp ? ip : null;
  const fromName = typeof from === 'string' ? from : 'name' in from ? from.name : from.ip;
  const inFact = outFact ?? UNKNOWN_IFACE('eth0');
  const outIface = node ? ifaceOf(node.live ? node.snapshot : null, node.uplink) : UNKNOWN_IFACE('eth0');
  const elements: string[] = [elementId.lan];
  if (typeof from === 'object' && 'name' in from) elements.push(elementId.uplink(from.name));
  if (node) elements.push(elementId.uplink(node.name));
  if (router || from === 'router') elements.push(elementId.router);
  hop(w, {
    role: 'lan',
    where: { kind: 'lan', name: 'LAN', node: null },
    title: host ? `the LAN carries it from ${fromName} to ${host}` : `the LAN: nobody known holds ${ip}`,
    in: inFact,
    out: outIface,
    bridge: null,
    routed: false,
    backDev: null,
    inL3: null,
    intendedGateway: null,
    agentLive: false,
    rule: { kind: 'lan', to: ip, host },
    neighbour: null,
    firewall: null,
    settings: null,
    elements,
  });
  if (node) return { kind: 'node', node, fromPod: null, inDev: node.uplink };
  if (router) return { kind: 'router' };
  if (host) return { kind: 'host', ip };
  return null;
}

function routerStep(ctx: TraceContext, w: Walk): Loc | null {
  const route = longestPrefixMatch(intendedRoutes(ctx, null), w.dstIp);
  const ip = ctx.inputs.plane.router?.ip ?? 'router';
  const next = route ? (route.gateway ?? w.dstIp) : null;
  hop(w, {
    role: 'router',
    where: { kind: 'router', name: `router ${ip}`, node: null },
    title: next ? `the router routes it via ${next}` : `the router has no route to ${w.dstIp}`,
    in: UNKNOWN_IFACE('eth0'),
    out: UNKNOWN_IFACE('eth0'),
    bridge: null,
    routed: true,
    backDev: null,
    inL3: 'eth0',
    intendedGateway: null,
    agentLive: false,
    rule: ruleOf(route, 'intended', `the router's intended table has no route to ${w.dstIp}`),
    neighbour: null,
    firewall: null,
    settings: null,
    elements: [elementId.router, ...(route && route.dst !== 'default' ? [elementId.route('router', route.dst)] : [])],
  });
  return next ? lanStep(ctx, w, 'router', null, next) : null;
}

function hostStep(ctx: TraceContext, w: Walk, ip: string): Loc | null {
  const isDst = ip === w.dstIp;
  const node = ctx.nodes.find((n) => n.ip === ip);
  hop(w, {
    role: 'host',
    where: { kind: 'host', name: node?.name ?? ip, node: node?.name ?? null },
    title: isDst ? `${ip} receives it` : `${ip} (a host outside the cluster) gets it`,
    in: UNKNOWN_IFACE('eth0'),
    out: null,
    bridge: null,
    routed: false,
    backDev: null,
    inL3: null,
    intendedGateway: null,
    agentLive: false,
    rule: isDst
      ? { kind: 'local', address: ip }
      : { kind: 'none', why: `${ip} is not the destination and podnet cannot see its table` },
    neighbour: null,
    firewall: null,
    settings: null,
    elements: [elementId.lan],
  });
  return null;
}

function walk(ctx: TraceContext, w: Walk, start: Loc): void {
  let at: Loc | null = start;
  while (at && w.hops.length < MAX_HOPS) {
    switch (at.kind) {
      case 'pod':
        at = podOut(w, at.pod);
        break;
      case 'node':
        at = nodeStep(ctx, w, at);
        break;
      case 'router':
        at = routerStep(ctx, w);
        break;
      case 'host':
        at = hostStep(ctx, w, at.ip);
        break;
    }
  }
  if (at) {
    hop(w, {
      role: 'host',
      where: { kind: 'host', name: 'loop', node: null },
      title: `the path is longer than ${MAX_HOPS} hops: a routing loop`,
      in: null,
      out: null,
      bridge: null,
      routed: false,
      backDev: null,
      inL3: null,
      intendedGateway: null,
      agentLive: false,
      rule: { kind: 'none', why: `more than ${MAX_HOPS} hops: the routes point in a circle` },
      neighbour: null,
      firewall: null,
      settings: null,
      elements: [],
    });
  }
}

export interface PlannedTrace {
  forward: TraceHop[];
  back: TraceHop[];
  checks: KernelCheck[];
  notes: string[];
}

/** The expected path both ways, and the kernel lookups that verify it. */
export function planPath(ctx: TraceContext, from: TracePod, to: TraceEndpoint, toPod: TracePod | null): PlannedTrace {
  const srcIp = from.agentIp ?? from.apiIp!;
  const dstIp = to.ip!;
  const notes: string[] = [];
  // Outside the cluster network (a host, or a node's own address): masqueraded on the way out.
  const leaving = ctx.clusterNetwork !== null && !cidrHolds(ctx.clusterNetwork, dstIp);
  const fwd: Walk = { dir: 'forward', srcIp, dstIp, dstPod: toPod, hops: [], checks: [] };
  walk(ctx, fwd, { kind: 'pod', pod: from });
  const back: Walk = { dir: 'return', srcIp: dstIp, dstIp: srcIp, dstPod: from, hops: [], checks: [] };
  if (toPod?.node && (toPod.agentIp ?? toPod.apiIp) === dstIp && toPod.onNode) {
    walk(ctx, back, { kind: 'pod', pod: toPod });
  } else if (leaving && from.node) {
    // Masqueraded on the way out: the reply goes to the node's own address, and the node's
    // connection tracking turns it back into the pod's.
    const node = from.node;
    notes.push(
      `${dstIp} is outside the cluster network ${ctx.clusterNetwork}: ${node.name} masquerades the packet as ${node.ip}, so the reply comes back to ${node.ip} and connection tracking hands it to ${from.key}${ctx.routing === 'router' ? ' (in router mode a reply to a node address crosses the LAN directly)' : ''}`,
    );
    back.dstIp = node.ip ?? srcIp;
    hostStep(ctx, back, dstIp);
    back.hops[back.hops.length - 1]!.title = `${dstIp} replies to ${node.ip} (the masqueraded source)`;
    back.hops[back.hops.length - 1]!.rule = {
      kind: 'route',
      dst: node.ip ?? srcIp,
      gateway: null,
      dev: 'eth0',
      protocol: 'kernel',
      ownedByPodnet: false,
      table: 'intended',
    };
    const lanLoc = lanStep(ctx, back, { ip: dstIp }, null, node.ip ?? srcIp);
    if (lanLoc?.kind === 'node') {
      back.dstIp = srcIp; // after de-NAT the packet is for the pod again
      nodeStep(ctx, back, lanLoc);
    }
  } else if (to.node) {
    notes.push(`no return path: no pod holds ${dstIp}`);
  }
  return { forward: fwd.hops, back: back.hops, checks: [...fwd.checks, ...back.checks], notes };
}
