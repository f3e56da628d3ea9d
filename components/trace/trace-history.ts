// The last traces of the session, newest first, kept for comparison: in memory and in
// sessionStorage (a reload keeps them, another tab or a new session does not). Each entry
// is a finished trace, reopened as it was — running it again is a new trace.
import type { TraceResult } from '../../lib/model/trace';

export const HISTORY_LIMIT = 10;
export const HISTORY_STORAGE_KEY = 'podnet-trace-history';

export interface HistoryEntry {
  /** when it ran and between what: unique within a session */
  id: string;
  result: TraceResult;
}

export const historyId = (r: TraceResult): string =>
  `${r.startedAt} ${r.request.from} ${r.request.to} ${r.request.port ?? ''}`;

/** The list with `result` first; the same trace again replaces its entry; at most `limit`. */
export function pushHistory(list: HistoryEntry[], result: TraceResult, limit = HISTORY_LIMIT): HistoryEntry[] {
  const id = historyId(result);
  return [{ id, result }, ...list.filter((e) => e.id !== id)].slice(0, limit);
}

interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const looksLikeEntry = (e: unknown): e is HistoryEntry => {
  const x = e as HistoryEntry | null;
  return (
    typeof x?.id === 'string' &&
    typeof x.result?.startedAt === 'string' &&
    Array.isArray(x.result.forward) &&
    Array.isArray(x.result.back)
  );
};

/** What the store holds; an absent, unreadable or foreign value is an empty history. */
export function loadHistory(store: KeyValueStore | null): HistoryEntry[] {
  try {
    const raw = store?.getItem(HISTORY_STORAGE_KEY);
    const list = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(list) ? list.filter(looksLikeEntry).slice(0, HISTORY_LIMIT) : [];
  } catch {
    return [];
  }
}

/** Writes the list; when the store is full, the oldest entries go until it fits.
 *  Returns how many entries were kept. */
export function saveHistory(store: KeyValueStore | null, list: HistoryEntry[]): number {
  if (!store) return 0;
  for (let n = list.length; n >= 0; n--) {
    try {
      store.setItem(HISTORY_STORAGE_KEY, JSON.stringify(list.slice(0, n)));
      return n;
    } catch {
      // quota exceeded (or storage off): try with fewer
    }
  }
  return 0;
}
