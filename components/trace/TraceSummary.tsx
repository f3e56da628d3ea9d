'use client';
// A trace's outcome in one line — reaches, broken (where, and why) or unknown — and, while
// it runs, how far it has got: the kernel checks answered of all, each probe part.
import type { TraceResult } from '../../lib/model/trace';
import { endpointText } from '../../lib/trace/render';
import { breakHop, STATUS_WORDS, traceProgress, type TraceProgress } from './trace-view';

const STATUS_TONE: Record<TraceResult['status'], string> = {
  ok: 'border-emerald-300 bg-emerald-50 text-emerald-950 dark:border-emerald-800 dark:bg-emerald-950/60 dark:text-emerald-50',
  broken: 'border-red-400 bg-red-50 text-red-950 dark:border-red-700 dark:bg-red-950/60 dark:text-red-50',
  unknown: 'border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-50',
  running: 'border-slate-300 bg-slate-50 text-slate-900 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100',
};
const STATUS_MARK: Record<TraceResult['status'], string> = { ok: '✓', broken: '✗', unknown: '?', running: '…' };

function where(r: TraceResult): string | null {
  const h = breakHop(r);
  if (!h) return null;
  return `at hop ${h.index} ${h.direction === 'forward' ? 'there' : 'back'} (${h.where.name})`;
}

function TraceProgressLine({ progress: p }: { progress: TraceProgress }) {
  const pct = p.checksTotal ? Math.round((100 * p.checksDone) / p.checksTotal) : 100;
  return (
    <div data-testid="trace-progress" className="mt-1.5 text-xs">
      <div className="flex items-center gap-2">
        <span className="shrink-0">
          Kernel checks: {p.checksDone} of {p.checksTotal} answered
        </span>
        <div
          role="progressbar"
          aria-label="Kernel checks answered"
          aria-valuemin={0}
          aria-valuemax={p.checksTotal}
          aria-valuenow={p.checksDone}
          className="h-1.5 min-w-12 flex-1 overflow-hidden rounded bg-slate-200 dark:bg-slate-700"
        >
          <div className="h-full bg-sky-600 transition-[width] dark:bg-sky-400" style={{ width: `${pct}%` }} />
        </div>
      </div>
      {p.probe.length > 0 && (
        <p className="mt-0.5">
          Probe:{' '}
          {p.probe.map((x, i) => (
            <span key={x.name}>
              {i > 0 && ', '}
              {x.name} {x.state === 'waiting' ? '…' : x.state === 'ok' ? '✓' : x.state === 'failed' ? '✗' : '(not run)'}
            </span>
          ))}
        </p>
      )}
    </div>
  );
}

export function TraceSummary({ result: r, running }: { result: TraceResult; running: boolean }) {
  const progress = traceProgress(r);
  const done = r.phase === 'done';
  // before the end the status is what the path and the answers so far say
  const status = done ? r.status : r.status === 'broken' ? 'broken' : 'running';
  const at = status === 'broken' ? where(r) : null;
  return (
    <div
      data-testid="trace-summary"
      data-status={r.status}
      data-phase={r.phase}
      role="status"
      aria-live="polite"
      className={`rounded-md border px-3 py-2 ${STATUS_TONE[status]}`}
    >
      <p className="text-base font-semibold">
        <span aria-hidden="true">{STATUS_MARK[status]} </span>
        {STATUS_WORDS[status]}
        {at ? ` ${at}` : ''}
        {!done && status !== 'running' ? ' (still checking)' : ''}
      </p>
      <p className="mt-0.5 text-sm break-words">{r.summary}</p>
      {r.request.noProbe && (
        <p className="mt-0.5 text-xs">
          No packets sent (read-only): the expected path and each kernel’s own answer, not a ping.
        </p>
      )}
      {(!done || running) && <TraceProgressLine progress={progress} />}
      <p className="mt-1 text-xs opacity-80 [overflow-wrap:anywhere]">
        {endpointText(r.from)} → {endpointText(r.to)} · routing {r.routing}
      </p>
    </div>
  );
}
