'use client';
// The last traces of this session, newest first: each says when, between what and how it
// ended, and reopens as it was (a new run is the Trace button's).
import type { TraceResult } from '../../lib/model/trace';
import { clockTime } from '../panels/ConnectionBadge';
import type { HistoryEntry } from './trace-history';
import { endpointName, STATUS_WORDS } from './trace-view';

const TAG: Record<TraceResult['status'], string> = {
  ok: 'text-emerald-800 dark:text-emerald-300',
  broken: 'font-semibold text-red-700 dark:text-red-300',
  unknown: 'text-amber-800 dark:text-amber-300',
  running: 'text-slate-600 dark:text-slate-400',
};

export function TraceHistory({
  entries,
  current,
  onReopen,
}: {
  entries: HistoryEntry[];
  current: TraceResult | null;
  onReopen: (r: TraceResult) => void;
}) {
  if (entries.length === 0) return null;
  return (
    <section
      aria-label="Earlier traces"
      data-testid="trace-history"
      className="mt-4 border-t border-slate-200 pt-2 dark:border-slate-800"
    >
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
        This session’s traces ({entries.length})
      </h3>
      <ul className="space-y-0.5 text-sm">
        {entries.map((e) => {
          const r = e.result;
          const shown =
            current?.startedAt === r.startedAt &&
            current.request.from === r.request.from &&
            current.request.to === r.request.to;
          return (
            <li key={e.id}>
              <button
                type="button"
                data-testid="trace-history-item"
                data-status={r.status}
                aria-current={shown || undefined}
                title={r.summary}
                onClick={() => onReopen(r)}
                className={`flex w-full items-baseline gap-2 rounded px-1.5 py-0.5 text-left hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:hover:bg-slate-800 ${shown ? 'bg-sky-50 dark:bg-sky-950' : ''}`}
              >
                <span className="shrink-0 font-mono text-xs text-slate-600 dark:text-slate-400">
                  {clockTime(r.startedAt)}
                </span>
                <span className="min-w-0 truncate">
                  {endpointName(r.from)} → {endpointName(r.to)}
                  {r.request.port ? `:${r.request.port}` : ''}
                </span>
                <span className={`ml-auto shrink-0 text-xs ${TAG[r.status]}`}>{STATUS_WORDS[r.status]}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
