import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { MAX_REF_LENGTH } from '../../../lib/model/refs';
import type { PingResult } from '../../../lib/model/probe';
import type { TraceResult } from '../../../lib/model/trace';
import { pool } from '../../../lib/proc/pool';
import { cellsOf, planMatrix, type MatrixResult } from '../../../lib/trace/matrix';
import { runTrace, TraceInputError, validateTraceRequest } from '../../../lib/trace/run';
import { agentTraceDeps } from '../../../lib/agent/trace-deps';
import { updatesOf } from '../../trace/updates';
import { admitProbe } from '../../audit';
import { createTRPCRouter, publicProcedure } from '../trpc';

/** Probes the matrix keeps in flight per source node: under the agent's own cap of 4. */
const MATRIX_PER_NODE = 3;

export const traceRouter = createTRPCRouter({
  /** A path trace, streamed: the expected path first, then each kernel check and the probe
   *  as they complete. Read-only: the path and the kernel's lookups, no packets. */
  run: publicProcedure
    .input(
      z.object({
        /** the pod it starts from: NAME or NAMESPACE/NAME */
        from: z.string().min(1).max(MAX_REF_LENGTH),
        /** a pod or an IPv4 address */
        to: z.string().trim().min(1).max(MAX_REF_LENGTH),
        port: z.number().int().min(1).max(65535).nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      let req;
      try {
        req = { ...validateTraceRequest(input), noProbe: ctx.cluster.readOnly };
      } catch (e) {
        if (e instanceof TraceInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
        throw e;
      }
      admitProbe(ctx.limiter, ctx.headers, {
        kind: req.noProbe ? 'trace (no probe)' : 'trace',
        from: input.from,
        to: input.to,
        port: input.port,
      });
      const inputs = ctx.cluster.traceInputs();
      const deps = agentTraceDeps(
        (node) => ctx.cluster.traceInputs().agents.get(node)?.status.address,
        () => ctx.cluster.agentToken(),
      );
      try {
        yield* updatesOf<TraceResult>((update) => runTrace(inputs, req, deps, update), signal);
      } catch (e) {
        if (e instanceof TraceInputError) throw new TRPCError({ code: 'BAD_REQUEST', message: e.message });
        throw e;
      }
    }),

  /** The connectivity matrix: a ping between pod pairs (every pair up to 40 pods, sampled
   *  above), run by the source pod's agent, streamed as the cells fill. Off when read-only. */
  matrix: publicProcedure.subscription(async function* ({ ctx, signal }) {
    if (ctx.cluster.readOnly)
      throw new TRPCError({ code: 'FORBIDDEN', message: 'the matrix sends pings: this dashboard runs read-only' });
    admitProbe(ctx.limiter, ctx.headers, { kind: 'matrix', from: 'every pod', to: 'every pod' });
    const inputs = ctx.cluster.traceInputs();
    const deps = agentTraceDeps(
      (node) => ctx.cluster.traceInputs().agents.get(node)?.status.address,
      () => ctx.cluster.agentToken(),
    );
    const result: MatrixResult = planMatrix(inputs);
    yield* updatesOf<MatrixResult>(async (update) => {
      const emit = () =>
        update({ ...result, pairs: result.pairs.map((p) => ({ ...p })), cells: cellsOf(result.nodes, result.pairs) });
      emit();
      const bySource = new Map<string, typeof result.pairs>();
      for (const p of result.pairs) bySource.set(p.fromNode, [...(bySource.get(p.fromNode) ?? []), p]);
      await Promise.all(
        [...bySource.values()].map((list) =>
          pool(list, MATRIX_PER_NODE, async (p) => {
            if (signal?.aborted) return;
            try {
              const r = (await deps.probe(p.fromNode, {
                kind: 'ping',
                from: { pod: p.from },
                to: p.toIp,
                count: 1,
                timeoutMs: 1_000,
              })) as PingResult;
              p.state = r.ok ? 'ok' : 'failed';
              p.rttMs = r.rttMs?.avg ?? null;
              p.error = r.error;
            } catch (e) {
              p.state = 'error';
              p.error = (e as Error).message;
            }
            emit();
          }),
        ),
      );
      result.done = true;
      emit();
    }, signal);
  }),
});
