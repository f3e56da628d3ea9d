import { clusterRouter } from './routers/cluster';
import { probeRouter } from './routers/probe';
import { topologyRouter } from './routers/topology';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  topology: topologyRouter,
  cluster: clusterRouter,
  probe: probeRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
