'use client';
// Find a pod or node by what an engineer has in hand: a pod's name, its namespace, an IP
// from a log line (exact, or a prefix such as "10.244.2."), or a node's name. "/" from
// anywhere on the page focuses the box; arrows and Enter pick a result. With `remote` set
// the page does not hold every pod (issue 13): the server's topology.search answers, by
// the same rules, as the typing rests.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Selection, Topology } from '../../lib/model/topology';
import { formatSelection } from '../../lib/model/topology';
import { parseIpv4 } from '../../lib/model/ipv4';
import {
  looksLikeIp,
  nodeResult,
  nodeScore,
  podResult,
  podScore,
  SEARCH_LIMIT_MAX,
  type SearchResult,
} from '../../lib/model/search';
import { useRemoteSearch, type Remote } from '../data/use-remote-list';
import { comboboxKeys } from './combobox-keys';

const MAX_RESULTS = SEARCH_LIMIT_MAX;

export type { SearchResult };

const collator = new Intl.Collator(undefined, { numeric: true });

/** Pods and nodes that match `query`, best first; `total` counts all of them. The rules
 *  are lib/model/search.ts's, which the server's topology.search serves too. */
export function searchTopology(topology: Topology | null, query: string): { results: SearchResult[]; total: number } {
  const q = query.trim().toLowerCase();
  if (!topology || q === '') return { results: [], total: 0 };
  const ip = looksLikeIp(q);
  const fullIp = ip ? parseIpv4(q) : null;
  const out: SearchResult[] = [];
  for (const n of topology.nodes) {
    const score = nodeScore(n, q, ip, fullIp);
    if (score !== null) out.push(nodeResult(n, score));
  }
  for (const p of topology.pods) {
    const score = podScore(p, q, ip);
    if (score !== null) out.push(podResult(p, score));
  }
  out.sort(
    (a, b) =>
      a.score - b.score ||
      (a.sel.kind === b.sel.kind ? 0 : a.sel.kind === 'node' ? -1 : 1) ||
      collator.compare(a.label, b.label),
  );
  return { results: out.slice(0, MAX_RESULTS), total: out.length };
}

const NOTHING = { results: [], total: 0 };

/** What the box lists for `query`: found here, or the server's answer to it. */
function useSearch(
  topology: Topology | null,
  query: string,
  remote: Remote,
): {
  results: SearchResult[];
  total: number;
  searching: boolean;
  error: string | null;
  /** the server's answer to `text` now (remote mode only) */
  askNow: (text: string) => Promise<{ results: SearchResult[] }>;
} {
  const local = useMemo(() => (remote ? NOTHING : searchTopology(topology, query)), [remote, topology, query]);
  const answer = useRemoteSearch(remote, query);
  const { text, askNow } = answer;
  if (!remote) return { ...local, searching: false, error: null, askNow };
  return {
    askNow,
    results: answer.data?.results ?? [],
    total: answer.data?.total ?? 0,
    // what is listed answers older typing until the query for this text has come back
    searching: text !== query.trim() || answer.waiting,
    error: answer.error,
  };
}

const isTyping = (el: Element | null) =>
  el instanceof HTMLElement &&
  (el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT');

export function SearchBox({
  topology,
  onPick,
  remote,
}: {
  topology: Topology | null;
  onPick: (sel: Selection) => void;
  /** set: results from the server's topology.search (refetched as `version` moves, at
   *  most once a second); null or absent: searched in `topology` */
  remote?: { version: number } | null;
}) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  /** what is in the box now, for an answer that arrives later */
  const typed = useRef('');
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const { results, total, searching, error, askNow } = useSearch(topology, query, remote);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTyping(document.activeElement)) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // A new query starts again at its first result.
  const search = (q: string) => {
    typed.current = q;
    setQuery(q);
    setActive(0);
  };

  const pick = (r: SearchResult | undefined) => {
    if (!r) return;
    onPick(r.sel);
    setOpen(false);
  };

  // Enter on a query still on its way takes the active result of its answer, not of the
  // older query still listed: a fast typist gets what they typed.
  const enter = () => {
    if (!searching) return pick(results[active]);
    const text = query.trim();
    const at = active;
    askNow(text).then(
      (found) => {
        if (typed.current.trim() === text) pick(found.results[at]);
      },
      () => {}, // the box's own query fails too and says why
    );
  };

  const showList = open && query.trim() !== '';
  const activeId = showList && results[active] ? `${listId}-${active}` : undefined;

  return (
    <div className="relative w-full max-w-sm">
      <label htmlFor={`${listId}-input`} className="sr-only">
        Search pods and nodes by name, namespace, IP or node (press / to focus)
      </label>
      <input
        id={`${listId}-input`}
        ref={input}
        data-testid="search"
        type="search"
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={activeId}
        autoComplete="off"
        spellCheck={false}
        placeholder="Search pod, namespace, IP, node  ( / )"
        value={query}
        onChange={(e) => {
          search(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) =>
          comboboxKeys(e, {
            count: results.length,
            setActive,
            open: () => setOpen(true),
            enter,
            escape: () => {
              if (showList) setOpen(false);
              else {
                search('');
                input.current?.blur();
              }
            },
          })
        }
        className="w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm placeholder:text-slate-500 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-600 dark:border-slate-600 dark:bg-slate-900 dark:placeholder:text-slate-400"
      />
      {showList && (
        <ul
          id={listId}
          role="listbox"
          aria-label="Search results"
          data-testid="search-results"
          className="absolute right-0 left-0 z-30 mt-1 max-h-96 overflow-auto rounded-md border border-slate-300 bg-white py-1 text-sm shadow-lg dark:border-slate-600 dark:bg-slate-900"
        >
          {error && (
            <li role="alert" data-testid="search-error" className="px-3 py-2 text-red-800 dark:text-red-300">
              {error}
            </li>
          )}
          {searching && (
            <li data-testid="search-waiting" className="px-3 py-1.5 text-xs text-slate-600 dark:text-slate-400">
              searching…
            </li>
          )}
          {results.length === 0 && !searching && !error && (
            <li className="px-3 py-2 text-slate-600 dark:text-slate-300">No pod or node matches “{query.trim()}”.</li>
          )}
          {results.map((r, i) => (
            <li
              key={formatSelection(r.sel)}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              data-testid="search-result"
              data-key={formatSelection(r.sel)}
              onMouseDown={(e) => e.preventDefault() /* keep focus in the box until the click lands */}
              onMouseEnter={() => setActive(i)}
              onClick={() => pick(r)}
              className={`flex cursor-pointer items-baseline gap-2 px-3 py-1.5 ${i === active ? 'bg-sky-100 dark:bg-sky-900' : ''}`}
            >
              <span className="w-9 shrink-0 text-xs uppercase text-slate-600 dark:text-slate-400">{r.sel.kind}</span>
              <span className="truncate font-medium">{r.label}</span>
              <span className="ml-auto shrink-0 font-mono text-xs text-slate-600 dark:text-slate-400">{r.detail}</span>
            </li>
          ))}
          {total > results.length && (
            <li className="px-3 py-1.5 text-xs text-slate-600 dark:text-slate-400">
              {total - results.length} more: type more of the name or IP, or use the table view’s filter.
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
