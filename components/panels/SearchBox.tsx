'use client';
// Find a pod or node by what an engineer has in hand: a pod's name, its namespace, an IP
// from a log line (exact, or a prefix such as "10.244.2."), or a node's name. "/" from
// anywhere on the page focuses the box; arrows and Enter pick a result.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Selection, Topology } from '../../lib/model/topology';
import { formatSelection } from '../../lib/model/topology';
import { parseCidr, parseIpv4, prefixContains } from '../../lib/model/ipv4';
import { comboboxKeys } from './combobox-keys';

const MAX_RESULTS = 50;

export interface SearchResult {
  sel: Selection;
  /** lower is better */
  score: number;
  label: string;
  detail: string;
}

const looksLikeIp = (q: string) => /^[0-9]{1,3}(\.[0-9]{0,3}){0,3}$/.test(q);

const collator = new Intl.Collator(undefined, { numeric: true });

/** How well `text` matches `q` (both lower-case): 0 exact, 1 prefix, 3 substring, null none. */
function rank(text: string | null, q: string, substring = true): number | null {
  if (!text) return null;
  const t = text.toLowerCase();
  if (t === q) return 0;
  if (t.startsWith(q)) return 1;
  if (substring && t.includes(q)) return 3;
  return null;
}

/** An address prefix: "10.244.5" matches 10.244.5.3 (1) before 10.244.51.0/24 (2). */
function rankIp(text: string | null, q: string): number | null {
  if (!text) return null;
  if (text === q) return 0;
  if (!text.startsWith(q)) return null;
  const next = text[q.length];
  return q.endsWith('.') || next === '.' || next === '/' ? 1 : 2;
}

/** the node whose pod subnet holds a full IPv4 address */
function subnetHolds(cidr: string | null, ip: number | null): boolean {
  if (!cidr || ip === null) return false;
  const net = parseCidr(cidr);
  return net !== null && prefixContains(net, ip);
}

const best = (...ranks: (number | null)[]): number | null => {
  const found = ranks.filter((r): r is number => r !== null);
  return found.length ? Math.min(...found) : null;
};

/** Pods and nodes that match `query`, best first; `total` counts all of them. */
export function searchTopology(topology: Topology | null, query: string): { results: SearchResult[]; total: number } {
  const q = query.trim().toLowerCase();
  if (!topology || q === '') return { results: [], total: 0 };
  const ip = looksLikeIp(q);
  const fullIp = ip ? parseIpv4(q) : null;
  const out: SearchResult[] = [];
  for (const n of topology.nodes) {
    const score = ip
      ? best(rankIp(n.ip, q), rankIp(n.podCIDR, q), subnetHolds(n.podCIDR, fullIp) ? 4 : null)
      : rank(n.name, q);
    if (score === null) continue;
    out.push({
      sel: { kind: 'node', key: n.name },
      score,
      label: n.name,
      detail: [n.ip, n.podCIDR].filter(Boolean).join(' · ') || 'node',
    });
  }
  for (const p of topology.pods) {
    let score: number | null;
    if (ip) score = best(rankIp(p.ip, q), rankIp(p.agentIp, q));
    else {
      // the namespace ranks after the pod's own name: "default" should not bury "default-backend"
      const ns = rank(p.namespace, q, false);
      // a node's exact name also lists its pods, after the node itself
      score = best(
        rank(p.name, q),
        q.includes('/') ? rank(p.key, q) : null,
        ns === null ? null : ns + 2,
        p.node?.toLowerCase() === q ? 6 : null,
      );
    }
    if (score === null) continue;
    out.push({
      sel: { kind: 'pod', key: p.key },
      score,
      label: p.key,
      detail: [p.ip ?? 'no IP', p.node ?? 'unscheduled'].join(' · '),
    });
  }
  out.sort(
    (a, b) =>
      a.score - b.score ||
      (a.sel.kind === b.sel.kind ? 0 : a.sel.kind === 'node' ? -1 : 1) ||
      collator.compare(a.label, b.label),
  );
  return { results: out.slice(0, MAX_RESULTS), total: out.length };
}

const isTyping = (el: Element | null) =>
  el instanceof HTMLElement &&
  (el.isContentEditable || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT');

export function SearchBox({ topology, onPick }: { topology: Topology | null; onPick: (sel: Selection) => void }) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const { results, total } = useMemo(() => searchTopology(topology, query), [topology, query]);

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
    setQuery(q);
    setActive(0);
  };

  const pick = (r: SearchResult | undefined) => {
    if (!r) return;
    onPick(r.sel);
    setOpen(false);
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
            enter: () => pick(results[active]),
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
          {results.length === 0 && (
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
