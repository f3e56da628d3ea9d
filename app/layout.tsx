import type { Metadata } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import './globals.css';
import { Providers } from './providers';

export const metadata: Metadata = {
  title: 'podnet',
  description: "The cluster's pod network, live: nodes, bridges, veths, pods and routes",
};

// Runs before the first paint so the page never flashes the wrong theme: the embed's
// ?theme=, else the choice stored by the theme toggle (components/panels/ThemeToggle),
// else the system's preference. The toggle keeps data-theme current from then on.
const themeBoot = `(function(){try{var d=document.documentElement,t=null;
if(/\\/embed\\/?$/.test(location.pathname)){t=new URLSearchParams(location.search).get('theme');}
if(t!=='light'&&t!=='dark'){try{t=localStorage.getItem('podnet-theme');}catch(e){}}
if(t!=='light'&&t!=='dark'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light';}
d.dataset.theme=t;d.style.colorScheme=t;}catch(e){}})();`;

export default async function RootLayout({ children }: { children: ReactNode }) {
  // proxy.ts makes a nonce per response and allows only scripts that carry it (its CSP).
  const nonce = (await headers()).get('x-nonce') ?? undefined;
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: themeBoot }} />
      </head>
      <body className="h-full bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
