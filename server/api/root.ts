import { clusterRouter } from './routers/cluster';
import { probeRouter } from './routers/probe';
import { topologyRouter } from './routers/topology';
import { traceRouter } from './routers/trace';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  topology: topologyRouter,
  cluster: clusterRouter,
  probe: probeRouter,
  trace: traceRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
