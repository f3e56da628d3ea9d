'use client';
// A trace in a few lines, for the embed page (whose graph shows the path): the outcome,
// and where the path breaks with the fix. The full hop list is the dashboard's.
import { DiagnosisBox } from './DiagnosisBox';
import { TraceSummary } from './TraceSummary';
import type { TraceRun } from './use-trace-run';

export function TraceCard({ run }: { run: TraceRun }) {
  const r = run.result;
  return (
    <div
      data-testid="trace-card"
      data-status={r?.status}
      data-phase={r?.phase}
      className="max-h-[45vh] overflow-auto rounded-md bg-white/95 text-sm shadow-md backdrop-blur dark:bg-slate-950/95"
    >
      {run.error ? (
        <p
          role="alert"
          className="rounded-md border border-red-300 px-2 py-1.5 text-red-900 dark:border-red-800 dark:text-red-100"
        >
          The trace did not run: {run.error}
        </p>
      ) : r ? (
        <>
          <TraceSummary result={r} running={run.running} />
          {r.diagnoses[0] && <DiagnosisBox diagnosis={r.diagnoses[0]} first />}
        </>
      ) : null}
    </div>
  );
}
