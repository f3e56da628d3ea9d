// The connectivity matrix: which pods reach which, node by node, from the agents' probes.
// Pure: which pairs to probe (every ordered pair up to MATRIX_FULL_LIMIT pods, above that
// each pod to one pod per node, as `podnet check` samples), and the node × node cells that
// sum the pairs up. The server runs the pings through the agents, within their limits.
import type { TraceInputs } from './inputs';
import { traceNodes, tracePods } from './inputs';

/** Above this many pods each pod probes one pod per node instead of every pod. */
export const MATRIX_FULL_LIMIT = 40;

export type PairState = 'pending' | 'ok' | 'failed' | 'error';

export interface MatrixPair {
  from: string;
  to: string;
  fromNode: string;
  toNode: string;
  toIp: string;
  state: PairState;
  rttMs: number | null;
  /** why it failed: the probe's own words, or why no probe could run */
  error: string | null;
}

export interface MatrixCell {
  from: string;
  to: string;
  ok: number;
  failed: number;
  pending: number;
  /** the mean round-trip of the pairs that answered */
  rttMs: number | null;
}

export interface MatrixResult {
  nodes: string[];
  pairs: MatrixPair[];
  cells: MatrixCell[];
  /** pairs were sampled: the matrix is partial on purpose */
  sampled: boolean;
  startedAt: string;
  done: boolean;
}

export function planMatrix(inputs: TraceInputs, now = new Date()): MatrixResult {
  const nodes = traceNodes(inputs);
  const pods = tracePods(inputs, nodes).filter((p) => p.node && (p.apiIp ?? p.agentIp));
  const sampled = pods.length > MATRIX_FULL_LIMIT;
  const pairs: MatrixPair[] = [];
  for (const src of pods) {
    const seen = new Set<string>();
    for (const dst of pods) {
      if (dst === src) continue;
      if (sampled) {
        if (seen.has(dst.node!.name)) continue;
        seen.add(dst.node!.name);
      }
      pairs.push({
        from: src.key,
        to: dst.key,
        fromNode: src.node!.name,
        toNode: dst.node!.name,
        toIp: (dst.apiIp ?? dst.agentIp)!,
        state: 'pending',
        rttMs: null,
        error: null,
      });
    }
  }
  const names = nodes.map((n) => n.name);
  return { nodes: names, pairs, cells: cellsOf(names, pairs), sampled, startedAt: now.toISOString(), done: false };
}

/** node × node: how many pairs answered, failed, wait, and their mean round-trip. */
export function cellsOf(nodes: string[], pairs: MatrixPair[]): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const from of nodes) {
    for (const to of nodes) {
      const mine = pairs.filter((p) => p.fromNode === from && p.toNode === to);
      if (mine.length === 0) continue;
      const rtts = mine.map((p) => p.rttMs).filter((x): x is number => x !== null);
      cells.push({
        from,
        to,
        ok: mine.filter((p) => p.state === 'ok').length,
        failed: mine.filter((p) => p.state === 'failed' || p.state === 'error').length,
        pending: mine.filter((p) => p.state === 'pending').length,
        rttMs: rtts.length ? Math.round((rtts.reduce((a, b) => a + b, 0) / rtts.length) * 1000) / 1000 : null,
      });
    }
  }
  return cells;
}
