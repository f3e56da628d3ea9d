'use client';
// The page's trace state in one place: the form's draft, the run, the session's history,
// "trace from here" (then a click on the destination pod), the graph highlight, and the
// ?trace= link it started from. The dashboard and the embed page both use it.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { TraceResult } from '../../lib/model/trace';
import type { GraphHighlight } from '../topology/TopologyGraph';
import { loadHistory, pushHistory, saveHistory, type HistoryEntry } from './trace-history';
import { parsePortInput, type TraceAsk } from './trace-link';
import { highlightOf } from './trace-view';
import { useTraceRun, type TraceRun } from './use-trace-run';

export interface TraceDraft {
  from: string;
  to: string;
  /** as typed: a port, or empty */
  port: string;
}

export interface TraceSession {
  run: TraceRun;
  draft: TraceDraft;
  setDraft(d: TraceDraft): void;
  history: HistoryEntry[];
  /** "trace from here" was pressed: a click on a pod is the destination */
  picking: boolean;
  /** run the trace: the draft becomes what it asks */
  trace(ask: TraceAsk): void;
  /** the draft's source is `pod`; the next pod clicked in the graph is the destination */
  traceFrom(pod: string): void;
  cancelPicking(): void;
  /** show a finished trace from the history again, as it was */
  reopen(r: TraceResult): void;
  /** a pod chosen in the graph: true when it was taken as the destination */
  pickDestination(pod: string): boolean;
  highlight: GraphHighlight | null;
  /** the page link's form of the current trace: pods by NAMESPACE/NAME once resolved */
  linkAsk: TraceAsk | null;
}

const session = (): Storage | null => {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null; // storage off (a sandboxed frame)
  }
};

const draftOf = (ask: TraceAsk | null): TraceDraft => ({
  from: ask?.from ?? '',
  to: ask?.to ?? '',
  port: ask?.port ? String(ask.port) : '',
});

/** `initial`: the ?trace= the page was opened with, run once on load. */
export function useTraceSession(initial: TraceAsk | null): TraceSession {
  // Read after hydration: the server has no session storage, and a first render that
  // differs from the server's HTML is a hydration error (a reload with a history).
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  // eslint-disable-next-line react-hooks/set-state-in-effect -- once, after hydration (above)
  useEffect(() => setHistory(loadHistory(session())), []);
  const remember = useCallback((r: TraceResult) => {
    setHistory((h) => {
      const next = pushHistory(h, r);
      saveHistory(session(), next);
      return next;
    });
  }, []);
  const run = useTraceRun(remember);
  const [draft, setDraft] = useState<TraceDraft>(() => draftOf(initial));
  const [picking, setPicking] = useState(false);

  const { start } = run;
  const trace = useCallback(
    (ask: TraceAsk) => {
      setDraft(draftOf(ask));
      setPicking(false);
      start(ask);
    },
    [start],
  );

  const started = useRef(false);
  useEffect(() => {
    if (initial && !started.current) {
      started.current = true;
      start(initial);
    }
  }, [initial, start]);

  const traceFrom = useCallback((pod: string) => {
    setDraft((d) => ({ ...d, from: pod, to: d.to === pod ? '' : d.to }));
    setPicking(true);
  }, []);
  const cancelPicking = useCallback(() => setPicking(false), []);
  const { reopen: reopenRun } = run;
  const reopen = useCallback(
    (r: TraceResult) => {
      setDraft(draftOf(r.request));
      setPicking(false);
      reopenRun(r);
    },
    [reopenRun],
  );

  const pickDestination = useCallback(
    (pod: string) => {
      if (!picking || pod === draft.from) return false;
      const port = parsePortInput(draft.port);
      trace({ from: draft.from, to: pod, port: port.ok ? port.port : null });
      return true;
    },
    [picking, trace, draft],
  );

  // Escape (anywhere) stops waiting for the destination click.
  useEffect(() => {
    if (!picking) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setPicking(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [picking]);

  const highlight = useMemo(() => (run.result ? highlightOf(run.result) : null), [run.result]);
  const { ask, result } = run;
  const linkAsk = useMemo<TraceAsk | null>(() => {
    if (!ask) return null;
    if (!result) return ask;
    return {
      from: result.from.pod ?? ask.from,
      to: result.to.kind === 'pod' && result.to.pod ? result.to.pod : ask.to,
      port: ask.port,
    };
  }, [ask, result]);

  return {
    run,
    draft,
    setDraft,
    history,
    picking,
    trace,
    traceFrom,
    cancelPicking,
    reopen,
    pickDestination,
    highlight,
    linkAsk,
  };
}
