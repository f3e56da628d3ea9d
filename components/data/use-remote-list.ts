'use client';
// The search box, the table and the findings list ask the server (topology.search,
// .table, .findings) when the page does not hold every pod (issue 13's summary-first
// protocol). What the three share lives here: one tRPC client for all of them (so their
// queries ride one batched request), typing settled before it is sent, a churning
// cluster's versions thinned to one refetch a second, and an error put into words.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { SEARCH_LIMIT_MAX, type SearchResult } from '../../lib/model/search';
import { makeTrpcClient, type TrpcClient } from './trpc-client';

/** what a panel is told when the page asks the server instead of filtering its Topology */
export type Remote = { version: number } | null | undefined;

/** typing is sent once it has rested this long */
export const TYPING_MS = 100;
/** a new version of the cluster refetches a panel at most this often */
export const VERSION_MS = 1000;

let client: TrpcClient | null = null;
/** made on first use, in the browser: rendering on the server never asks anything */
export function remoteClient(): TrpcClient {
  client ??= makeTrpcClient();
  return client;
}

/**
 * How long a value that changed waits before it is passed on. Debounced: `ms` after its
 * last change (each change starts the wait again). Throttled: `ms` after the value last
 * passed on, so a value that never stops changing still passes once every `ms`.
 */
export function waitFor(mode: 'debounce' | 'throttle', ms: number, lastPassedAt: number, now: number): number {
  return mode === 'debounce' ? ms : Math.max(0, lastPassedAt + ms - now);
}

/** `value`, passed on late as `waitFor` says (the first value at once) */
export function useLagging<T>(value: T, mode: 'debounce' | 'throttle', ms: number): T {
  const [passed, setPassed] = useState(value);
  const passedAt = useRef(0);
  useEffect(() => {
    if (Object.is(value, passed)) return;
    const timer = setTimeout(
      () => {
        passedAt.current = Date.now();
        setPassed(value);
      },
      waitFor(mode, ms, passedAt.current, Date.now()),
    );
    return () => clearTimeout(timer);
  }, [value, passed, mode, ms]);
  return passed;
}

/** "The server did not answer the table query: fetch failed" */
export function remoteErrorText(what: string, error: unknown): string {
  const why = error instanceof Error ? error.message : String(error);
  return `The server did not answer the ${what} query: ${why || 'no reason given'}. It is asked again when you change the query or the cluster changes.`;
}

export interface RemoteAnswer<T, I> {
  data: T | undefined;
  /** a query is on its way: `data`, if any, answers an older one */
  waiting: boolean;
  /** the last query's failure in words, or null */
  error: string | null;
  /** the answer to another input now, from the same cache (not waiting for typing to rest) */
  askNow: (input: I) => Promise<T>;
}

/**
 * One server query of a panel, keyed by its input and the cluster's version (throttled),
 * so a new version or input is a new query while the last answer stays on screen
 * (keepPreviousData: pages do not flash empty). An answer to an older input is never shown
 * as the current one's: react-query files each answer under its own key. Off (and
 * asking nothing) while `remote` is not set.
 */
export function useRemoteQuery<I, T>(
  what: string,
  remote: Remote,
  input: I,
  ask: (client: TrpcClient, input: I) => Promise<T>,
  enabled = true,
): RemoteAnswer<T, I> {
  const version = useLagging(remote?.version ?? null, 'throttle', VERSION_MS);
  const options = (i: I) => ({
    queryKey: ['topology', what, i, version],
    queryFn: () => ask(remoteClient(), i),
    // an answer is the server's at that version: it does not go stale, a new version asks again
    staleTime: Infinity,
    gcTime: 60_000,
    // one retry, then the words: a panel that says nothing for seconds looks like "no rows"
    retry: 1,
  });
  const q = useQuery({ ...options(input), enabled: remote != null && enabled, placeholderData: keepPreviousData });
  const queryClient = useQueryClient();
  return {
    data: q.data,
    waiting: q.isFetching,
    error: q.isError ? remoteErrorText(what, q.error) : null,
    askNow: (i) => queryClient.fetchQuery(options(i)),
  };
}

type SearchAnswer = { results: SearchResult[]; total: number };

/**
 * topology.search for a box being typed into (the search box, the trace's endpoints): the
 * text sent once typing rests, nothing asked for an empty one or while `enabled` is false.
 * `text` is the text the answer is for — it lags what is in the box while typing.
 */
export function useRemoteSearch(
  remote: Remote,
  query: string,
  enabled = true,
): RemoteAnswer<SearchAnswer, string> & { text: string } {
  const text = useLagging(query.trim(), 'debounce', TYPING_MS);
  const answer = useRemoteQuery(
    'search',
    remote,
    { text, limit: SEARCH_LIMIT_MAX },
    (c, i) => c.topology.search.query(i),
    enabled && text !== '',
  );
  return { ...answer, text, askNow: (t) => answer.askNow({ text: t, limit: SEARCH_LIMIT_MAX }) };
}

/** pages of `size` needed for `total` rows (at least one: an empty list is one empty page) */
export const pageCount = (total: number, size: number) => Math.max(1, Math.ceil(total / size));

export interface RemotePages<R> extends Omit<RemoteAnswer<{ rows: R[]; total: number }, never>, 'askNow'> {
  /** from 0 */
  page: number;
  pages: number;
  setPage: (page: number) => void;
}

/**
 * A list the server pages (topology.table, topology.findings): the page the reader is on,
 * back to the first when the rest of the input (a filter, an order) changes, and kept
 * when only the cluster's version moves.
 */
export function useRemotePages<I extends object, R>(
  what: string,
  remote: Remote,
  size: number,
  input: I,
  ask: (client: TrpcClient, input: I & { page: number; pageSize: number }) => Promise<{ rows: R[]; total: number }>,
): RemotePages<R> {
  const inputKey = JSON.stringify(input);
  const [at, setAt] = useState({ page: 0, inputKey });
  const page = at.inputKey === inputKey ? at.page : 0;
  const answer = useRemoteQuery(what, remote, { ...input, page, pageSize: size }, ask);
  const pages = pageCount(answer.data?.total ?? 0, size);
  // the list shrank under the reader: its last page, not an empty one past it
  if (answer.data && !answer.waiting && page >= pages) setAt({ page: pages - 1, inputKey });
  return {
    data: answer.data,
    waiting: answer.waiting,
    error: answer.error,
    page,
    pages,
    setPage: (p) => setAt({ page: p, inputKey }),
  };
}
