'use client';
// The graph alone, for an internal portal's iframe: a tiny connection badge and a link
// to the full dashboard, nothing else. Configured by the query:
//   node=node2            only that node (and its pods)
//   namespace=kube-system only that namespace's pods
//   select=pod:default/web-1  select and centre it
//   theme=light|dark      the portal's theme (app/layout.tsx applies it before paint)
//   trace=default/web-1,default/web-3  run that trace: its path on the graph, the outcome
//                         (and where it breaks, with the fix) in a card
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useRef, useState } from 'react';
import type { Selection } from '../../lib/model/topology';
import { formatSelection, parseSelection } from '../../lib/model/topology';
import { useCentre } from '../../components/dashboard/Dashboard';
import { TopologyGraph, type GraphHandle } from '../../components/topology/TopologyGraph';
import { useOpenNodes } from '../../components/data/use-open-nodes';
import { useTopology } from '../../components/data/use-topology';
import { ConnectionBadge } from '../../components/panels/ConnectionBadge';
import { useTheme, type Theme } from '../../components/panels/ThemeToggle';
import { TraceCard } from '../../components/trace/TraceCard';
import { formatTraceParam, parseTraceParam, TRACE_PARAM } from '../../components/trace/trace-link';
import { useTraceSession } from '../../components/trace/use-trace-session';

const basePath = process.env.NEXT_PUBLIC_BASE_PATH ?? '';

function Embed() {
  const params = useSearchParams();
  const [config] = useState(() => {
    const theme = params.get('theme');
    return {
      node: params.get('node') || null,
      namespace: params.get('namespace') || null,
      selection: parseSelection(params.get('select')),
      theme: theme === 'light' || theme === 'dark' ? (theme as Theme) : null,
      trace: parseTraceParam(params.get(TRACE_PARAM)),
    };
  });
  const [theme] = useTheme(config.theme);
  const feed = useTopology();
  const { topology, version, connection, summary, loaded } = feed;
  const [selection, setSelection] = useState<Selection | null>(config.selection);
  const [always] = useState(() => (config.node ? [config.node] : []));
  const { onGraphOpen } = useOpenNodes(feed, selection, always);
  const graph = useRef<GraphHandle | null>(null);
  const centre = useCentre(graph, topology !== null);
  const trace = useTraceSession(config.trace);

  useEffect(() => {
    if (config.selection) centre(config.selection);
  }, [centre, config]);

  const open = new URLSearchParams();
  if (selection) open.set('select', formatSelection(selection));
  if (trace.linkAsk) open.set(TRACE_PARAM, formatTraceParam(trace.linkAsk));
  const href = `${basePath}/${open.size ? `?${open.toString().replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%2C/gi, ',')}` : ''}`;

  return (
    <div
      data-testid="embed"
      data-node={config.node ?? undefined}
      data-namespace={config.namespace ?? undefined}
      data-version={version}
      data-selected={selection ? formatSelection(selection) : undefined}
      className="relative h-screen w-screen overflow-hidden"
    >
      <div className="absolute inset-0">
        <TopologyGraph
          topology={topology}
          version={version}
          selection={selection}
          onSelect={setSelection}
          filter={{ node: config.node, namespace: config.namespace }}
          theme={theme}
          handleRef={graph}
          className="h-full w-full"
          highlight={trace.highlight}
          summary={summary}
          loaded={loaded}
          onOpenChange={onGraphOpen}
        />
      </div>
      {(trace.run.result || trace.run.error) && (
        <div className="absolute bottom-1.5 left-1.5 z-10 w-[min(26rem,calc(100%-0.75rem))]">
          <TraceCard run={trace.run} />
        </div>
      )}
      <div className="absolute top-1.5 right-1.5 z-10 flex items-center gap-2 rounded-md bg-white/80 px-1.5 py-1 text-xs backdrop-blur dark:bg-slate-950/80">
        <ConnectionBadge connection={connection} compact />
        <a
          data-testid="open-in-podnet"
          href={href}
          target="_blank"
          rel="noopener noreferrer"
          className="text-sky-700 underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-sky-600 dark:text-sky-300"
        >
          open in podnet
        </a>
      </div>
      {!topology && (
        <p className="absolute inset-0 flex items-center justify-center text-sm text-slate-600 dark:text-slate-400">
          {connection.state === 'connecting'
            ? 'Connecting…'
            : `No topology yet${connection.error ? `: ${connection.error}` : ''}.`}
        </p>
      )}
    </div>
  );
}

export default function EmbedPage() {
  return (
    <Suspense fallback={null}>
      <Embed />
    </Suspense>
  );
}
