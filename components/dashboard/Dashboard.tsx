'use client';
// The dashboard page: the cluster at a glance in the header, the graph (or the table) in
// the middle, on the right what is selected, the trace and the connectivity matrix (tabs),
// the findings below. The selection and the trace outlive the page: they are mirrored into
// ?select= and ?trace= so a link pasted into a ticket opens the same pod, centred, or runs
// the same trace again.
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'next/navigation';
import { startTransition, useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { Selection } from '../../lib/model/topology';
import { formatSelection, parseSelection } from '../../lib/model/topology';
import { makeTrpcClient } from '../data/trpc-client';
import { useOpenNodes } from '../data/use-open-nodes';
import { useTopology } from '../data/use-topology';
import { ConnectionBadge } from '../panels/ConnectionBadge';
import { ExportButtons } from '../panels/ExportButtons';
import { FindingsList } from '../panels/FindingsList';
import { SearchBox } from '../panels/SearchBox';
import { SidePanel } from '../panels/SidePanel';
import { ThemeToggle, useTheme } from '../panels/ThemeToggle';
import { TopologyTable } from '../panels/TopologyTable';
import { Legend } from '../topology/Legend';
import { TopologyGraph, type GraphHandle } from '../topology/TopologyGraph';
import { ConnectivityMatrix } from '../trace/ConnectivityMatrix';
import { TracePanel } from '../trace/TracePanel';
import { formatTraceParam, parseTraceParam, TRACE_PARAM, type TraceAsk } from '../trace/trace-link';
import { useTraceSession } from '../trace/use-trace-session';
import { PanelTabs } from './PanelTabs';

type View = 'graph' | 'table';
type Panel = 'details' | 'trace' | 'matrix';

const INFO_POLL_MS = 10_000;
/** how long a centre request waits for the graph to have drawn the element */
const CENTRE_TRIES = 40;
const CENTRE_RETRY_MS = 150;

/** "?select=pod:default/web-1", "?trace=default/web-1,default/web-3": ':', '/' and ',' are
 *  legal in a query and keep the link readable */
const queryValue = (v: string) =>
  encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%2C/gi, ',');

/** Replaces the given query parameters in the address bar (no navigation, no reload).
 *  window.location.pathname already carries the base path. */
export function replaceQuery(values: Record<string, string | null>): void {
  const params = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(values)) {
    if (v === null) params.delete(k);
    else params.set(k, v);
  }
  const query = [...params].map(([k, v]) => `${encodeURIComponent(k)}=${queryValue(v)}`).join('&');
  const next = `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash}`;
  if (next !== `${window.location.pathname}${window.location.search}${window.location.hash}`)
    window.history.replaceState(null, '', next);
}

/**
 * Asks the graph to centre on a selection, retrying while the graph has not drawn it yet
 * (a deep link is read before the topology arrives, and the graph lays out after it).
 * `ready` is false while there is no graph to ask.
 */
export function useCentre(graph: RefObject<GraphHandle | null>, ready: boolean): (sel: Selection) => void {
  const [request, setRequest] = useState<{ sel: Selection; n: number } | null>(null);
  const done = useRef<object | null>(null);
  useEffect(() => {
    if (!request || !ready || done.current === request) return;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = () => {
      if (graph.current?.center(request.sel) || ++tries >= CENTRE_TRIES) {
        done.current = request;
        return;
      }
      timer = setTimeout(attempt, CENTRE_RETRY_MS);
    };
    attempt();
    return () => clearTimeout(timer);
  }, [graph, request, ready]);
  return useCallback((sel: Selection) => setRequest((r) => ({ sel, n: (r?.n ?? 0) + 1 })), []);
}

function useClusterInfo() {
  const client = useMemo(() => makeTrpcClient(), []);
  return useQuery({
    queryKey: ['cluster.info'],
    queryFn: () => client.cluster.info.query(),
    refetchInterval: INFO_POLL_MS,
    refetchIntervalInBackground: false,
  });
}

const chip = 'rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300';
const toggleButton = (on: boolean) =>
  `px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 ${on ? 'bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900' : 'hover:bg-slate-100 dark:hover:bg-slate-800'}`;

export function Dashboard() {
  const params = useSearchParams();
  const feed = useTopology();
  const { topology, version, connection, summary, loaded } = feed;
  const info = useClusterInfo();
  const [theme, setTheme] = useTheme();
  // the URL is read once, on load; from then on the page writes it
  const [initial] = useState(() => ({
    selection: parseSelection(params.get('select')),
    view: (params.get('view') === 'table' ? 'table' : 'graph') as View,
    trace: parseTraceParam(params.get(TRACE_PARAM)),
  }));
  const [selection, setSelection] = useState<Selection | null>(initial.selection);
  const { onGraphOpen, pending } = useOpenNodes(feed, selection);
  const [view, setView] = useState<View>(initial.view);
  const [panel, setPanel] = useState<Panel>(initial.trace ? 'trace' : 'details');
  const trace = useTraceSession(initial.trace);
  const [findingsOpen, setFindingsOpen] = useState(true);
  const graph = useRef<GraphHandle | null>(null);
  const centre = useCentre(graph, topology !== null && view === 'graph');

  // A deep link: select (already done) and centre once the graph can.
  useEffect(() => {
    if (initial.selection) centre(initial.selection);
  }, [centre, initial]);

  // A new trace's path is brought into view once it is drawn (the graph's effects run
  // before this one); a deep link's waits for the topology.
  const tr = trace.run.result;
  const traceKey = tr ? `${tr.startedAt} ${tr.request.from} ${tr.request.to}` : null;
  const framed = useRef<string | null>(null);
  useEffect(() => {
    if (!traceKey || framed.current === traceKey || !topology || view !== 'graph') return;
    if (graph.current?.showHighlight()) framed.current = traceKey;
  }, [traceKey, topology, view]);

  const traceParam = trace.linkAsk ? formatTraceParam(trace.linkAsk) : null;
  useEffect(() => {
    replaceQuery({
      select: selection ? formatSelection(selection) : null,
      view: view === 'table' ? 'table' : null,
      [TRACE_PARAM]: traceParam,
    });
  }, [selection, view, traceParam]);

  // with summaries, the counts are the whole cluster's (topology holds the open nodes' pods)
  const findings = summary
    ? summary.totals.findings.error + summary.totals.findings.warning
    : (topology?.findings.length ?? 0);
  // the page does not hold every pod: search, the table and the findings ask the server
  const remote = useMemo(() => (summary ? { version } : null), [summary, version]);
  const nodeCount = summary ? summary.totals.nodes : (topology?.nodes.length ?? 0);
  const podCount = summary ? summary.totals.pods : (topology?.pods.length ?? 0);
  useEffect(() => {
    if (topology) document.title = `${findings ? `(${findings}) ` : ''}podnet · ${topology.cluster.name}`;
  }, [topology, findings]);

  /** selected from a list, the table, search or a link in the panel: select and centre */
  const pick = useCallback(
    (sel: Selection) => {
      setSelection(sel);
      centre(sel);
    },
    [centre],
  );

  /** a click in the graph: the destination of "trace from here", else the selection */
  const { pickDestination } = trace;
  const graphSelect = useCallback(
    (sel: Selection | null) => {
      if (sel?.kind === 'pod' && pickDestination(sel.key)) {
        setPanel('trace');
        return;
      }
      // A transition: React renders the side panel in slices of a few ms, so the next
      // input (a wheel right after the click) is not held behind it. The graph has already
      // drawn the click's element selected.
      startTransition(() => {
        setSelection(sel);
        if (sel) setPanel('details');
      });
    },
    [pickDestination],
  );

  const startTrace = (ask: TraceAsk) => {
    trace.trace(ask);
    setPanel('trace');
  };

  /** "trace from here": the whole graph in view, to click the destination in */
  const traceFrom = (pod: string) => {
    trace.traceFrom(pod);
    setPanel('trace');
    if (view === 'graph') graph.current?.fit();
  };

  const switchView = (v: View) => {
    setView(v);
    if (v === 'graph' && selection) centre(selection);
  };

  // Escape (outside a text box) clears the selection; while a trace waits for its
  // destination click, it only stops that (the trace session hears it too).
  const picking = useRef(false);
  useEffect(() => {
    picking.current = trace.picking;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = document.activeElement;
      if (
        e.key !== 'Escape' ||
        picking.current ||
        (el instanceof HTMLElement && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable))
      )
        return;
      setSelection(null);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const cluster = topology?.cluster ?? info.data?.cluster ?? null;
  const problems = info.data?.problems ?? [];
  const readOnly = cluster?.readOnly ?? false;
  // Counted from the live topology (the same feed that draws the graph), so the header and
  // the graph never disagree; cluster.info's count (polled) only until the first one.
  const liveAgents = useMemo(() => {
    if (!topology) return null;
    const counts = { live: 0, connecting: 0, unreachable: 0, none: 0 };
    for (const n of topology.nodes) counts[n.agent.state]++;
    return counts;
  }, [topology]);
  const agents = liveAgents ?? info.data?.agents;

  return (
    <div data-testid="dashboard" data-version={version} data-view={view} className="flex h-screen flex-col">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <div className="flex min-w-0 flex-wrap items-baseline gap-x-2 gap-y-1">
          <h1 className="text-lg font-bold tracking-tight">podnet</h1>
          <span data-testid="cluster-name" className="font-semibold">
            {cluster?.name ?? '…'}
          </span>
          {cluster && (
            <>
              <span className={chip} title="where the dashboard reads the cluster from">
                {cluster.source}
              </span>
              <span className={chip} title="how pod traffic crosses nodes">
                {cluster.routing}
              </span>
              {cluster.podNetwork && <span className={`${chip} font-mono`}>{cluster.podNetwork}</span>}
            </>
          )}
          <span
            data-testid="counts"
            data-nodes={nodeCount}
            data-pods={podCount}
            data-partial={summary !== null}
            data-findings={findings}
            className="text-sm text-slate-700 dark:text-slate-300"
          >
            {topology ? (
              <>
                {nodeCount} nodes · {podCount} pods ·{' '}
                <span className={findings ? 'font-semibold text-amber-800 dark:text-amber-300' : ''}>
                  {findings} finding{findings === 1 ? '' : 's'}
                </span>
              </>
            ) : (
              'loading…'
            )}
          </span>
          {agents && (
            <span data-testid="agents" className="text-sm text-slate-600 dark:text-slate-400">
              agents: {agents.live} live
              {agents.connecting ? `, ${agents.connecting} connecting` : ''}
              {agents.unreachable ? (
                <span className="font-semibold text-red-700 dark:text-red-300">, {agents.unreachable} unreachable</span>
              ) : (
                ''
              )}
              {agents.none ? `, ${agents.none} none` : ''}
            </span>
          )}
        </div>
        <div className="min-w-48 flex-1">
          <SearchBox topology={topology} onPick={pick} remote={remote} />
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <div
            role="group"
            aria-label="View"
            className="inline-flex overflow-hidden rounded-md border border-slate-300 dark:border-slate-600"
          >
            <button
              type="button"
              data-testid="view-graph"
              aria-pressed={view === 'graph'}
              onClick={() => switchView('graph')}
              className={toggleButton(view === 'graph')}
            >
              Graph
            </button>
            <button
              type="button"
              data-testid="view-table"
              aria-pressed={view === 'table'}
              onClick={() => switchView('table')}
              className={toggleButton(view === 'table')}
            >
              Table
            </button>
          </div>
          <ExportButtons
            topology={topology}
            graph={graph}
            partial={summary !== null}
            pngUnavailable={view === 'graph' ? null : 'Switch to the graph view to export it as a PNG'}
          />
          <ThemeToggle theme={theme} onChange={setTheme} />
          <ConnectionBadge connection={connection} />
        </div>
      </header>

      {(problems.length > 0 || readOnly || info.error) && (
        <div
          data-testid="banner"
          data-read-only={readOnly}
          className="space-y-1 border-b border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
        >
          {readOnly && (
            <p data-testid="read-only">
              <strong>Read-only:</strong> this dashboard runs with probes turned off (PODNET_READ_ONLY); it shows the
              network but sends no traffic through it.
            </p>
          )}
          {problems.length > 0 && (
            <div role="status">
              <p className="font-semibold">What is shown may be incomplete:</p>
              <ul data-testid="problems" className="list-disc pl-5">
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
          {info.error && (
            <p data-testid="info-error">
              The cluster summary (cluster.info) failed: {info.error.message}. It is asked again every{' '}
              {INFO_POLL_MS / 1000} s.
            </p>
          )}
        </div>
      )}

      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        {/* the findings sit under the graph; the side panel keeps the full height, for a trace */}
        <div className="flex min-h-0 min-w-0 flex-1 flex-col">
          <main
            className="relative min-h-64 min-w-0 flex-1"
            aria-label={view === 'graph' ? 'Topology graph' : 'Topology table'}
          >
            {view === 'graph' ? (
              <>
                <div className="absolute inset-0">
                  <TopologyGraph
                    topology={topology}
                    version={version}
                    selection={selection}
                    onSelect={graphSelect}
                    theme={theme}
                    handleRef={graph}
                    className="h-full w-full"
                    highlight={trace.highlight}
                    summary={summary}
                    loaded={loaded}
                    onOpenChange={onGraphOpen}
                  />
                </div>
                {trace.picking && (
                  <p
                    data-testid="graph-picking"
                    role="status"
                    className="absolute top-2 left-1/2 z-10 w-max max-w-[calc(100%-1rem)] -translate-x-1/2 rounded-md border border-sky-300 bg-sky-50 px-3 py-1 text-sm text-sky-950 shadow dark:border-sky-700 dark:bg-sky-950 dark:text-sky-100"
                  >
                    Tracing from <span className="font-mono">{trace.draft.from}</span>: click the destination pod · Esc
                    cancels
                  </p>
                )}
                <div className="absolute bottom-2 left-2 z-10 max-w-[calc(100%-1rem)] rounded-md border border-slate-200 bg-white/90 px-2 py-1 backdrop-blur dark:border-slate-700 dark:bg-slate-950/90">
                  <Legend theme={theme} trace={trace.highlight !== null} />
                </div>
                {!topology && (
                  <p className="absolute inset-0 flex items-center justify-center text-slate-600 dark:text-slate-400">
                    {connection.state === 'connecting'
                      ? 'Connecting to the dashboard server…'
                      : connectionHelp(connection.error)}
                  </p>
                )}
              </>
            ) : (
              <TopologyTable topology={topology} selection={selection} onSelect={pick} remote={remote} />
            )}
          </main>
          <section aria-label="Findings" className="border-t border-slate-200 dark:border-slate-800">
            <h2>
              <button
                type="button"
                data-testid="findings-toggle"
                aria-expanded={findingsOpen}
                aria-controls="findings-body"
                onClick={() => setFindingsOpen((o) => !o)}
                className="flex w-full items-center gap-2 px-4 py-1.5 text-left text-sm font-semibold hover:bg-slate-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-sky-600 dark:hover:bg-slate-900"
              >
                <span aria-hidden="true">{findingsOpen ? '▾' : '▸'}</span>
                Findings ({findings})
              </button>
            </h2>
            <div id="findings-body" hidden={!findingsOpen} className="max-h-[30vh] overflow-auto">
              {topology ? (
                <FindingsList
                  findings={remote ? [] : topology.findings}
                  selection={selection}
                  onSelect={pick}
                  remote={remote}
                />
              ) : (
                <p className="px-4 py-2 text-sm text-slate-600 dark:text-slate-400">Waiting for the topology…</p>
              )}
            </div>
          </section>
        </div>
        <aside
          aria-label="Details, trace and connectivity"
          className="flex max-h-[50vh] min-h-0 flex-col border-t border-slate-200 md:max-h-none md:w-[28rem] md:shrink-0 md:border-t-0 md:border-l dark:border-slate-800"
        >
          <PanelTabs<Panel>
            label="Side panel"
            active={panel}
            onChange={setPanel}
            tabs={[
              {
                key: 'details',
                label: 'Details',
                panel: (
                  <SidePanel
                    topology={topology}
                    selection={selection}
                    onSelect={pick}
                    onClose={() => setSelection(null)}
                    onTraceFrom={traceFrom}
                    pending={pending}
                  />
                ),
              },
              {
                key: 'trace',
                label: <TraceTabLabel status={trace.run.running ? 'running' : (trace.run.result?.status ?? null)} />,
                panel: <TracePanel session={trace} topology={topology} pickOnGraph={traceFrom} remote={remote} />,
              },
              {
                key: 'matrix',
                label: 'Matrix',
                panel: <ConnectivityMatrix readOnly={readOnly} onTrace={startTrace} />,
              },
            ]}
          />
        </aside>
      </div>
    </div>
  );
}

/** "Trace", with how the current trace stands: readable without colour */
function TraceTabLabel({ status }: { status: 'running' | 'ok' | 'broken' | 'unknown' | null }) {
  const mark =
    status === 'running' ? '…' : status === 'ok' ? '✓' : status === 'broken' ? '✗' : status === 'unknown' ? '?' : '';
  const tone =
    status === 'broken'
      ? 'text-red-700 dark:text-red-300'
      : status === 'ok'
        ? 'text-emerald-700 dark:text-emerald-300'
        : '';
  return (
    <span data-status={status ?? undefined}>
      Trace
      {mark && (
        <span className={`ml-1 ${tone}`} aria-label={status === 'running' ? '(running)' : `(${status})`}>
          {mark}
        </span>
      )}
    </span>
  );
}

function connectionHelp(error: string | null): string {
  return `No topology from the dashboard server yet${error ? `: ${error}` : ''}. It keeps trying.`;
}
