// What the trace panel shows of a TraceResult, as pure functions: the graph highlight, the
// hop where the path breaks, which hops lie beyond a break, how far the kernel checks and
// the probe have got, and the words for verdicts and states (readable without colour).
import type { GraphHighlight } from '../topology/TopologyGraph';
import { beyondBreak } from '../../lib/trace/render';
import type { Diagnosis, HopVerdict, KernelAgreement, TraceHop, TraceResult, TraceStatus } from '../../lib/model/trace';

export const allHops = (r: TraceResult): TraceHop[] => [...r.forward, ...r.back];

/** The hop where the path breaks: the first diagnosis names it; else the first dropped hop. */
export function breakHop(r: TraceResult): TraceHop | null {
  const hops = allHops(r);
  const named = r.diagnoses[0]?.hop;
  return (named ? hops.find((h) => h.id === named) : undefined) ?? hops.find((h) => h.verdict === 'dropped') ?? null;
}

/** The elements to draw red for a broken hop: those the diagnosis says it is about (the
 *  node whose table or firewall decided, the route, the bridge, the veth), or all of the
 *  hop's when it names none. */
export function causeElements(h: TraceHop, d: Diagnosis | null): string[] {
  return d && d.elements.length ? d.elements : h.elements;
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
  const failed = [
    ...new Set(
      named
        ? causeElements(named, first)
        : first?.elements.length
          ? first.elements
          : hops.filter((h) => h.verdict === 'dropped').flatMap((h) => h.elements),
    ),
  ];
  const unverified = [...new Set(hops.filter((h) => h.kernel === 'not-verified').flatMap((h) => h.elements))].filter(
    (id) => !failed.includes(id),
  );
  return { path, failed, unverified };
}

export { beyondBreak };

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

export const VERDICT_WORDS: Record<HopVerdict, string> = {
  forwarded: 'forwarded',
  delivered: 'delivered',
  dropped: 'dropped',
  unknown: 'unknown',
};
export const VERDICT_MARK: Record<HopVerdict, string> = { forwarded: '→', delivered: '✓', dropped: '✗', unknown: '?' };

export const KERNEL_LABEL: Record<KernelAgreement, string> = {
  agrees: 'kernel agrees',
  disagrees: 'kernel disagrees',
  'not-verified': 'not verified',
  pending: 'asking the kernel…',
};

export const STATUS_WORDS: Record<TraceStatus, string> = {
  running: 'Tracing…',
  ok: 'Reaches',
  broken: 'Broken',
  unknown: 'Unknown',
};

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
    const refused =
      p!.errors.some((e) => e.startsWith(`${name}:`)) ||
      (p!.skipped !== null && (name === 'traceroute' || name === 'large ping'));
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
  const why = p.icmpErrors[0]
    ? ` — ${p.icmpErrors[0].message} (from ${p.icmpErrors[0].from})`
    : p.error && !p.ok
      ? ` — ${p.error}`
      : '';
  return `${p.received}/${p.sent} repl${p.sent === 1 ? 'y' : 'ies'}${loss}${rtt}${why}`;
}

export const rttWords = (rtt: number | null): string => (rtt === null ? '—' : ms(rtt));

/** The name a person knows an endpoint by: the pod's key, or the address. */
export const endpointName = (e: TraceResult['from']): string => e.pod ?? e.ip ?? e.ref;
