'use client';
// Which pods reach which, node by node: every pod pings every other (one pod per node
// above 40 pods) through its node's agent, on demand. A cell says how many pairs answered
// ("4/4") and their mean round-trip, coloured by the outcome; it opens to its pod pairs,
// and each pair (or the cell's first failing one) opens its trace.
import { useState } from 'react';
import { primaryButton } from '../panels/button-styles';
import type { MatrixPair } from '../../lib/trace/matrix';
import {
  CELL_WORDS,
  cellCount,
  cellOf,
  cellState,
  matrixSummary,
  pairsOf,
  tracePairOf,
  type CellState,
} from './matrix-view';
import type { TraceAsk } from './trace-link';
import { rttWords } from './trace-view';
import { useMatrix } from './use-matrix';

const CELL_TONE: Record<CellState, string> = {
  ok: 'border-emerald-300 bg-emerald-50 text-emerald-950 dark:border-emerald-800 dark:bg-emerald-950/70 dark:text-emerald-50',
  failed: 'border-red-500 bg-red-100 text-red-950 dark:border-red-600 dark:bg-red-950 dark:text-red-50',
  partial: 'border-red-400 bg-amber-50 text-red-950 dark:border-red-700 dark:bg-amber-950/70 dark:text-amber-50',
  pending: 'border-slate-300 bg-slate-50 text-slate-700 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-300',
  none: 'border-dashed border-slate-300 text-slate-500 dark:border-slate-700 dark:text-slate-400',
};
const CELL_MARK: Record<CellState, string> = { ok: '✓', failed: '✗', partial: '!', pending: '…', none: '' };

const short = (key: string) => (key.startsWith('default/') ? key.slice('default/'.length) : key);

const actionButton =
  'rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-600 dark:border-slate-600 dark:hover:bg-slate-800';

function PairRow({ p, onTrace }: { p: MatrixPair; onTrace: (a: TraceAsk) => void }) {
  const bad = p.state === 'failed' || p.state === 'error';
  return (
    <li
      data-testid="matrix-pair"
      data-from={p.from}
      data-to={p.to}
      data-state={p.state}
      className="flex flex-wrap items-baseline gap-x-2 py-0.5"
    >
      <span className="min-w-0 truncate font-mono text-xs">
        {short(p.from)} → {short(p.to)}
      </span>
      <span
        className={`text-xs ${bad ? 'font-semibold text-red-700 dark:text-red-300' : p.state === 'ok' ? 'text-emerald-800 dark:text-emerald-300' : 'text-slate-600 dark:text-slate-400'}`}
      >
        {p.state === 'ok'
          ? `✓ reply, ${rttWords(p.rttMs)}`
          : p.state === 'pending'
            ? '… pinging'
            : `✗ ${p.state === 'error' ? 'not pinged' : 'no reply'}`}
      </span>
      <button
        type="button"
        data-testid="matrix-pair-trace"
        onClick={() => onTrace({ from: p.from, to: p.to, port: null })}
        className={`ml-auto ${actionButton}`}
        aria-label={`Trace ${p.from} to ${p.to}`}
      >
        Trace
      </button>
      {bad && p.error && <span className="basis-full text-xs text-red-800 dark:text-red-200">{p.error}</span>}
    </li>
  );
}

export function ConnectivityMatrix({ readOnly, onTrace }: { readOnly: boolean; onTrace: (a: TraceAsk) => void }) {
  const m = useMatrix();
  const [open, setOpen] = useState<{ from: string; to: string } | null>(null);
  const r = m.data;

  if (readOnly) {
    return (
      <div className="px-4 py-3">
        <h2 className="mb-2 text-base font-semibold">Connectivity matrix</h2>
        <p
          data-testid="matrix-refused"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
        >
          Off: the matrix sends pings between every pair of pods, and this dashboard runs read-only (it sends no
          traffic). A trace still shows the expected path and each kernel’s answer.
        </p>
      </div>
    );
  }

  const openPairs = r && open ? pairsOf(r, open.from, open.to) : [];
  const first = r && open ? tracePairOf(r, open.from, open.to) : null;
  return (
    <div data-testid="matrix-panel" className="px-4 py-3">
      <h2 className="mb-1 text-base font-semibold">Connectivity matrix</h2>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        Every pod pings every other pod (one ping, 1 s to answer) through its node’s agent; a cell sums the pairs from
        one node to another.
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <button
          type="button"
          data-testid="matrix-run"
          onClick={() => m.start()}
          disabled={m.running}
          className={primaryButton}
        >
          {m.running ? 'Running…' : r ? 'Run again' : 'Run'}
        </button>
        {r && (
          <span
            data-testid="matrix-summary"
            role="status"
            aria-live="polite"
            className="text-sm text-slate-700 dark:text-slate-300"
          >
            {matrixSummary(r)}
          </span>
        )}
      </div>
      {m.error && (
        <p data-testid="matrix-error" role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
          The matrix did not run: {m.error}
        </p>
      )}
      {r && (
        <div className="mt-3 overflow-x-auto">
          <table data-testid="matrix" data-done={r.done} className="border-separate border-spacing-1 text-sm">
            <caption className="sr-only">
              {
                "Pod pairs that answered a ping, from the row's node to the column's node; mean round-trip time below the count"
              }
            </caption>
            <thead>
              <tr>
                <th scope="col" className="px-1 text-left text-xs font-normal text-slate-600 dark:text-slate-400">
                  from ↓ to →
                </th>
                {r.nodes.map((n) => (
                  <th key={n} scope="col" className="px-1 text-xs font-semibold">
                    {n}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {r.nodes.map((from) => (
                <tr key={from}>
                  <th scope="row" className="px-1 text-left text-xs font-semibold">
                    {from}
                  </th>
                  {r.nodes.map((to) => {
                    const c = cellOf(r, from, to);
                    const state = cellState(c);
                    const isOpen = open?.from === from && open.to === to;
                    return (
                      <td key={to} className="p-0">
                        {c ? (
                          <button
                            type="button"
                            data-testid="matrix-cell"
                            data-from={from}
                            data-to={to}
                            data-state={state}
                            aria-expanded={isOpen}
                            aria-label={`${from} to ${to}: ${c.ok} of ${c.ok + c.failed + c.pending} pairs answered${c.rttMs !== null ? `, mean ${rttWords(c.rttMs)}` : ''}; ${CELL_WORDS[state]}`}
                            onClick={() => setOpen(isOpen ? null : { from, to })}
                            className={`flex h-14 w-24 flex-col items-center justify-center rounded-md border leading-tight focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-600 ${CELL_TONE[state]} ${isOpen ? 'ring-2 ring-sky-500' : ''}`}
                          >
                            <span className="font-semibold">
                              <span aria-hidden="true">{CELL_MARK[state]} </span>
                              {cellCount(c)}
                            </span>
                            <span className="text-xs">{c.rttMs !== null ? rttWords(c.rttMs) : CELL_WORDS[state]}</span>
                          </button>
                        ) : (
                          <span
                            className={`flex h-14 w-24 items-center justify-center rounded-md border text-xs ${CELL_TONE.none}`}
                          >
                            no pods
                          </span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r && open && (
        <section
          aria-label={`Pairs from ${open.from} to ${open.to}`}
          data-testid="matrix-cell-pairs"
          className="mt-2 rounded-md border border-slate-200 px-2 py-1.5 dark:border-slate-800"
        >
          <div className="flex flex-wrap items-baseline gap-2">
            <h3 className="text-sm font-semibold">
              {open.from} → {open.to}: {openPairs.length} pair{openPairs.length === 1 ? '' : 's'}
            </h3>
            {first && (
              <button
                type="button"
                data-testid="matrix-cell-trace"
                onClick={() => onTrace({ from: first.from, to: first.to, port: null })}
                className={`ml-auto ${actionButton}`}
              >
                Trace {short(first.from)} → {short(first.to)}
              </button>
            )}
          </div>
          <ul className="mt-1 divide-y divide-slate-100 dark:divide-slate-800">
            {openPairs.map((p) => (
              <PairRow key={`${p.from} ${p.to}`} p={p} onTrace={onTrace} />
            ))}
          </ul>
        </section>
      )}
      {!r && !m.running && !m.error && (
        <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">Press Run to ping every pair now.</p>
      )}
    </div>
  );
}
