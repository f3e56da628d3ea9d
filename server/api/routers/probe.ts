import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { MAX_REF_LENGTH, PROBE_KINDS, type ProbeResult } from '../../../lib/model/probe';
import { agentRequest } from '../../../lib/agent/request';
import { parseProbeReply } from '../../../lib/model/agent-reply-schema';
import { admitProbe } from '../../audit';
import { createTRPCRouter, publicProcedure } from '../trpc';

/** the agent's own deadline is at most 10 s; a little more for the round trip */
const AGENT_TIMEOUT_MS = 15_000;

export const probeRouter = createTRPCRouter({
  /** ping / traceroute / the kernel's route lookup, run by the pod's node agent from
   *  inside the pod's namespace. Off in read-only mode. */
  run: publicProcedure
    .input(
      z.object({
        kind: z.enum(PROBE_KINDS),
        /** the pod it runs from, NAMESPACE/NAME */
        from: z.string().min(3).max(MAX_REF_LENGTH),
        /** a pod (NAME or NAMESPACE/NAME) or an IPv4 address; the agent validates it */
        to: z.string().trim().min(1).max(MAX_REF_LENGTH),
      }),
    )
    .mutation(async ({ ctx, input }): Promise<ProbeResult> => {
      if (ctx.cluster.readOnly)
        throw new TRPCError({ code: 'FORBIDDEN', message: 'probes are off: this dashboard runs read-only' });
      admitProbe(ctx.limiter, ctx.headers, input);
      const { topology } = ctx.cluster.current();
      const pod = topology.pods.find((p) => p.key === input.from);
      if (!pod) throw new TRPCError({ code: 'NOT_FOUND', message: `no pod ${input.from} in this cluster` });
      const node = topology.nodes.find((n) => n.name === pod.node);
      const address = node?.agent.address;
      if (!node || !address)
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `${input.from}'s node ${pod.node ?? '(none)'} has no agent to run the probe`,
        });
      let reply;
      try {
        reply = await agentRequest(
          address,
          ctx.cluster.agentToken(),
          'POST',
          '/v1/probe',
          { kind: input.kind, from: { pod: input.from }, to: input.to },
          AGENT_TIMEOUT_MS,
        );
      } catch (e) {
        throw new TRPCError({ code: 'BAD_GATEWAY', message: (e as Error).message });
      }
      if (reply.status === 200) {
        const parsed = parseProbeReply(node.name, input.kind, reply.body);
        if (!parsed.ok) throw new TRPCError({ code: 'BAD_GATEWAY', message: parsed.error });
        return parsed.value;
      }
      const message = (reply.body as { error?: string }).error ?? `the agent answered ${reply.status}`;
      const code =
        reply.status === 400 || reply.status === 404
          ? 'BAD_REQUEST'
          : reply.status === 429
            ? 'TOO_MANY_REQUESTS'
            : 'BAD_GATEWAY';
      throw new TRPCError({ code, message: `${node.name}'s agent: ${message}` });
    }),
});
