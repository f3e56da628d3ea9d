'use client';
// Every place where the network is not as it should be: what, where, expected vs actual,
// and the command that puts it right. Errors first. A click selects the pod (or node).
// With `remote` set the page does not hold every finding (issue 13): the server's
// topology.findings pages them, in the same order, drawn the same way.
import { useMemo, useState } from 'react';
import type { Selection, TopoFinding } from '../../lib/model/topology';
import { useRemotePages } from '../data/use-remote-list';
import { bySeverity, FindingBody, findingTarget } from './Finding';
import { Pager } from './Pager';

const PAGE = 200;
/** a page of the server's findings: each finding is tall, a hundred is plenty to scroll */
const REMOTE_PAGE = 100;

export function FindingsList({
  findings,
  selection,
  onSelect,
  remote,
}: {
  /** every finding (not read while `remote` is set) */
  findings: TopoFinding[];
  selection: Selection | null;
  onSelect: (sel: Selection) => void;
  /** set: the findings come from the server's topology.findings, refetched as `version`
   *  moves (at most once a second); null or absent: from `findings` */
  remote?: { version: number } | null;
}) {
  const [shown, setShown] = useState(PAGE);
  const sorted = useMemo(() => (remote ? [] : [...findings].sort(bySeverity)), [findings, remote]);
  const answer = useRemotePages('findings', remote, REMOTE_PAGE, {}, (c, i) => c.topology.findings.query(i));
  const total = remote ? (answer.data?.total ?? 0) : sorted.length;
  const rows = remote ? (answer.data?.rows ?? []) : sorted.slice(0, shown);

  const error = answer.error && (
    <p role="alert" data-testid="findings-error" className="px-3 py-2 text-sm text-red-800 dark:text-red-300">
      {answer.error}
    </p>
  );
  if (total === 0 && (!remote || answer.data)) {
    return (
      <div data-testid="findings" data-count={0}>
        {error}
        <p className="px-3 py-2 text-sm text-emerald-800 dark:text-emerald-300">
          No findings: the network is as it should be.
        </p>
      </div>
    );
  }
  return (
    <div data-testid="findings" data-count={remote && !answer.data ? undefined : total}>
      {error}
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {rows.map((f) => {
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
      {remote
        ? total > REMOTE_PAGE && <Pager testid="findings" noun="findings" list={answer} />
        : total > shown && (
            <button
              type="button"
              onClick={() => setShown((s) => s + PAGE)}
              className="m-2 rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:border-slate-600 dark:hover:bg-slate-800"
            >
              Show {Math.min(PAGE, total - shown)} more of {total - shown} findings
            </button>
          )}
    </div>
  );
}
