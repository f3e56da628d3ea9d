import type { TopologyEvent } from '../../../lib/model/topology';
import { createTRPCRouter, publicProcedure } from '../trpc';

export const topologyRouter = createTRPCRouter({
  /** the whole topology now, with the version it has */
  snapshot: publicProcedure.query(({ ctx }) => {
    const { version, topology } = ctx.cluster.current();
    return { version, topology };
  }),
  /** a snapshot, then changes as they happen (server-sent events) */
  watch: publicProcedure.subscription(async function* ({ ctx, signal }): AsyncGenerator<TopologyEvent> {
    yield* ctx.cluster.events(signal);
  }),
});
