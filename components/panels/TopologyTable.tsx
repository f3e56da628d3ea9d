'use client';
// The topology as a table: every node and every pod, not only what the graph draws, for
// screen readers, scripts and anyone who would rather sort than look. A page of rows at
// a time keeps 10,000 pods responsive; the filter and sort always cover all of them.
// With `remote` set the page does not hold every pod (issue 13): the server's
// topology.table sorts, filters and pages, and the rows are drawn the same way.
import {
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  type Dispatch,
  type ReactNode,
  type SetStateAction,
} from 'react';
import type { Health, Selection, Topology } from '../../lib/model/topology';
import { formatSelection } from '../../lib/model/topology';
import { parseIpv4 } from '../../lib/model/ipv4';
import { HealthTag } from './SidePanel';
import { Pager } from './Pager';
import { nodeRow, podRow, rowHaystack, TABLE_PAGE_MAX, type TableColumn, type TableRow } from '../../lib/model/search';
import { TYPING_MS, useLagging, useRemotePages, useRemoteQuery, type Remote } from '../data/use-remote-list';
import type { TrpcClient } from '../data/trpc-client';

/** rows a page shows, in both modes (the server's largest page) */
const PAGE = TABLE_PAGE_MAX;

/** A row as lib/model/search.ts makes it (topology.table serves the same), with what the
 *  page sorts and filters by. */
interface Row extends TableRow {
  /** the IP as a number, for sorting (no IP sorts last) */
  ipNum: number;
  /** lower-case text the filter matches */
  haystack: string;
}

interface Sort {
  col: TableColumn;
  dir: 1 | -1;
}

const COLUMNS: { id: TableColumn; label: string }[] = [
  { id: 'kind', label: 'Kind' },
  { id: 'name', label: 'Name' },
  { id: 'namespace', label: 'Namespace' },
  { id: 'node', label: 'Node' },
  { id: 'ip', label: 'IP' },
  { id: 'veth', label: 'veth / bridge' },
  { id: 'state', label: 'State' },
  { id: 'health', label: 'Health' },
  { id: 'findings', label: 'Findings' },
];

const HEALTH_ORDER: Record<Health, number> = { unreachable: 0, finding: 1, healthy: 2 };

const ipNumber = (ip: string): number => (ip ? (parseIpv4(ip) ?? Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER);

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a: Row, b: Row, col: TableColumn): number {
  switch (col) {
    case 'findings':
      return a.findings - b.findings;
    case 'health':
      return HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health];
    case 'ip':
      return a.ipNum - b.ipNum;
    default:
      return collator.compare(a[col], b[col]);
  }
}

export function tableRows(topology: Topology): Row[] {
  const podFindings = new Map<string, number>();
  for (const f of topology.findings) if (f.pod) podFindings.set(f.pod, (podFindings.get(f.pod) ?? 0) + 1);
  const rows: Row[] = new Array(topology.nodes.length + topology.pods.length);
  let i = 0;
  for (const n of topology.nodes) {
    const row = nodeRow(n);
    rows[i++] = { ...row, ipNum: ipNumber(row.ip), haystack: rowHaystack(row, { podCIDR: n.podCIDR }) };
  }
  for (const p of topology.pods) {
    const row = podRow(p, podFindings.get(p.key) ?? 0);
    rows[i++] = { ...row, ipNum: ipNumber(row.ip), haystack: rowHaystack(row, { agentIp: p.agentIp }) };
  }
  return rows;
}

/** What either mode puts on screen. */
interface TableView {
  /** the rows drawn now: the local mode's first `shown`, or the server's page */
  rows: TableRow[];
  /** rows that match the filter */
  matching: number;
  nodes: number;
  pods: number;
  /** the counts are known (the topology, or the server's first answer, is here) */
  ready: boolean;
  /** after the caption's counts: which part of the rows is drawn */
  showing: string;
  /** under the rows: "Show 200 more", or the pager */
  footer: ReactNode;
  error: string | null;
}

/** State that goes back to `initial` whenever one of `on` changes: adjusted while
 *  rendering (React's way for state that follows other state), not in an effect that
 *  would render twice. */
function useStateResetOn<S>(initial: S, on: readonly unknown[]): [S, Dispatch<SetStateAction<S>>] {
  const [state, setState] = useState(initial);
  const [seen, setSeen] = useState(on);
  if (on.some((v, i) => !Object.is(v, seen[i]))) {
    setSeen(on);
    setState(initial);
  }
  return [state, setState];
}

/** The local mode: every row from the page's Topology, filtered and sorted here. */
function useLocalTable(
  topology: Topology | null,
  filter: string,
  sort: Sort | null,
  selectedId: string | null,
): TableView {
  const [shown, setShown] = useStateResetOn(PAGE, [filter, sort]);
  const all = useMemo(() => (topology ? tableRows(topology) : []), [topology]);
  const rows = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const terms = q.split(/\s+/).filter(Boolean);
    const out = terms.length ? all.filter((r) => terms.every((t) => r.haystack.includes(t))) : all.slice();
    if (sort) out.sort((a, b) => compare(a, b, sort.col) * sort.dir || collator.compare(a.id, b.id));
    return out;
  }, [all, filter, sort]);

  // A row selected elsewhere (graph, search) is brought into the page.
  const selectedIndex = selectedId ? rows.findIndex((r) => r.id === selectedId) : -1;
  if (selectedIndex >= shown) setShown(Math.ceil((selectedIndex + 1) / PAGE) * PAGE);

  const visible = rows.slice(0, shown);
  return {
    rows: visible,
    matching: rows.length,
    nodes: topology?.nodes.length ?? 0,
    pods: topology?.pods.length ?? 0,
    ready: topology !== null,
    showing: rows.length > visible.length ? ` — showing ${visible.length} of ${rows.length} rows` : '',
    footer: rows.length > visible.length && (
      <div className="flex items-center gap-2 px-3 py-2">
        <button
          type="button"
          data-testid="table-more"
          onClick={() => setShown((s) => s + PAGE)}
          className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:border-slate-600 dark:hover:bg-slate-800"
        >
          Show {Math.min(PAGE, rows.length - visible.length)} more
        </button>
        <span className="text-sm text-slate-600 dark:text-slate-400">
          {visible.length} of {rows.length} shown
        </span>
      </div>
    ),
    error: null,
  };
}

/** The remote mode: one page of topology.table, and the cluster's counts beside it. */
function useRemoteTable(remote: Remote, filter: string, sort: Sort | null): TableView {
  const table = (c: TrpcClient, i: Parameters<TrpcClient['topology']['table']['query']>[0]) =>
    c.topology.table.query(i);
  const answer = useRemotePages(
    'table',
    remote,
    PAGE,
    {
      filter: filter.trim() || undefined,
      sort: sort ? { column: sort.col, dir: sort.dir === 1 ? ('asc' as const) : ('desc' as const) } : undefined,
    },
    table,
  );
  // how many nodes and pods there are, whatever the filter: one row of each kind, asked
  // in the same batched request as the page
  const nodes = useRemoteQuery('table', remote, { page: 0, pageSize: 1, kind: 'node' as const }, table);
  const pods = useRemoteQuery('table', remote, { page: 0, pageSize: 1, kind: 'pod' as const }, table);
  const matching = answer.data?.total ?? 0;
  return {
    rows: answer.data?.rows ?? [],
    matching,
    nodes: nodes.data?.total ?? 0,
    pods: pods.data?.total ?? 0,
    ready: answer.data !== undefined && nodes.data !== undefined && pods.data !== undefined,
    showing: answer.data ? ` — page ${answer.page + 1} of ${answer.pages}` : '',
    footer: <Pager testid="table" noun="rows" list={answer} />,
    error: answer.error ?? nodes.error ?? pods.error,
  };
}

export function TopologyTable({
  topology,
  selection,
  onSelect,
  remote,
}: {
  topology: Topology | null;
  selection: Selection | null;
  onSelect: (sel: Selection) => void;
  /** set: the rows come from the server's topology.table, refetched as `version` moves
   *  (at most once a second); null or absent: from `topology` */
  remote?: { version: number } | null;
}) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<Sort | null>(null);
  const deferredFilter = useDeferredValue(filter);
  // the server is asked once the typing rests, not on every key
  const typedFilter = useLagging(filter, 'debounce', TYPING_MS);
  const selectedRow = useRef<HTMLTableRowElement>(null);
  const selectedId = selection ? formatSelection(selection) : null;

  const local = useLocalTable(remote ? null : topology, deferredFilter, sort, selectedId);
  const server = useRemoteTable(remote, typedFilter, sort);
  const view = remote ? server : local;
  const appliedFilter = remote ? typedFilter : deferredFilter;
  const total = view.nodes + view.pods;

  // A row selected elsewhere (graph, search) is brought into view.
  useEffect(() => {
    selectedRow.current?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-800">
        <label htmlFor="topology-table-filter" className="text-sm">
          Filter
        </label>
        <input
          id="topology-table-filter"
          data-testid="table-filter"
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="name, namespace, node, IP, state…"
          className="w-72 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-600 dark:border-slate-600 dark:bg-slate-900"
        />
        <span
          className="text-sm text-slate-600 dark:text-slate-400"
          aria-live="polite"
          data-testid="table-count"
          data-rows={view.matching}
          data-total={total}
        >
          {view.matching === total ? `${total} rows` : `${view.matching} of ${total} rows match`}
        </span>
      </div>
      {view.error && (
        <p role="alert" data-testid="table-error" className="px-3 py-2 text-sm text-red-800 dark:text-red-300">
          {view.error}
        </p>
      )}
      <div className="min-h-0 flex-1 overflow-auto">
        <table
          data-testid="topology-table"
          data-rows={view.matching}
          className="w-full border-collapse text-left text-sm"
        >
          <caption className="px-3 py-2 text-left text-sm text-slate-700 dark:text-slate-300">
            {view.ready
              ? `${topology?.cluster.name ?? 'The cluster'}: ${view.nodes} nodes and ${view.pods} pods`
              : 'Waiting for the topology…'}
            {view.showing}
            {sort
              ? `, sorted by ${COLUMNS.find((c) => c.id === sort.col)?.label.toLowerCase()} (${sort.dir === 1 ? 'ascending' : 'descending'})`
              : ''}
          </caption>
          <thead className="sticky top-0 z-10 bg-slate-100 dark:bg-slate-900">
            <tr>
              {COLUMNS.map((c) => {
                const dir = sort?.col === c.id ? sort.dir : 0;
                return (
                  <th
                    key={c.id}
                    scope="col"
                    aria-sort={dir === 1 ? 'ascending' : dir === -1 ? 'descending' : 'none'}
                    data-column={c.id}
                    className="px-2 py-1.5 font-semibold whitespace-nowrap"
                  >
                    <button
                      type="button"
                      onClick={() =>
                        setSort(dir === 1 ? { col: c.id, dir: -1 } : dir === -1 ? null : { col: c.id, dir: 1 })
                      }
                      className="inline-flex items-center gap-1 rounded hover:underline focus-visible:outline-2 focus-visible:outline-sky-600"
                    >
                      {c.label}
                      <span aria-hidden="true" className="text-xs text-slate-500">
                        {dir === 1 ? '▲' : dir === -1 ? '▼' : '↕'}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {view.rows.map((r) => {
              const selected = r.id === selectedId;
              return (
                <tr
                  key={r.id}
                  ref={selected ? selectedRow : undefined}
                  data-key={r.id}
                  data-kind={r.kind}
                  data-health={r.health}
                  data-selected={selected || undefined}
                  aria-current={selected || undefined}
                  onClick={() => onSelect(r.sel)}
                  className={`cursor-pointer border-b border-slate-100 dark:border-slate-800 ${selected ? 'bg-sky-100 dark:bg-sky-900' : 'hover:bg-slate-50 dark:hover:bg-slate-900'}`}
                >
                  <td className="px-2 py-1 text-xs uppercase text-slate-600 dark:text-slate-400">{r.kind}</td>
                  <th scope="row" className="px-2 py-1 text-left font-medium">
                    <button
                      type="button"
                      onClick={(e) => {
                        e.stopPropagation();
                        onSelect(r.sel);
                      }}
                      className="text-left hover:underline focus-visible:outline-2 focus-visible:outline-sky-600"
                    >
                      {r.name}
                    </button>
                  </th>
                  <td className="px-2 py-1">{r.namespace || '—'}</td>
                  <td className="px-2 py-1">{r.node || '—'}</td>
                  <td className="px-2 py-1 font-mono text-xs">{r.ip || '—'}</td>
                  <td className="px-2 py-1 font-mono text-xs">{r.veth || '—'}</td>
                  <td className="px-2 py-1">{r.state || '—'}</td>
                  <td className="px-2 py-1">
                    <HealthTag health={r.health} />
                  </td>
                  <td className="px-2 py-1 text-right tabular-nums">{r.findings}</td>
                </tr>
              );
            })}
            {view.ready && view.matching === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="px-3 py-4 text-center text-slate-600 dark:text-slate-400">
                  No node or pod matches “{appliedFilter.trim()}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {view.footer}
      </div>
    </div>
  );
}
