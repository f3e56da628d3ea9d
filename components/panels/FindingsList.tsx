'use client';
// Every place where the network is not as it should be: what, where, expected vs actual,
// and the command that puts it right. Errors first. A click selects the pod (or node).
import { useMemo, useState } from 'react';
import type { Selection, TopoFinding } from '../../lib/model/topology';
import { bySeverity, FindingBody, findingTarget } from './Finding';

const PAGE = 200;

export function FindingsList({
  findings,
  selection,
  onSelect,
}: {
  findings: TopoFinding[];
  selection: Selection | null;
  onSelect: (sel: Selection) => void;
}) {
  const [shown, setShown] = useState(PAGE);
  const sorted = useMemo(() => [...findings].sort(bySeverity), [findings]);
  if (sorted.length === 0) {
    return (
      <div data-testid="findings" data-count={0}>
        <p className="px-3 py-2 text-sm text-emerald-800 dark:text-emerald-300">
          No findings: the network is as it should be.
        </p>
      </div>
    );
  }
  return (
    <div data-testid="findings" data-count={sorted.length}>
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {sorted.slice(0, shown).map((f) => {
          const target = findingTarget(f);
          const selected =
            target !== null && selection !== null && target.kind === selection.kind && target.key === selection.key;
          return (
            <li
              key={f.id}
              data-finding-id={f.id}
              data-node={f.node ?? undefined}
              data-pod={f.pod ?? undefined}
              data-severity={f.severity}
              onClick={() => target && onSelect(target)}
              className={`cursor-pointer px-3 py-2 text-sm hover:bg-slate-50 dark:hover:bg-slate-900 ${selected ? 'bg-sky-50 dark:bg-sky-950' : ''}`}
            >
              <FindingBody
                finding={f}
                where={
                  target ? (
                    <button
                      type="button"
                      onClick={(e) => {
                        e.stopPropagation();
                        onSelect(target);
                      }}
                      aria-label={`Select ${target.kind} ${target.key}`}
                      className="font-medium underline decoration-dotted underline-offset-2 focus-visible:outline-2 focus-visible:outline-sky-600"
                    >
                      {f.node ?? '—'}
                      {f.pod ? ` · ${f.pod}` : ''}
                    </button>
                  ) : (
                    <span className="font-medium">cluster</span>
                  )
                }
              />
            </li>
          );
        })}
      </ul>
      {sorted.length > shown && (
        <button
          type="button"
          onClick={() => setShown((s) => s + PAGE)}
          className="m-2 rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:border-slate-600 dark:hover:bg-slate-800"
        >
          Show {Math.min(PAGE, sorted.length - shown)} more of {sorted.length - shown} findings
        </button>
      )}
    </div>
  );
}
