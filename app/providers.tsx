'use client';
// react-query for the page's polled queries (cluster.info). One QueryClient per browser
// tab, made on first render: a module-level client would be shared between requests
// during server rendering.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // a failed poll is shown as is; the next poll is the retry
            retry: 1,
            refetchOnWindowFocus: true,
            staleTime: 5_000,
          },
        },
      }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
