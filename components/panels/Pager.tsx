'use client';
// Previous / Next through a list the server pages (the table, the findings), with where
// the reader is: "page 3 of 51 · 10,100 rows", the page number one to type over (page 40
// of 51 is not 39 clicks away). data-page (from 1) and data-pages let a test drive it
// without reading the words. Nothing until the first page has arrived.
import { useState } from 'react';
import type { RemotePages } from '../data/use-remote-list';
import { secondaryButton } from './button-styles';

export function Pager({
  testid,
  noun,
  list,
}: {
  /** "table" gives table-prev, table-next and table-page */
  testid: string;
  /** what a row is, plural: "rows", "findings" */
  noun: string;
  list: RemotePages<unknown>;
}) {
  // what is typed in the page box, until Enter or leaving it takes it
  const [typed, setTyped] = useState<string | null>(null);
  if (!list.data) return null;
  const { page, pages, waiting, setPage } = list;
  const go = () => {
    const n = Number(typed);
    if (typed !== null && Number.isInteger(n)) setPage(Math.min(pages, Math.max(1, n)) - 1);
    setTyped(null);
  };
  return (
    <nav aria-label={`Pages of ${noun}`} className="flex items-center gap-2 px-3 py-2">
      <button
        type="button"
        data-testid={`${testid}-prev`}
        disabled={page <= 0}
        onClick={() => setPage(page - 1)}
        className={secondaryButton}
      >
        Previous
      </button>
      <button
        type="button"
        data-testid={`${testid}-next`}
        disabled={page >= pages - 1}
        onClick={() => setPage(page + 1)}
        className={secondaryButton}
      >
        Next
      </button>
      <span
        data-testid={`${testid}-page`}
        data-page={page + 1}
        data-pages={pages}
        data-waiting={waiting || undefined}
        aria-live="polite"
        className="text-sm text-slate-600 dark:text-slate-400"
      >
        <label>
          page{' '}
          <input
            type="number"
            data-testid={`${testid}-goto`}
            aria-label={`Go to page (1 to ${pages})`}
            min={1}
            max={pages}
            value={typed ?? String(page + 1)}
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') go();
              else if (e.key === 'Escape') setTyped(null);
            }}
            onBlur={go}
            className="w-16 rounded border border-slate-300 bg-white px-1 py-0.5 text-right font-mono text-sm dark:border-slate-600 dark:bg-slate-900"
          />
        </label>{' '}
        of {pages} · {list.data.total} {noun}
        {waiting ? ' · loading…' : ''}
      </span>
    </nav>
  );
}
