// From judged hops (and the probe, when it ran) to what a person needs at 2 a.m.: the
// first hop where the path breaks, the cause in one sentence, the expected and actual
// values, and the command that fixes it — in the same words as the agent's findings. A
// route podnet owns is fixed with podnet's own protocol number, so the agent owns it
// again. Pure.
import { DEFAULT_BRIDGE } from '../model/cni';
import { elementId } from '../model/graph-ids';
import { PODNET_ROUTE_PROTO } from '../model/snapshot';
import type { FaultKind } from '../model/lab';
import type { Diagnosis, DiagnosisKind, TraceFix, TraceHop, TraceProbe, TraceStatus } from '../model/trace';
import { cidrHolds } from './lpm';
import { vethProblem } from './judge';
import type { TraceContext } from './path';
import type { TraceNode, TracePod } from './inputs';

const FAULT_OF: Record<FaultKind, DiagnosisKind> = {
  'missing-route': 'route-missing',
  'wrong-gateway': 'route-wrong-gateway',
  'bridge-down': 'bridge-down',
  'veth-down': 'veth-down',
  'veth-detached': 'veth-detached',
  'no-forwarding': 'forwarding-off',
  'forward-drop': 'forward-drop',
  'mtu-mismatch': 'mtu-mismatch',
  'stale-lease': 'no-pod-for-ip',
};

function fix(node: string | null, commands: string[][]): TraceFix {
  return { node, commands, text: commands.map((c) => c.join(' ')).join(' && ') };
}

export interface DiagnoseInput {
  ctx: TraceContext;
  from: TracePod;
  /** the address the trace goes to, and the pod holding it when one does */
  dstIp: string;
  toPod: TracePod | null;
  forward: TraceHop[];
  back: TraceHop[];
  probe: TraceProbe | null;
}

function nodeOf(ctx: TraceContext, h: TraceHop): TraceNode | null {
  return h.where.node ? (ctx.nodes.find((n) => n.name === h.where.node) ?? null) : null;
}

/** The destination of the walk a hop belongs to. */
function walkDst(d: DiagnoseInput, h: TraceHop): string {
  if (h.direction === 'forward') return d.dstIp;
  return d.from.agentIp ?? d.from.apiIp ?? '';
}

function routeFix(d: DiagnoseInput, node: TraceNode, dst: string): { expected: string; fix: TraceFix | null } {
  const owner = d.ctx.nodes.find((n) => n !== node && cidrHolds(n.podCIDR, dst));
  const router = d.ctx.inputs.plane.router?.ip;
  if (owner?.podCIDR && owner.ip && d.ctx.routing === 'host-gw') {
    return {
      expected: `${owner.podCIDR} via ${owner.ip} dev ${node.uplink} (to ${owner.name}'s pods, podnet's route)`,
      fix: fix(node.name, [
        [
          'ip',
          'route',
          'replace',
          owner.podCIDR,
          'via',
          owner.ip,
          'dev',
          node.uplink,
          'proto',
          String(PODNET_ROUTE_PROTO),
        ],
      ]),
    };
  }
  if (owner && router && d.ctx.routing === 'router') {
    return {
      expected: `default via ${router} dev ${node.uplink} (the router holds the pod subnets)`,
      fix: fix(node.name, [['ip', 'route', 'replace', 'default', 'via', router, 'dev', node.uplink]]),
    };
  }
  return { expected: `a route to ${dst}`, fix: null };
}

function describeRule(h: TraceHop): string {
  const r = h.rule;
  if (r.kind === 'route')
    return `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}${r.ownedByPodnet ? ` proto ${PODNET_ROUTE_PROTO}` : ` proto ${r.protocol}`}`;
  if (r.kind === 'none') return r.why;
  return r.kind;
}

type Draft = Omit<Diagnosis, 'elements'> & { elements?: string[] };

/** The graph elements a diagnosis is about, from its kind and the hop it names. */
function causeElements(d: DiagnoseInput, g: Draft, h: TraceHop | undefined): string[] {
  if (g.elements) return g.elements;
  if (!h) return g.kind === 'pod-ip-mismatch' && d.toPod ? [elementId.pod(d.toPod.key)] : [];
  const where = h.where.node;
  const owner = d.ctx.nodes.find((n) => cidrHolds(n.podCIDR, walkDst(d, h)));
  switch (g.kind) {
    case 'route-missing':
    case 'route-wrong-gateway':
      if (h.role === 'router')
        return [elementId.router, ...(owner?.podCIDR ? [elementId.route('router', owner.podCIDR)] : [])];
      return where
        ? [
            elementId.node(where),
            ...(owner?.podCIDR && owner.name !== where ? [elementId.route(where, owner.podCIDR)] : []),
          ]
        : h.elements;
    case 'forwarding-off':
    case 'forward-drop':
    case 'rp-filter':
    case 'agent-unreachable':
      return where ? [elementId.node(where)] : h.elements;
    case 'bridge-down':
    case 'bridge-missing':
      return where ? [elementId.bridge(where)] : h.elements;
    case 'no-pod-for-ip':
      return where ? [elementId.node(where), elementId.bridge(where)] : h.elements;
    case 'mtu-mismatch':
      return h.rule.kind === 'lan' && h.rule.host ? [elementId.uplink(h.rule.host), elementId.lan] : h.elements;
    case 'no-host':
      return [elementId.lan];
    default:
      return h.elements;
  }
}

/** One diagnosis for a hop's problem. */
function diagnoseHop(d: DiagnoseInput, h: TraceHop, all: TraceHop[]): Draft | null {
  const node = nodeOf(d.ctx, h);
  const where = h.where.name;
  const base = { hop: h.id, severity: 'broken' as const, heldFault: null };
  const dst = walkDst(d, h);
  switch (h.problem) {
    case null:
      return null;
    case 'route-missing': {
      if (h.role === 'router')
        return {
          ...base,
          kind: 'route-missing',
          cause: `the router has no route to ${dst}`,
          expected: `a route to ${dst}'s node`,
          actual: 'no route',
          fix: null,
        };
      if (!node) return null;
      const r = routeFix(d, node, dst);
      return {
        ...base,
        kind: 'route-missing',
        cause: `${where} has no route to ${dst}`,
        expected: r.expected,
        actual: h.rule.kind === 'none' ? h.rule.why : 'no route',
        fix: r.fix,
      };
    }
    case 'route-wrong-gateway': {
      if (!node) return null;
      const r = routeFix(d, node, dst);
      const gw = h.rule.kind === 'route' ? h.rule.gateway : null;
      const nobody = all.some((x) => x.index > h.index && x.role === 'lan' && x.problem === 'no-host');
      return {
        ...base,
        severity: nobody ? 'broken' : 'warning',
        kind: 'route-wrong-gateway',
        cause: `${where} routes ${dst} via the wrong gateway ${gw}${nobody ? ', which nobody answers for' : ' (a detour)'}`,
        expected: r.expected,
        actual: describeRule(h),
        fix: r.fix,
      };
    }
    case 'bridge-missing':
    case 'bridge-down': {
      if (!node) return null;
      const br = node.bridge;
      const gw = node.snapshot?.node.gateway;
      const len = node.podCIDR?.split('/')[1] ?? '24';
      const commands =
        h.problem === 'bridge-down'
          ? [['ip', 'link', 'set', br, 'up']]
          : [
              ['ip', 'link', 'add', br, 'type', 'bridge'],
              ...(gw ? [['ip', 'addr', 'add', `${gw}/${len}`, 'dev', br]] : []),
              ['ip', 'link', 'set', br, 'up'],
            ];
      return {
        ...base,
        kind: h.problem,
        cause: `${where}'s bridge ${br} is ${h.problem === 'bridge-down' ? 'down' : 'missing'}: its pods cannot reach their gateway or each other`,
        expected: `${br} up${gw ? ` with ${gw}/${len}` : ''}`,
        actual: h.problem === 'bridge-down' ? 'down' : 'no such link',
        fix: fix(where, commands),
      };
    }
    case 'veth-missing':
    case 'veth-down':
    case 'veth-detached': {
      const br = h.bridge?.name ?? node?.bridge ?? DEFAULT_BRIDGE;
      // Which end of the hop: the veth the packet came in by, or the one it leaves by.
      const inBad = h.role === 'node' && h.in !== null && h.inL3 === br && vethProblem(h.in, br, '') !== null;
      const veth = (h.role === 'node' ? (inBad ? h.in : h.out) : (h.in ?? h.out)) ?? {
        name: 'veth',
        state: 'missing',
        mtu: null,
        master: null,
      };
      const [srcPod, dstPod] = h.direction === 'forward' ? [d.from.key, d.toPod?.key] : [d.toPod?.key, d.from.key];
      const pod = h.role !== 'node' ? h.where.name : ((inBad ? srcPod : dstPod) ?? 'the pod');
      const nodeName = h.where.node;
      const elements =
        h.role === 'node' ? [elementId.veth((inBad ? srcPod : dstPod) ?? '')] : [elementId.veth(h.where.name)];
      if (h.problem === 'veth-missing')
        return {
          ...base,
          elements,
          kind: 'veth-missing',
          cause: `${pod}'s veth is gone on ${nodeName}`,
          expected: `veth ${veth?.name ?? ''} on ${br}, up`,
          actual: 'no such link',
          fix: null,
        };
      if (h.problem === 'veth-down')
        return {
          ...base,
          elements,
          kind: 'veth-down',
          cause: `${pod}'s veth ${veth.name} on ${nodeName} is down`,
          expected: 'up',
          actual: 'down',
          fix: fix(nodeName, [['ip', 'link', 'set', veth.name, 'up']]),
        };
      return {
        ...base,
        elements,
        kind: 'veth-detached',
        cause: `${pod}'s veth ${veth.name} on ${nodeName} is not attached to the bridge ${br}`,
        expected: `master ${br}`,
        actual: veth.master ? `master ${veth.master}` : 'no master',
        fix: fix(nodeName, [['ip', 'link', 'set', veth.name, 'master', br]]),
      };
    }
    case 'forwarding-off':
      return {
        ...base,
        kind: 'forwarding-off',
        cause: `${where} does not forward packets (ip_forward is 0)`,
        expected: 'net.ipv4.ip_forward = 1',
        actual: '0',
        fix: fix(where, [['sysctl', '-w', 'net.ipv4.ip_forward=1']]),
      };
    case 'forward-drop': {
      const net = d.ctx.clusterNetwork ?? '10.244.0.0/16';
      return {
        ...base,
        kind: 'forward-drop',
        cause: `${where}'s firewall drops pod traffic: the FORWARD policy is drop and podnet's accepts are missing`,
        expected: `ACCEPT for ${net} in FORWARD`,
        actual: 'policy DROP, no podnet accept',
        fix: fix(where, [
          ['iptables', '-I', 'FORWARD', '-s', net, '-m', 'comment', '--comment', 'podnet', '-j', 'ACCEPT'],
          ['iptables', '-I', 'FORWARD', '-d', net, '-m', 'comment', '--comment', 'podnet', '-j', 'ACCEPT'],
        ]),
      };
    }
    case 'rp-filter': {
      const dev = h.inL3 ?? 'eth0';
      return {
        ...base,
        kind: 'rp-filter',
        cause: `${where} drops the packet by strict reverse-path filtering: the way back to its source leaves by ${h.backDev}, not ${dev}`,
        expected: 'rp_filter 0 or 2 (loose), or a symmetric route',
        actual: 'rp_filter 1 (strict)',
        fix: fix(where, [['sysctl', '-w', 'net.ipv4.conf.all.rp_filter=2', `net.ipv4.conf.${dev}.rp_filter=2`]]),
      };
    }
    case 'mtu-mismatch': {
      const small = h.out?.mtu ?? 0;
      const big = h.in?.mtu ?? 1500;
      const host = h.rule.kind === 'lan' ? h.rule.host : null;
      const onNode = d.ctx.nodes.find((n) => n.name === host);
      return {
        ...base,
        kind: 'mtu-mismatch',
        cause: `${host}'s ${h.out?.name} has MTU ${small}, smaller than the ${big} the sender uses on the same LAN: packets over ${small} bytes are dropped (small ones pass)`,
        expected: `MTU ${big} on every node's ${h.out?.name}`,
        actual: `${host}: ${small}`,
        fix: onNode
          ? fix(onNode.name, [['ip', 'link', 'set', h.out?.name ?? onNode.uplink, 'mtu', String(big)]])
          : null,
      };
    }
    case 'no-pod-for-ip': {
      const leaseFinding = node?.snapshot?.findings.find((f) => f.id === `lease-orphan:${dst}`);
      const leaseDir = node?.snapshot?.node.leaseDir;
      if (leaseFinding) {
        return {
          ...base,
          kind: 'no-pod-for-ip',
          cause: `no pod holds ${dst}: it is a stale lease on ${where} (${leaseFinding.message})`,
          expected: `${dst} held by a running pod, or free`,
          actual: 'leased, no pod, no veth',
          fix: leaseDir ? fix(where, [['rm', '--', `${leaseDir}/${dst}`]]) : null,
        };
      }
      return {
        ...base,
        kind: 'no-pod-for-ip',
        cause: `no pod on ${where} holds ${dst}`,
        expected: `a pod with ${dst} on ${where}`,
        actual: 'no attachment with that address',
        fix: null,
      };
    }
    case 'no-host': {
      if (all.some((x) => x.index < h.index && x.problem === 'route-wrong-gateway')) return null; // the route is the cause
      const to = h.rule.kind === 'lan' ? h.rule.to : (h.neighbour?.address ?? '');
      return {
        ...base,
        kind: 'no-host',
        cause: `nobody on the LAN answers for ${to}`,
        expected: `a node or the router at ${to}`,
        actual: h.reason,
        fix: null,
      };
    }
    case 'agent-unreachable':
      return {
        ...base,
        severity: 'unknown',
        kind: 'agent-unreachable',
        cause: `unknown beyond here: ${h.reason}`,
        expected: 'an agent that answers',
        actual: h.reason,
        fix: null,
      };
    case 'kernel-disagrees':
      return {
        ...base,
        kind: 'kernel-disagrees',
        cause: `${where}: ${h.reason}`,
        expected: 'delivery',
        actual: h.kernelSays ?? h.reason,
        fix: null,
      };
    default:
      return { ...base, kind: h.problem, cause: `${where}: ${h.reason}`, expected: '', actual: h.reason, fix: null };
  }
}

function heldFault(d: DiagnoseInput, g: Draft, hops: TraceHop[]): string | null {
  const hop = hops.find((h) => h.id === g.hop);
  const nodes = new Set([hop?.where.node, g.fix?.node].filter(Boolean));
  const f = d.ctx.inputs.faults?.find((x) => FAULT_OF[x.kind] === g.kind && nodes.has(x.node));
  return f ? `${f.kind} on ${f.node}${f.pod ? ` (${f.pod})` : ''}: ${f.detail}` : null;
}

/** A ping answered by an ICMP error names the hop that refused: the router or a node said
 *  "Destination Net Unreachable" itself. */
function icmpVerdict(d: DiagnoseInput): Draft | null {
  const err = d.probe?.ping?.icmpErrors[0];
  if (!err) return null;
  const router = d.ctx.inputs.plane.router?.ip === err.from;
  const node = d.ctx.nodes.find((n) => n.ip === err.from || n.snapshot?.node.gateway === err.from);
  const hop = d.forward.find((h) => (router ? h.role === 'router' : h.role === 'node' && h.where.node === node?.name));
  if (!router && !node) return null;
  const who = router ? `the router ${err.from}` : `${node!.name} (${err.from})`;
  const base = { hop: hop?.id ?? null, severity: 'broken' as const, heldFault: null };
  if (router && /Net Unreachable|Host Unreachable/i.test(err.message)) {
    const owner = d.ctx.nodes.find((n) => cidrHolds(n.podCIDR, d.dstIp));
    const expected =
      owner?.podCIDR && owner.ip
        ? `${owner.podCIDR} via ${owner.ip} (to ${owner.name}'s pods) in the router's table`
        : `a route to ${d.dstIp} in the router's table`;
    return {
      ...base,
      kind: 'route-missing',
      cause: `${who} answered "${err.message}": its table has no route to ${d.dstIp} (the router has no agent: its table is known only from this answer)`,
      expected,
      actual: err.message,
      fix:
        owner?.podCIDR && owner.ip
          ? fix('router', [['ip', 'route', 'replace', owner.podCIDR, 'via', owner.ip, 'dev', 'eth0']])
          : null,
    };
  }
  return {
    ...base,
    kind: 'probe-failed',
    cause: `${who} answered "${err.message}"`,
    expected: 'a reply from the destination',
    actual: err.message,
    fix: null,
  };
}

export interface Verdict {
  status: TraceStatus;
  diagnoses: Diagnosis[];
  summary: string;
  notes: string[];
}

/** Diagnoses, in path order (forward, then back), and the trace's status. */
export function diagnose(d: DiagnoseInput, done: boolean): Verdict {
  const notes: string[] = [];
  const diagnoses: Draft[] = [];
  const { from, toPod } = d;
  if (toPod && toPod.apiIp && toPod.agentIp && toPod.apiIp !== toPod.agentIp) {
    diagnoses.push({
      kind: 'pod-ip-mismatch',
      hop: null,
      severity: 'broken',
      heldFault: null,
      cause: `${toPod.key}'s address differs: the API says ${toPod.apiIp}, its node ${toPod.node?.name} has ${toPod.agentIp} on its veth — traffic to ${toPod.apiIp} finds no pod`,
      expected: `${toPod.apiIp} on ${toPod.key}'s eth0`,
      actual: toPod.agentIp,
      fix: null,
    });
  }
  for (const hops of [d.forward, d.back]) {
    for (const h of hops) {
      const g = diagnoseHop(d, h, hops);
      // The same object broken both ways is one diagnosis.
      if (g && !diagnoses.some((x) => x.kind === g.kind && (x.hop === g.hop || x.cause === g.cause))) diagnoses.push(g);
      if (h.verdict === 'dropped' || (h.verdict === 'unknown' && h.role !== 'host')) break; // beyond a break the path is hypothetical
    }
  }
  for (const h of [...d.forward, ...d.back]) {
    if (h.kernel === 'disagrees' && !diagnoses.some((g) => g.hop === h.id)) {
      diagnoses.push({
        kind: 'kernel-disagrees',
        hop: h.id,
        severity: 'warning',
        heldFault: null,
        cause: `the kernel disagrees with the agent's view at ${h.where.name}: ${h.kernelSays}`,
        expected: 'what the snapshot says',
        actual: h.kernelSays ?? '',
        fix: null,
      });
    }
  }

  const p = d.probe;
  const probeDone = p !== null && (p.ping !== null || p.tcp !== null || p.errors.length > 0);
  let reachable = p?.reachable ?? null;
  const largeFailed = p?.largePing !== null && p?.largePing !== undefined && !p.largePing.ok && p.ping?.ok === true;
  if (largeFailed && !diagnoses.some((g) => g.kind === 'mtu-mismatch')) {
    diagnoses.push({
      kind: 'mtu-mismatch',
      hop: null,
      severity: 'broken',
      heldFault: null,
      cause: `packets of ${p!.settings.largeSize! + 28} bytes do not get through, small ones do: an MTU on the path is smaller than the pod's`,
      expected: `${p!.settings.largeSize! + 28}-byte packets delivered`,
      actual: p!.largePing!.error ?? 'no reply',
      fix: null,
    });
  }
  if (largeFailed === false && p?.largePing?.ok) {
    // The large ping passed: an MTU finding on the path is not breaking this pair.
    for (const g of diagnoses) if (g.kind === 'mtu-mismatch') g.severity = 'warning';
  }
  if (reachable === false && !diagnoses.some((g) => g.severity === 'broken')) {
    const icmp = icmpVerdict(d);
    if (icmp) diagnoses.push(icmp);
  }
  if (reachable === false && !diagnoses.some((g) => g.severity === 'broken')) {
    const tr = p?.traceroute;
    const last = tr?.hops.filter((x) => x.address).at(-1);
    diagnoses.push({
      kind: 'probe-failed',
      hop: null,
      severity: 'broken',
      heldFault: null,
      cause: `every hop checks out, but ${p?.tcp ? `the TCP connection to port ${p.settings.port} failed` : 'the ping got no reply'}${last ? `; the traceroute got as far as ${last.address}` : ''}`,
      expected: 'a reply',
      actual: p?.tcp?.error ?? p?.ping?.error ?? 'no reply',
      fix: null,
    });
  }
  if (reachable === true) {
    for (const g of diagnoses)
      if (g.kind === 'route-wrong-gateway' || g.kind === 'agent-unreachable' || g.kind === 'kernel-disagrees')
        g.severity = 'warning';
    const predicted = diagnoses.find(
      (g) => g.severity === 'broken' && g.kind !== 'mtu-mismatch' && g.kind !== 'pod-ip-mismatch',
    );
    if (predicted) {
      notes.push(
        `the probe got through although the path predicts a break (${predicted.cause}): the agents' view may be behind the kernel`,
      );
      predicted.severity = 'warning';
    }
  }
  const hops = [...d.forward, ...d.back];
  for (const g of diagnoses) g.heldFault = heldFault(d, g, hops);
  const named: Diagnosis[] = diagnoses.map((g) => ({
    ...g,
    elements: causeElements(
      d,
      g,
      hops.find((h) => h.id === g.hop),
    ),
  }));

  const broken = diagnoses.find((g) => g.severity === 'broken');
  const unknown = diagnoses.find((g) => g.severity === 'unknown');
  let status: TraceStatus;
  if (!done) status = 'running';
  else if (broken) status = 'broken';
  else if (reachable === true) status = 'ok';
  else if (unknown || (!probeDone && [...d.forward, ...d.back].every((h) => h.kernel === 'not-verified')))
    status = 'unknown';
  else status = 'ok';
  if (!probeDone) reachable = null;

  const to = toPod?.key ?? d.dstIp;
  const rtt = p?.ping?.rttMs ? `, ping ${p.ping.received}/${p.ping.sent} replies, rtt avg ${p.ping.rttMs.avg} ms` : '';
  const summary = broken
    ? `${from.key} cannot reach ${to}: ${broken.cause}`
    : status === 'unknown'
      ? `${from.key} → ${to}: not enough could be verified (${unknown?.cause ?? 'no agent answered'})`
      : status === 'running'
        ? `${from.key} → ${to}: tracing…`
        : reachable === true
          ? `${from.key} reaches ${to}: ${d.forward.length} hops there, ${d.back.length} back${rtt}`
          : `${from.key} → ${to}: every hop checks out, ${d.forward.length} there and ${d.back.length} back (no packets sent to prove it)`;
  return { status, diagnoses: named, summary, notes };
}
