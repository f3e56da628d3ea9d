'use client';
// Where the path breaks, beside the hop: the cause in one sentence, expected against
// actual, and the fix — the command to copy and the node it runs on.
import type { Diagnosis } from '../../lib/model/trace';
import { CopyCode } from '../panels/Finding';

const TONE: Record<Diagnosis['severity'], string> = {
  broken: 'border-red-300 bg-red-50 text-red-950 dark:border-red-800 dark:bg-red-950/60 dark:text-red-50',
  unknown: 'border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-50',
  warning: 'border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-50',
};

const HEAD: Record<Diagnosis['severity'], string> = {
  broken: 'Breaks here',
  unknown: 'Unknown from here',
  warning: 'Warning',
};

export function DiagnosisBox({ diagnosis: d, first }: { diagnosis: Diagnosis; first: boolean }) {
  return (
    <div
      data-testid="trace-diagnosis"
      data-kind={d.kind}
      data-severity={d.severity}
      data-first={first}
      role={first ? 'alert' : undefined}
      className={`mt-2 scroll-mt-40 rounded-md border px-2.5 py-2 text-sm ${TONE[d.severity]}`}
    >
      <p>
        <span className="font-semibold">{HEAD[d.severity]}:</span> <span data-testid="trace-cause">{d.cause}</span>
      </p>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5 text-xs">
        {d.expected && (
          <>
            <dt className="opacity-80">expected</dt>
            <dd className="min-w-0 break-words font-mono">{d.expected}</dd>
          </>
        )}
        {d.actual && (
          <>
            <dt className="opacity-80">actual</dt>
            <dd className="min-w-0 break-words font-mono">{d.actual}</dd>
          </>
        )}
      </dl>
      {d.fix && (
        <div data-testid="trace-fix" data-node={d.fix.node ?? undefined} className="mt-1.5">
          <p className="text-xs font-semibold">
            Fix — run{' '}
            {d.fix.node ? (
              <>
                on <span className="font-mono">{d.fix.node}</span> (in its network namespace)
              </>
            ) : (
              'anywhere'
            )}
            :
          </p>
          <div className="mt-0.5 text-slate-900 dark:text-slate-100">
            <CopyCode text={d.fix.text} />
          </div>
        </div>
      )}
      {d.heldFault && (
        <p className="mt-1.5 text-xs">
          A lab fault holds this on purpose ({d.heldFault}); <code className="font-mono">podnet lab fault clear</code>{' '}
          heals every fault.
        </p>
      )}
    </div>
  );
}
