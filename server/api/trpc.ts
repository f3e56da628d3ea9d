/**
 * tRPC for the dashboard, as create-t3-app lays it out.
 * 1. Context: what every procedure can use (the cluster view).
 * 2. Initialisation: error shape (zod errors flattened for the client) and the SSE
 *    settings subscriptions run with.
 * 3. Router and procedures: the building blocks routers use.
 */
import { initTRPC } from '@trpc/server';
import { z, ZodError } from 'zod';
import { probeLimiter } from '../audit';
import { getCluster } from '../cluster';

/* 1. Context */
export async function createTRPCContext(opts: { headers: Headers }) {
  return { cluster: await getCluster(), headers: opts.headers, limiter: probeLimiter() };
}

/* 2. Initialisation */
const t = initTRPC.context<typeof createTRPCContext>().create({
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: { ...shape.data, zodError: error.cause instanceof ZodError ? z.flattenError(error.cause) : null },
    };
  },
  sse: {
    // A ping every 5 s lets the page tell a quiet cluster from a dead connection.
    ping: { enabled: true, intervalMs: 5_000 },
    client: { reconnectAfterInactivityMs: 12_000 },
  },
});

/* 3. Router and procedures */
export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;
