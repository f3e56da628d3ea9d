'use client';
// Previous / Next through a list the server pages (the table, the findings), with where
// the reader is: "page 3 of 51 · 10,100 rows". data-page (from 1) and data-pages let a
// test drive it without reading the words. Nothing until the first page has arrived.
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
  if (!list.data) return null;
  const { page, pages, waiting, setPage } = list;
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
        page {page + 1} of {pages} · {list.data.total} {noun}
        {waiting ? ' · loading…' : ''}
      </span>
    </nav>
  );
}
