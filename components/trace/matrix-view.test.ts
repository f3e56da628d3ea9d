import { describe, expect, it } from 'vitest';
import { cellsOf, type MatrixPair, type MatrixResult } from '../../lib/trace/matrix';
import { cellCount, cellOf, cellState, matrixSummary, pairsOf, tracePairOf } from './matrix-view';

const pair = (
  from: string,
  to: string,
  state: MatrixPair['state'],
  rttMs: number | null = state === 'ok' ? 0.2 : null,
): MatrixPair => ({
  from: `default/${from}`,
  to: `default/${to}`,
  fromNode: from.startsWith('a') ? 'node1' : 'node2',
  toNode: to.startsWith('a') ? 'node1' : 'node2',
  toIp: '10.244.0.1',
  state,
  rttMs,
  error: state === 'failed' ? 'no reply: 1 sent, 0 received' : null,
});

function matrix(pairs: MatrixPair[], done = true): MatrixResult {
  const nodes = ['node1', 'node2'];
  return { nodes, pairs, cells: cellsOf(nodes, pairs), sampled: false, startedAt: '2026-12-02T13:00:00.000Z', done };
}

/** two pods per node: a1 a2 on node1, b1 b2 on node2 */
const healthy = matrix([
  pair('a1', 'a2', 'ok'),
  pair('a2', 'a1', 'ok'),
  pair('a1', 'b1', 'ok'),
  pair('a1', 'b2', 'ok'),
  pair('a2', 'b1', 'ok'),
  pair('a2', 'b2', 'ok'),
]);
const node1CannotReachB2 = matrix([
  pair('a1', 'b1', 'ok'),
  pair('a1', 'b2', 'failed'),
  pair('a2', 'b1', 'ok'),
  pair('a2', 'b2', 'failed'),
]);
const stillPinging = matrix([pair('a1', 'b1', 'ok'), pair('a1', 'b2', 'pending'), pair('b1', 'a1', 'pending')], false);

describe('matrix cells', () => {
  it('all answered: ok, "4/4"', () => {
    const c = cellOf(healthy, 'node1', 'node2')!;
    expect(cellState(c)).toBe('ok');
    expect(cellCount(c)).toBe('4/4');
    expect(c.rttMs).toBe(0.2);
  });

  it('some failed: partial; all failed: failed; none asked yet: pending; no pods: none', () => {
    expect(cellState(cellOf(node1CannotReachB2, 'node1', 'node2'))).toBe('partial');
    expect(cellState(cellOf(matrix([pair('a1', 'b1', 'failed')]), 'node1', 'node2'))).toBe('failed');
    expect(cellState(cellOf(stillPinging, 'node2', 'node1'))).toBe('pending');
    expect(cellState(cellOf(node1CannotReachB2, 'node2', 'node1'))).toBe('none');
  });

  it('a cell still filling says so', () => {
    const c = cellOf(stillPinging, 'node1', 'node2')!;
    expect(cellState(c)).toBe('pending');
    expect(cellCount(c)).toBe('1/2 …');
  });

  it('a cell opens its pairs, and its trace is a failing pair when there is one', () => {
    expect(pairsOf(node1CannotReachB2, 'node1', 'node2')).toHaveLength(4);
    expect(tracePairOf(node1CannotReachB2, 'node1', 'node2')).toMatchObject({ from: 'default/a1', to: 'default/b2' });
    expect(tracePairOf(healthy, 'node1', 'node2')).toMatchObject({ from: 'default/a1', to: 'default/b1' });
    expect(tracePairOf(healthy, 'node2', 'node1')).toBeNull();
  });

  it('sums the run up in words', () => {
    expect(matrixSummary(healthy)).toBe('6 of 6 pod pairs answered');
    expect(matrixSummary(stillPinging)).toBe('1 of 3 pod pairs answered, 2 still pinging');
    expect(matrixSummary({ ...node1CannotReachB2, sampled: true })).toBe(
      '2 of 4 pod pairs answered, 2 failed (sampled: each pod pings one pod per node)',
    );
  });
});
