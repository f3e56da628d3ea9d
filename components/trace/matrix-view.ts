// What the connectivity matrix shows of a MatrixResult, as pure functions: each node ×
// node cell's state and its counts in words ("4/4"), the pairs behind a cell, and the
// pair a cell's trace opens.
import type { MatrixCell, MatrixPair, MatrixResult } from '../../lib/trace/matrix';

/** ok: every pair answered; failed: none did; partial: some did; pending: still asking */
export type CellState = 'ok' | 'failed' | 'partial' | 'pending' | 'none';

export function cellOf(m: MatrixResult, from: string, to: string): MatrixCell | null {
  return m.cells.find((c) => c.from === from && c.to === to) ?? null;
}

export function cellState(c: MatrixCell | null): CellState {
  if (!c) return 'none';
  if (c.pending > 0 && c.ok + c.failed === 0) return 'pending';
  if (c.failed === 0) return c.pending > 0 ? 'pending' : 'ok';
  return c.ok === 0 && c.pending === 0 ? 'failed' : 'partial';
}

export const CELL_WORDS: Record<CellState, string> = {
  ok: 'all reach',
  failed: 'none reach',
  partial: 'some fail',
  pending: 'pinging…',
  none: 'no pods',
};

/** "4/4": pairs that answered of all; "2/4 …" while some still wait */
export function cellCount(c: MatrixCell): string {
  const total = c.ok + c.failed + c.pending;
  return `${c.ok}/${total}${c.pending ? ' …' : ''}`;
}

export function pairsOf(m: MatrixResult, from: string, to: string): MatrixPair[] {
  return m.pairs.filter((p) => p.fromNode === from && p.toNode === to);
}

/** The pair a cell's trace opens: a failing one when there is one, else the first. */
export function tracePairOf(m: MatrixResult, from: string, to: string): MatrixPair | null {
  const pairs = pairsOf(m, from, to);
  return pairs.find((p) => p.state === 'failed' || p.state === 'error') ?? pairs[0] ?? null;
}

/** The whole run in words: "12 of 12 pairs answered", with what failed and what waits. */
export function matrixSummary(m: MatrixResult): string {
  const ok = m.pairs.filter((p) => p.state === 'ok').length;
  const failed = m.pairs.filter((p) => p.state === 'failed' || p.state === 'error').length;
  const pending = m.pairs.length - ok - failed;
  const parts = [`${ok} of ${m.pairs.length} pod pairs answered`];
  if (failed) parts.push(`${failed} failed`);
  if (pending) parts.push(`${pending} still pinging`);
  return `${parts.join(', ')}${m.sampled ? ' (sampled: each pod pings one pod per node)' : ''}`;
}
