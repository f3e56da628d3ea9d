// What the trace panel shows of a TraceResult, as pure functions: the graph highlight, the
// hop where the path breaks, which hops lie beyond a break, how far the kernel checks and
// the probe have got, and the words for verdicts and states (readable without colour).
import type { GraphHighlight } from '../topology/TopologyGraph';
import { elementId } from '../../lib/model/graph-ids';
import type { Diagnosis, DiagnosisKind, HopVerdict, KernelAgreement, TraceHop, TraceResult, TraceStatus } from '../../lib/model/trace';

export const allHops = (r: TraceResult): TraceHop[] => [...r.forward, ...r.back];

/** The hop where the path breaks: the first diagnosis names it; else the first dropped hop. */
export function breakHop(r: TraceResult): TraceHop | null {
  const hops = allHops(r);
  const named = r.diagnoses[0]?.hop;
  return (named ? hops.find((h) => h.id === named) : undefined) ?? hops.find((h) => h.verdict === 'dropped') ?? null;
}

const startsWith = (prefix: string) => (id: string) => id.startsWith(prefix);
const isNode = startsWith(elementId.node(''));
const isRoute = startsWith(elementId.route('', '').trimEnd());
const isBridge = startsWith(elementId.bridge(''));
const isVeth = startsWith(elementId.veth(''));
const isPod = startsWith(elementId.pod(''));
const isRouter = (id: string) => id === elementId.router;
/** the veth of the pod the cause names first ("default/web-3's veth … is down") */
const causeVeth = (id: string, d: Diagnosis) => isVeth(id) && d.cause.startsWith(`${id.slice(elementId.veth('').length)}'s`);
const nodeDecided = (id: string) => isNode(id) || isRouter(id);
const routeDecided = (id: string) => nodeDecided(id) || isRoute(id);

/** Which of a broken hop's elements the cause is about: the node whose table or firewall
 *  decided, the bridge, the veth, the pod. */
const CAUSE_ELEMENTS: Partial<Record<DiagnosisKind, (id: string, d: Diagnosis) => boolean>> = {
  'route-missing': routeDecided,
  'route-wrong-gateway': routeDecided,
  'forwarding-off': nodeDecided,
  'forward-drop': nodeDecided,
  'rp-filter': nodeDecided,
  'agent-unreachable': nodeDecided,
  'bridge-missing': isBridge,
  'bridge-down': isBridge,
  'veth-missing': causeVeth,
  'veth-down': causeVeth,
  'veth-detached': causeVeth,
  'no-pod-for-ip': isPod,
  'pod-ip-mismatch': isPod,
  'pod-unknown': isPod,
};

/** The elements to draw red for a broken hop: those the cause is about, or all of the
 *  hop's when it names none of them. */
export function causeElements(h: TraceHop, d: Diagnosis | null): string[] {
  const about = d ? CAUSE_ELEMENTS[d.kind] : undefined;
  const picked = about ? h.elements.filter((id) => about(id, d!)) : [];
  return picked.length ? picked : h.elements;
}

/**
 * The graph highlight of a trace: every element the hops cross (there and back); in red
 * what the cause at the hop where it breaks is about (the node without the route, the veth
 * that is down; every dropped hop's elements when no diagnosis names a hop); dashed where
 * no agent could check.
 */
export function highlightOf(r: TraceResult): GraphHighlight {
  const hops = allHops(r);
  const path = [...new Set(hops.flatMap((h) => h.elements))];
  const first = r.diagnoses[0] ?? null;
  const named = first?.hop ? hops.find((h) => h.id === first.hop) : undefined;
  const failed = [...new Set(named ? causeElements(named, first) : hops.filter((h) => h.verdict === 'dropped').flatMap((h) => h.elements))];
  const unverified = [...new Set(hops.filter((h) => h.kernel === 'not-verified').flatMap((h) => h.elements))].filter((id) => !failed.includes(id));
  return { path, failed, unverified };
}

/** Hops after the first drop of their direction: the packet never gets there, so what
 *  they show is the path as it would be. */
export function beyondBreak(hops: TraceHop[]): Set<string> {
  const out = new Set<string>();
  let broken = false;
  for (const h of hops) {
    if (broken) out.add(h.id);
    if (h.verdict === 'dropped') broken = true;
  }
  return out;
}

/** The diagnoses that belong to a hop, by hop id; those of no hop under null. */
export function diagnosesByHop(r: TraceResult): Map<string | null, Diagnosis[]> {
  const ids = new Set(allHops(r).map((h) => h.id));
  const out = new Map<string | null, Diagnosis[]>();
  for (const d of r.diagnoses) {
    const key = d.hop && ids.has(d.hop) ? d.hop : null;
    out.set(key, [...(out.get(key) ?? []), d]);
  }
  return out;
}

export const VERDICT_WORDS: Record<HopVerdict, string> = { forwarded: 'forwarded', delivered: 'delivered', dropped: 'dropped', unknown: 'unknown' };
export const VERDICT_MARK: Record<HopVerdict, string> = { forwarded: '→', delivered: '✓', dropped: '✗', unknown: '?' };

export const KERNEL_LABEL: Record<KernelAgreement, string> = {
  agrees: 'kernel agrees',
  disagrees: 'kernel disagrees',
  'not-verified': 'not verified',
  pending: 'asking the kernel…',
};

export const STATUS_WORDS: Record<TraceStatus, string> = { running: 'Tracing…', ok: 'Reaches', broken: 'Broken', unknown: 'Unknown' };

export type PartState = 'waiting' | 'ok' | 'failed' | 'off';

export interface TraceProgress {
  /** kernel lookups answered (or that could not be asked) of all */
  checksDone: number;
  checksTotal: number;
  /** each part of the live probe; empty when no probe runs (read-only) */
  probe: { name: string; state: PartState }[];
  done: boolean;
}

export function traceProgress(r: TraceResult): TraceProgress {
  const checksDone = r.checks.filter((c) => c.result !== null || c.error !== null).length;
  const p = r.probe;
  const done = r.phase === 'done';
  // the probe's parts have all answered once the phase is past 'kernel'
  const probing = r.phase === 'path' || r.phase === 'kernel';
  const part = <T extends { ok: boolean }>(x: T | null, wanted: boolean, name: string) => {
    if (!wanted) return [];
    const refused = p!.errors.some((e) => e.startsWith(`${name}:`));
    const state: PartState = x ? (x.ok ? 'ok' : 'failed') : probing && !refused ? 'waiting' : 'off';
    return [{ name, state }];
  };
  const probe = p
    ? [
        ...part(p.ping, true, 'ping'),
        ...part(p.largePing, p.settings.largeSize !== null, 'large ping'),
        ...part(p.traceroute, true, 'traceroute'),
        ...part(p.tcp, p.settings.port !== null, 'tcp'),
      ]
    : [];
  return { checksDone, checksTotal: r.checks.length, probe, done };
}

/** "3 pings every 200 ms, 1 ping of 1500 bytes with DF, traceroute, TCP to port 80; each within 2000 ms" */
export function probeSettingsText(s: NonNullable<TraceResult['probe']>['settings']): string {
  const parts = [`${s.count} ping${s.count === 1 ? '' : 's'} every ${s.intervalMs} ms`];
  if (s.largeSize !== null) parts.push(`1 ping of ${s.largeSize + 28} bytes with DF (don't fragment)`);
  parts.push('a traceroute');
  if (s.port !== null) parts.push(`a TCP connection to port ${s.port}`);
  return `${parts.join(', ')}; each within ${s.timeoutMs} ms`;
}

const ms = (n: number) => `${n < 10 ? n.toFixed(3) : n.toFixed(1)} ms`;

/** "3/3 replies, 0% loss, rtt min/avg/max 0.106/0.109/0.111 ms" */
export function pingWords(p: NonNullable<NonNullable<TraceResult['probe']>['ping']>): string {
  const loss = p.lossPct !== null ? `, ${p.lossPct}% loss` : '';
  const rtt = p.rttMs ? `, rtt min/avg/max ${p.rttMs.min}/${p.rttMs.avg}/${p.rttMs.max} ms` : '';
  const why = p.icmpErrors[0] ? ` — ${p.icmpErrors[0].message} (from ${p.icmpErrors[0].from})` : p.error && !p.ok ? ` — ${p.error}` : '';
  return `${p.received}/${p.sent} repl${p.sent === 1 ? 'y' : 'ies'}${loss}${rtt}${why}`;
}

export const rttWords = (rtt: number | null): string => (rtt === null ? '—' : ms(rtt));

/** The name a person knows an endpoint by: the pod's key, or the address. */
export const endpointName = (e: TraceResult['from']): string => e.pod ?? e.ip ?? e.ref;
