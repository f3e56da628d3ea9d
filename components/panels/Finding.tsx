'use client';
// One finding as every panel shows it: severity, where, the object, the message, then
// expected, actual and the fix to copy. The findings list and the side panel both draw it.
import { useRef, useState, type ReactNode } from 'react';
import type { Selection, TopoFinding } from '../../lib/model/topology';

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
      <code
        ref={code}
        data-testid="fix"
        className="block min-w-0 flex-1 select-all break-all rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800"
      >
        {text}
      </code>
      <button
        type="button"
        aria-label={`Copy the command: ${text}`}
        onClick={(e) => {
          e.stopPropagation();
          if (!navigator.clipboard) return selectIt();
          navigator.clipboard.writeText(text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }, selectIt);
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
        severity === 'error'
          ? 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200'
          : 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200'
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

/** A finding's head line, message and facts; `where` (the list's link to the pod or node)
 *  goes between the severity and the object. */
export function FindingBody({ finding, where }: { finding: TopoFinding; where?: ReactNode }) {
  return (
    <>
      <div className="flex flex-wrap items-baseline gap-x-2">
        <SeverityTag severity={finding.severity} />
        {where}
        <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{finding.object}</span>
      </div>
      <p className="mt-0.5">{finding.message}</p>
      <FindingFacts finding={finding} />
    </>
  );
}

const collator = new Intl.Collator(undefined, { numeric: true });

export const bySeverity = (a: TopoFinding, b: TopoFinding) =>
  (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
  collator.compare(a.node ?? '', b.node ?? '') ||
  collator.compare(a.object, b.object);

export const findingTarget = (f: TopoFinding): Selection | null =>
  f.pod ? { kind: 'pod', key: f.pod } : f.node ? { kind: 'node', key: f.node } : null;
