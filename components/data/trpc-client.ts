'use client';
// The page's tRPC client: queries batched over HTTP, subscriptions over server-sent
// events. The URL carries the base path the app was built for (a portal's sub-path).
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import type { AppRouter } from '../../server/api/root';

export const apiUrl = `${process.env.NEXT_PUBLIC_BASE_PATH ?? ''}/api/trpc`;

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: apiUrl }),
        false: httpBatchLink({ url: apiUrl }),
      }),
    ],
  });
}

export type TrpcClient = ReturnType<typeof makeTrpcClient>;
