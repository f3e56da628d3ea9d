// Each hop's verdict from its facts, once with the agents' snapshots (the expected path)
// and again as the kernel's answers arrive: a fresh answer replaces the snapshot's fact
// (the kernel decides, not our model of it), and where the two differ the hop is marked
// "disagrees" with what the kernel said. Pure.
import type { DiagnosisKind, HopVerdict, IfaceFact, KernelCheck, LookupResult, TraceHop } from '../model/trace';
import { judgeFirewall, linkFact } from './path';

interface Judged {
  verdict: HopVerdict;
  reason: string;
  problem: DiagnosisKind | null;
}

const drop = (reason: string, problem: DiagnosisKind): Judged => ({ verdict: 'dropped', reason, problem });

export function vethProblem(f: IfaceFact, bridge: string | null, whose: string): Judged | null {
  if (f.state === 'missing') return drop(`${whose} veth ${f.name} does not exist`, 'veth-missing');
  if (f.state === 'down') return drop(`${whose} veth ${f.name} is down`, 'veth-down');
  if (bridge && f.state === 'up' && f.master !== bridge)
    return drop(
      `${whose} veth ${f.name} is not a port of ${bridge} (${f.master ? `its master is ${f.master}` : 'it has no master'})`,
      'veth-detached',
    );
  return null;
}

const FAILED_NEIGHBOUR = /FAILED|INCOMPLETE/;

/** The verdict of one hop from its facts as they stand. */
export function judgeHop(h: TraceHop): Judged {
  switch (h.role) {
    case 'pod-out': {
      if (!h.agentLive)
        return {
          verdict: 'unknown',
          reason: h.reason || "the node's agent does not answer",
          problem: 'agent-unreachable',
        };
      if (h.out?.state === 'missing')
        return drop("the pod's eth0 is gone: its veth does not exist on the node", 'veth-missing');
      if (h.rule.kind === 'none') return drop(h.rule.why, 'route-missing');
      return {
        verdict: 'forwarded',
        reason: `sent out of eth0${h.rule.kind === 'route' && h.rule.gateway ? ` to its gateway ${h.rule.gateway}` : ' on the pod subnet (on-link)'}`,
        problem: null,
      };
    }
    case 'pod-in': {
      if (!h.agentLive)
        return {
          verdict: 'unknown',
          reason: h.reason || "the node's agent does not answer",
          problem: 'agent-unreachable',
        };
      if (h.in?.state === 'missing') return drop("the pod's eth0 is gone: its veth does not exist", 'veth-missing');
      if (h.rule.kind === 'none') return drop(h.rule.why, 'kernel-disagrees');
      return {
        verdict: 'delivered',
        reason: `delivered to ${h.rule.kind === 'local' ? h.rule.address : 'the pod'} on eth0`,
        problem: null,
      };
    }
    case 'lan': {
      if (h.rule.kind !== 'lan' || h.rule.host === null)
        return drop(
          `no node, router or known host holds ${h.rule.kind === 'lan' ? h.rule.to : 'the next hop'}: nobody answers its ARP`,
          'no-host',
        );
      if (h.out?.state === 'down' || h.out?.state === 'missing')
        return drop(`${h.rule.host}'s ${h.out.name} is ${h.out.state}`, 'no-host');
      const small = h.in?.mtu && h.out?.mtu && h.out.mtu < h.in.mtu;
      return {
        verdict: 'forwarded',
        reason: small
          ? `carried up to ${h.out!.mtu} bytes: larger packets are dropped (${h.rule.host}'s ${h.out!.name} has MTU ${h.out!.mtu}, the sender's ${h.in!.mtu})`
          : `switched to ${h.rule.host} (${h.rule.to})`,
        problem: small ? 'mtu-mismatch' : null,
      };
    }
    case 'router':
      if (h.rule.kind === 'none') return drop(h.rule.why, 'route-missing');
      return {
        verdict: 'forwarded',
        reason: `by the router's intended table: ${h.rule.kind === 'route' ? `${h.rule.dst} via ${h.rule.gateway ?? 'on-link'}` : ''} (not verified: the router has no agent)`,
        problem: null,
      };
    case 'host':
      if (h.rule.kind === 'local')
        return { verdict: 'delivered', reason: 'delivered (not verified: the host has no agent)', problem: null };
      if (h.rule.kind === 'route')
        return {
          verdict: 'forwarded',
          reason: `replies to ${h.rule.dst} (not verified: the host has no agent)`,
          problem: null,
        };
      return { verdict: 'unknown', reason: h.rule.kind === 'none' ? h.rule.why : 'not verified', problem: null };
    case 'node':
      return judgeNode(h);
  }
}

function judgeNode(h: TraceHop): Judged {
  if (!h.agentLive) return { verdict: 'unknown', reason: h.reason, problem: 'agent-unreachable' };
  const bridge = h.bridge?.name ?? null;
  if (h.in && bridge && h.inL3 === bridge) {
    const p = vethProblem(h.in, bridge, "the source pod's");
    if (p) return p;
  } else if (h.in && (h.in.state === 'down' || h.in.state === 'missing'))
    return drop(`${h.in.name} is ${h.in.state}`, 'no-host');
  if (h.bridge?.state === 'missing') return drop(`bridge ${h.bridge.name} does not exist`, 'bridge-missing');
  if (h.bridge?.state === 'down') return drop(`bridge ${h.bridge.name} is down`, 'bridge-down');
  if (h.routed && h.settings?.ipForward === false)
    return drop('ip_forward is 0: the node does not forward', 'forwarding-off');
  if (h.routed && h.settings?.rpFilter === 1 && h.backDev !== null && h.inL3 !== null && h.backDev !== h.inL3) {
    return drop(
      `strict rp_filter: the route back to the source leaves by ${h.backDev}, not ${h.inL3} where the packet came in`,
      'rp-filter',
    );
  }
  if (h.firewall?.verdict === 'drop') return drop(h.firewall.why, 'forward-drop');
  if (h.rule.kind === 'none') return drop(h.rule.why, 'route-missing');
  if (h.rule.kind === 'local')
    return { verdict: 'delivered', reason: `${h.rule.address} is the node's own address`, problem: null };
  if (h.rule.kind === 'route' && h.rule.dev === bridge && !h.out)
    return drop(`no pod on this node holds ${h.neighbour?.address ?? 'the address'}`, 'no-pod-for-ip');
  if (h.out && bridge && h.rule.kind === 'route' && h.rule.dev === bridge) {
    const p = vethProblem(h.out, bridge, "the destination pod's");
    if (p) return p;
  } else if (h.out && (h.out.state === 'down' || h.out.state === 'missing'))
    return drop(`${h.out.name} is ${h.out.state}`, 'no-host');
  const wrongGw = h.rule.kind === 'route' && h.intendedGateway !== null && h.rule.gateway !== h.intendedGateway;
  if (h.neighbour && FAILED_NEIGHBOUR.test(h.neighbour.state)) {
    // Nobody answering for a gateway the intent does not name: the route is the mistake.
    return drop(
      `nobody answers ARP for ${h.neighbour.address} on ${h.neighbour.dev} (neighbour ${h.neighbour.state})${wrongGw ? `; the intent is via ${h.intendedGateway}` : ''}`,
      wrongGw ? 'route-wrong-gateway' : 'no-host',
    );
  }
  const how =
    h.rule.kind === 'route'
      ? `${h.rule.dst}${h.rule.gateway ? ` via ${h.rule.gateway}` : ''} dev ${h.rule.dev}${h.rule.ownedByPodnet ? " (podnet's)" : ''}`
      : '';
  const masq = h.firewall?.masquerade ? '; masqueraded as the node (leaving the cluster network)' : '';
  if (!h.routed)
    return {
      verdict: 'forwarded',
      reason: `switched by ${bridge} from one pod's port to the other's${h.firewall ? `; ${h.firewall.why}` : ''}`,
      problem: null,
    };
  return {
    verdict: 'forwarded',
    reason: `routed by ${how}${masq}${wrongGw ? ` — but the intent is via ${h.intendedGateway}` : ''}`,
    problem: wrongGw ? 'route-wrong-gateway' : null,
  };
}

function describeResult(c: KernelCheck, r: LookupResult): string {
  if (!r.ok) return r.error ?? 'failed';
  switch (r.kind) {
    case 'route': {
      const x = r.route;
      if (!x) return 'no answer';
      if (x.type === 'local') return `local delivery (dev ${x.dev})`;
      return `${x.type !== 'unicast' ? `${x.type} ` : ''}${x.gateway ? `via ${x.gateway} ` : ''}dev ${x.dev}`;
    }
    case 'link':
      return r.link
        ? `${r.link.name} ${r.link.up ? 'up' : 'down'} (${r.link.operState}), mtu ${r.link.mtu}${r.link.master ? `, port of ${r.link.master}` : ''}`
        : `no link`;
    case 'neigh':
      return r.neigh
        ? `${r.neigh.address} ${r.neigh.state.join(',') || 'NONE'}${r.neigh.mac ? ` at ${r.neigh.mac}` : ''}`
        : `no entry for ${c.lookup.kind === 'neigh' ? c.lookup.address : ''}`;
    case 'sysctl':
      return r.sysctl
        ? `ip_forward=${r.sysctl.ipForward ? 1 : 0}, rp_filter all=${r.sysctl.rpFilter.all}${r.sysctl.rpFilter.dev !== null ? ` dev=${r.sysctl.rpFilter.dev}` : ''}`
        : 'unreadable';
    case 'firewall':
      return r.firewall
        ? `FORWARD policy ${r.firewall.forwardPolicy}, podnet accepts ${r.firewall.forwardAccepts ? 'present' : 'missing'}, masquerade ${r.firewall.masquerade ? 'present' : 'missing'}`
        : 'unreadable';
  }
}

/** Applies one answer to its hop: the fact it checks becomes the kernel's; returns whether
 *  the kernel agrees with what the path predicted. */
function apply(h: TraceHop, c: KernelCheck, r: LookupResult): boolean {
  const want = c.want;
  switch (c.role) {
    case 'in':
    case 'out':
    case 'bridge': {
      const fresh: IfaceFact = r.link
        ? linkFact({
            name: r.link.name,
            up: r.link.up,
            operState: r.link.operState,
            mtu: r.link.mtu,
            master: r.link.master,
          })
        : { name: c.lookup.kind === 'link' ? c.lookup.dev : '?', state: 'missing', mtu: null, master: null };
      const slot = c.role === 'bridge' ? 'bridge' : c.role;
      h[slot] = fresh;
      // A destination pod's veth is also its eth0's state.
      return (
        fresh.state === want.state && (want.master === undefined || c.role === 'bridge' || fresh.master === want.master)
      );
    }
    case 'route': {
      const x = r.ok ? (r.route ?? null) : null;
      if (!x) {
        if (want.ok) h.rule = { kind: 'none', why: `the kernel says: ${r.error ?? 'no route'}` };
        return !want.ok;
      }
      if (!want.ok) {
        h.rule = {
          kind: 'route',
          dst: x.dst,
          gateway: x.gateway,
          dev: x.dev,
          protocol: 'kernel lookup',
          ownedByPodnet: false,
          table: 'main',
        };
        return false;
      }
      if (want.type === 'local') {
        if (x.type !== 'local')
          h.rule = { kind: 'none', why: `the kernel does not deliver it here: ${describeResult(c, r)}` };
        return x.type === 'local';
      }
      return x.type === 'unicast' && (want.gateway ?? null) === x.gateway && (want.dev ?? null) === x.dev;
    }
    case 'sysctl': {
      if (!r.sysctl) return true;
      const rp = Math.max(r.sysctl.rpFilter.all, r.sysctl.rpFilter.dev ?? 0);
      h.settings = { ipForward: r.sysctl.ipForward, rpFilter: rp };
      return want.ipForward === null || want.ipForward === undefined || want.ipForward === r.sysctl.ipForward;
    }
    case 'firewall': {
      if (!r.firewall) return true;
      h.firewall = judgeFirewall(r.firewall, want.leaving ?? false);
      return h.firewall.verdict === want.firewall || want.firewall === 'unknown';
    }
    case 'neigh': {
      const n = r.neigh;
      h.neighbour = n ? { address: n.address, dev: n.dev, state: n.state.join(',') || 'NONE' } : null;
      return true; // the snapshot's neighbours age: an entry now is news, not a disagreement
    }
  }
}

/** The hops with the kernel's answers applied, verdicts judged, agreement marked (each
 *  answered check gets its `agrees` and `says`). The planned hops are not changed. */
export function evaluateHops(planned: TraceHop[], checks: KernelCheck[]): TraceHop[] {
  return planned.map((p) => {
    const h: TraceHop = structuredClone(p);
    const mine = checks.filter((c) => c.hop === h.id);
    const says: string[] = [];
    let disagree = false;
    let pending = false;
    const answered = mine.filter((c) => c.error === null);
    for (const c of answered) {
      if (!c.result) {
        if (!c.late) pending = true;
        continue;
      }
      const agrees = apply(h, c, c.result);
      c.agrees = agrees;
      c.says = describeResult(c, c.result);
      if (!agrees) {
        disagree = true;
        says.push(`${c.lookup.kind === 'route' ? 'route lookup' : c.role}: ${c.says} (expected ${c.expect})`);
      }
    }
    const j = judgeHop(h);
    h.verdict = j.verdict;
    h.reason = j.reason;
    h.problem = j.problem;
    h.kernel = answered.length === 0 ? 'not-verified' : disagree ? 'disagrees' : pending ? 'pending' : 'agrees';
    h.kernelSays = says.length ? says.join('; ') : null;
    return h;
  });
}
