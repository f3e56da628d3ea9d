'use client';
// Every place where the network is not as it should be: what, where, expected vs actual,
// and the command that puts it right. Errors first. A click selects the pod (or node).
import { useMemo, useRef, useState } from 'react';
import type { Selection, TopoFinding } from '../../lib/model/topology';

const PAGE = 200;

export function CopyCode({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  const code = useRef<HTMLElement>(null);
  // Without the clipboard API (a page served over plain http from a remote host) the
  // command is selected instead, ready for Ctrl+C.
  const selectIt = () => {
    if (!code.current) return;
    const range = document.createRange();
    range.selectNodeContents(code.current);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
  };
  return (
    <span className="flex items-start gap-1">
      <code ref={code} data-testid="fix" className="block min-w-0 flex-1 select-all break-all rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800">
        {text}
      </code>
      <button
        type="button"
        aria-label={`Copy the command: ${text}`}
        onClick={(e) => {
          e.stopPropagation();
          if (!navigator.clipboard) return selectIt();
          navigator.clipboard.writeText(text).then(
            () => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            },
            selectIt,
          );
        }}
        className="shrink-0 rounded border border-slate-300 px-1.5 text-xs hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:border-slate-600 dark:hover:bg-slate-800"
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}

export function SeverityTag({ severity }: { severity: TopoFinding['severity'] }) {
  return (
    <span
      className={`inline-block rounded px-1.5 text-xs font-semibold uppercase ${
        severity === 'error' ? 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200' : 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200'
      }`}
    >
      {severity}
    </span>
  );
}

/** Expected, actual and the fix of one finding, as a definition list. */
export function FindingFacts({ finding }: { finding: TopoFinding }) {
  return (
    <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5 text-xs">
      <dt className="text-slate-600 dark:text-slate-400">expected</dt>
      <dd className="break-words font-mono">{finding.expected}</dd>
      <dt className="text-slate-600 dark:text-slate-400">actual</dt>
      <dd className="break-words font-mono">{finding.actual}</dd>
      {finding.fix && (
        <>
          <dt className="text-slate-600 dark:text-slate-400">fix</dt>
          <dd className="min-w-0">
            <CopyCode text={finding.fix} />
          </dd>
        </>
      )}
    </dl>
  );
}

const collator = new Intl.Collator(undefined, { numeric: true });

export const bySeverity = (a: TopoFinding, b: TopoFinding) =>
  (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || collator.compare(a.node ?? '', b.node ?? '') || collator.compare(a.object, b.object);

export const findingTarget = (f: TopoFinding): Selection | null => (f.pod ? { kind: 'pod', key: f.pod } : f.node ? { kind: 'node', key: f.node } : null);

export function FindingsList({ findings, selection, onSelect }: { findings: TopoFinding[]; selection: Selection | null; onSelect: (sel: Selection) => void }) {
  const [shown, setShown] = useState(PAGE);
  const sorted = useMemo(() => [...findings].sort(bySeverity), [findings]);
  if (sorted.length === 0) {
    return (
      <div data-testid="findings" data-count={0}>
        <p className="px-3 py-2 text-sm text-emerald-800 dark:text-emerald-300">No findings: the network is as it should be.</p>
      </div>
    );
  }
  return (
    <div data-testid="findings" data-count={sorted.length}>
      <ul className="divide-y divide-slate-200 dark:divide-slate-800">
        {sorted.slice(0, shown).map((f) => {
          const target = findingTarget(f);
          const selected = target !== null && selection !== null && target.kind === selection.kind && target.key === selection.key;
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
              <div className="flex flex-wrap items-baseline gap-x-2">
                <SeverityTag severity={f.severity} />
                {target ? (
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
                )}
                <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{f.object}</span>
              </div>
              <p className="mt-0.5">{f.message}</p>
              <FindingFacts finding={f} />
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
