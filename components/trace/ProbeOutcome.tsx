'use client';
// The live probe of a trace, sent from inside the source pod: its settings, then each part
// as it answers — the pings (replies, loss, round-trip), the large ping with DF (an MTU
// that is too small on the way), the traceroute laid against the path's hops, TCP.
import type { ReactNode } from 'react';
import type { TraceResult } from '../../lib/model/trace';
import { pingWords, probeSettingsText, type PartState, type TraceProgress } from './trace-view';

const PART_TONE: Record<PartState, string> = {
  ok: 'text-emerald-800 dark:text-emerald-300',
  failed: 'font-medium text-red-800 dark:text-red-300',
  waiting: 'text-slate-600 dark:text-slate-400',
  off: 'text-slate-600 dark:text-slate-400',
};
const PART_MARK: Record<PartState, string> = { ok: '✓', failed: '✗', waiting: '…', off: '–' };

function Part({ name, state, children }: { name: string; state: PartState; children: ReactNode }) {
  return (
    <li data-testid="probe-part" data-part={name} data-state={state} className="flex gap-2">
      <span className={`w-24 shrink-0 ${PART_TONE[state]}`}>
        <span aria-hidden="true">{PART_MARK[state]} </span>
        {name}
      </span>
      <span className="min-w-0 break-words">
        {state === 'waiting' ? (
          <span className="text-slate-600 dark:text-slate-400">waiting for its answer…</span>
        ) : (
          children
        )}
      </span>
    </li>
  );
}

export function ProbeOutcome({ result: r, progress }: { result: TraceResult; progress: TraceProgress }) {
  const p = r.probe;
  if (!p) return null;
  const state = (name: string): PartState => progress.probe.find((x) => x.name === name)?.state ?? 'off';
  const skippable = (name: string) => (name === 'traceroute' || name === 'large ping') && p.skipped !== null;
  const errorOf = (name: string) =>
    skippable(name)
      ? `skipped: ${p.skipped}`
      : (p.errors
          .find((e) => e.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim() ?? 'did not run');
  const size = p.settings.largeSize !== null ? p.settings.largeSize + 28 : null;
  const route = p.matched
    .map((m) => `${m.ttl}. ${m.address ?? '*'}${m.hop ? ` (hop ${m.hop.slice(1)})` : ''}`)
    .join('  ');
  return (
    <section
      aria-label="Probe"
      data-testid="trace-probe"
      data-reachable={p.reachable === null ? undefined : String(p.reachable)}
      className="mt-3"
    >
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
        Probe from {r.from.pod ?? r.from.ref}
      </h3>
      <p className="text-xs text-slate-700 dark:text-slate-300">{probeSettingsText(p.settings)}.</p>
      <ul className="mt-1 space-y-0.5 text-sm">
        <Part name="ping" state={state('ping')}>
          {p.ping ? pingWords(p.ping) : errorOf('ping')}
        </Part>
        {size !== null && (
          <Part name="large ping" state={state('large ping')}>
            {p.largePing
              ? p.largePing.ok
                ? `${size} bytes with DF: reply — the MTU holds`
                : `${size} bytes with DF: no reply — ${p.largePing.icmpErrors[0]?.message ?? p.largePing.error ?? 'lost'}`
              : errorOf('large ping')}
          </Part>
        )}
        <Part name="traceroute" state={state('traceroute')}>
          {p.traceroute ? (
            <>
              <span className="font-mono text-xs">{route || 'no hops'}</span>
              {!p.traceroute.reached && <span> — did not reach {r.to.ip}</span>}
            </>
          ) : (
            errorOf('traceroute')
          )}
        </Part>
        {p.settings.port !== null && (
          <Part name="tcp" state={state('tcp')}>
            {p.tcp
              ? p.tcp.connected
                ? `port ${p.tcp.port}: connected`
                : p.tcp.refused
                  ? `port ${p.tcp.port}: refused — reachable (the pod answered; nothing listens there)`
                  : `port ${p.tcp.port}: failed — ${p.tcp.error ?? 'no answer'}`
              : errorOf('tcp')}
          </Part>
        )}
      </ul>
      {p.errors
        .filter((e) => !/^(ping|large ping|traceroute|tcp):/.test(e))
        .map((e) => (
          <p key={e} className="mt-1 text-sm text-amber-900 dark:text-amber-200">
            Not run: {e}
          </p>
        ))}
    </section>
  );
}
