'use client';
// The topology as a table: every node and every pod, not only what the graph draws, for
// screen readers, scripts and anyone who would rather sort than look. A page of rows at
// a time keeps 10,000 pods responsive; the filter and sort always cover all of them.
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { Health, Selection, Topology } from '../../lib/model/topology';
import { formatSelection } from '../../lib/model/topology';
import { parseIpv4 } from '../../lib/model/ipv4';
import { HealthTag } from './SidePanel';
import { nodeRow, podRow, rowHaystack, type TableRow } from '../../lib/model/search';

const PAGE = 200;

/** A row as lib/model/search.ts makes it (topology.table serves the same), with what the
 *  page sorts and filters by. */
interface Row extends TableRow {
  /** the IP as a number, for sorting (no IP sorts last) */
  ipNum: number;
  /** lower-case text the filter matches */
  haystack: string;
}

type Column = 'kind' | 'name' | 'namespace' | 'node' | 'ip' | 'veth' | 'state' | 'health' | 'findings';

const COLUMNS: { id: Column; label: string }[] = [
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

function compare(a: Row, b: Row, col: Column): number {
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

export function TopologyTable({
  topology,
  selection,
  onSelect,
}: {
  topology: Topology | null;
  selection: Selection | null;
  onSelect: (sel: Selection) => void;
}) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ col: Column; dir: 1 | -1 } | null>(null);
  const [shown, setShown] = useState(PAGE);
  const deferredFilter = useDeferredValue(filter);
  const selectedRow = useRef<HTMLTableRowElement>(null);

  const all = useMemo(() => (topology ? tableRows(topology) : []), [topology]);
  const rows = useMemo(() => {
    const q = deferredFilter.trim().toLowerCase();
    const terms = q.split(/\s+/).filter(Boolean);
    const out = terms.length ? all.filter((r) => terms.every((t) => r.haystack.includes(t))) : all.slice();
    if (sort) out.sort((a, b) => compare(a, b, sort.col) * sort.dir || collator.compare(a.id, b.id));
    return out;
  }, [all, deferredFilter, sort]);

  // A new filter or order shows its first page again. Adjusted while rendering (React's
  // way for state that follows other state), not in an effect that would render twice.
  const [shownFor, setShownFor] = useState({ filter: deferredFilter, sort });
  if (shownFor.filter !== deferredFilter || shownFor.sort !== sort) {
    setShownFor({ filter: deferredFilter, sort });
    setShown(PAGE);
  }

  // A row selected elsewhere (graph, search) is brought into the page and into view.
  const selectedId = selection ? formatSelection(selection) : null;
  const selectedIndex = selectedId ? rows.findIndex((r) => r.id === selectedId) : -1;
  if (selectedIndex >= shown) setShown(Math.ceil((selectedIndex + 1) / PAGE) * PAGE);
  useEffect(() => {
    selectedRow.current?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  const nodes = topology?.nodes.length ?? 0;
  const pods = topology?.pods.length ?? 0;
  const visible = rows.slice(0, shown);

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
          data-rows={rows.length}
          data-total={all.length}
        >
          {rows.length === all.length ? `${all.length} rows` : `${rows.length} of ${all.length} rows match`}
        </span>
      </div>
      <div className="min-h-0 flex-1 overflow-auto">
        <table
          data-testid="topology-table"
          data-rows={rows.length}
          className="w-full border-collapse text-left text-sm"
        >
          <caption className="px-3 py-2 text-left text-sm text-slate-700 dark:text-slate-300">
            {topology ? `${topology.cluster.name}: ${nodes} nodes and ${pods} pods` : 'Waiting for the topology…'}
            {rows.length > visible.length ? ` — showing ${visible.length} of ${rows.length} rows` : ''}
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
            {visible.map((r) => {
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
            {topology && rows.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="px-3 py-4 text-center text-slate-600 dark:text-slate-400">
                  No node or pod matches “{deferredFilter.trim()}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        {rows.length > visible.length && (
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
        )}
      </div>
    </div>
  );
}
