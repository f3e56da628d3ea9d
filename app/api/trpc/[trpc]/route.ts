import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '../../../../server/api/root';
import { createTRPCContext } from '../../../../server/api/trpc';

// Next.js strips the base path before the handler sees the URL: the endpoint is always this.
const endpoint = '/api/trpc';

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint,
    req,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: req.headers }),
    onError: ({ path, error }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'}: ${error.message}`);
    },
  });

export const dynamic = 'force-dynamic';
export { handler as GET, handler as POST };
