'use client';
// Whether what the page shows is live: the state of the topology stream, in words (the
// colour only repeats it), with the time the data is from when it is not live.
import type { Connection } from '../data/use-topology';

const pad2 = (n: number) => String(n).padStart(2, '0');

// Not Intl.DateTimeFormat: its first use loads the locale's data (30–40 ms in Chromium here),
// and that first use was the first click on a node (the side panel shows times), holding
// up the input after it. A 24-hour clock reads the same in every locale.
/** "02:13:05" in the viewer's time zone */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "2026-12-03" in the viewer's time zone (year first: unambiguous in every locale) */
export function localDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

export function connectionText(c: Connection): string {
  switch (c.state) {
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live';
    case 'reconnecting':
      return `Reconnecting… (showing data from ${clockTime(c.since)})`;
    case 'stale':
      return `Stale since ${clockTime(c.since)}`;
  }
}

const TONE: Record<Connection['state'], string> = {
  connecting:
    'border-slate-300 bg-slate-100 text-slate-700 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-200',
  live: 'border-emerald-300 bg-emerald-50 text-emerald-800 dark:border-emerald-700 dark:bg-emerald-950 dark:text-emerald-200',
  reconnecting:
    'border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200',
  stale: 'border-red-300 bg-red-50 text-red-800 dark:border-red-700 dark:bg-red-950 dark:text-red-200',
};

const DOT: Record<Connection['state'], string> = {
  connecting: 'bg-slate-400',
  live: 'bg-emerald-500',
  reconnecting: 'bg-amber-500 animate-pulse',
  stale: 'bg-red-500',
};

export function ConnectionBadge({ connection, compact = false }: { connection: Connection; compact?: boolean }) {
  const text = connectionText(connection);
  const title = connection.error ? `${text}: ${connection.error}` : text;
  return (
    <span
      data-testid="connection"
      data-state={connection.state}
      data-since={connection.since}
      role="status"
      title={title}
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full border ${compact ? 'px-1.5 py-0 text-xs' : 'px-2 py-0.5 text-sm'} ${TONE[connection.state]}`}
    >
      <span aria-hidden="true" className={`inline-block h-2 w-2 rounded-full ${DOT[connection.state]}`} />
      {text}
    </span>
  );
}
