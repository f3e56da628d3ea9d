import { tracked } from '@trpc/server';
import { z } from 'zod';
import { createTRPCRouter, publicProcedure } from '../trpc';

export const topologyRouter = createTRPCRouter({
  /** the whole topology now, with the version it has */
  snapshot: publicProcedure.query(({ ctx }) => {
    const { version, topology } = ctx.cluster.current();
    return { version, topology };
  }),
  /** changes as they happen (server-sent events), each with its version as the event id:
   *  from `lastEventId` (the version the page has, from topology.snapshot; tRPC sends the
   *  last id again on a reconnect) when the server still holds what came since, else a
   *  snapshot first */
  watch: publicProcedure
    .input(
      z
        .object({
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/)
            .nullish(),
        })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const since = input?.lastEventId ? Number(input.lastEventId) : null;
      for await (const event of ctx.cluster.events(signal, since)) yield tracked(String(event.version), event);
    }),
});
