'use client';
// The page's live Topology, and the state of the stream — live, reconnecting (showing what
// it had), or stale since a given time. tRPC's SSE link reconnects by itself and resumes
// from the last event id; the server sends what was missed, or everything afresh when it
// no longer holds it — nothing missed while away is lost.
//
// Summary first (issue 13): the page asks topology.summary (~330 bytes a node) before
// anything else. A cluster that small (SMALL_NODES / SMALL_PODS, lib/model/summary.ts) is
// loaded whole, as always: its snapshot comes in the same answer (wholeIfSmall), then
// topology.watch's changes. A bigger one is held as its summary and the pods of the nodes
// the page has open: topology.watchSummary streams the summary's changes and the open
// nodes' details; which nodes are open is the subscription's focus (topology.focus), sent
// again whenever the server has forgotten it (its `hello` says resumed: false). The page
// chooses once, when it loads.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Topology, TopologyChange, TopologyEvent } from '../../lib/model/topology';
import { applyTopologyChanges } from '../../lib/model/diff';
import { isSmallCluster, MAX_FOCUS, type ClusterSummary, type SummaryEvent } from '../../lib/model/summary';
import { SummarySession, type FocusControl } from './summary-session';
import { makeTrpcClient, type TrpcClient } from './trpc-client';

/** how long a broken stream is "reconnecting" before the page calls its data stale */
const STALE_AFTER_MS = 10_000;

/** The wait before asking topology.summary again after the `attempt`-th failure: 0.5 s,
 *  doubling, at most 8 s (a server restarting answers within seconds; one down for long is
 *  not hammered). */
export function summaryRetryMs(attempt: number): number {
  return Math.min(8_000, 500 * 2 ** Math.max(0, attempt));
}
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'stale';

export interface Connection {
  state: ConnectionState;
  /** ISO time: when it went live, or since when the data has not been live */
  since: string;
  error: string | null;
}

export interface LiveTopology {
  /** the whole cluster, or (summary set) every node and the open nodes' pods */
  topology: Topology | null;
  /** the server's version of the topology shown */
  version: number;
  connection: Connection;
  /** set when the page holds the cluster as its summary: counts, health and routes of
   *  every node; null when `topology` is the whole cluster */
  summary: ClusterSummary | null;
  /** with a summary: the nodes whose pods, routes and findings are in `topology` */
  loaded: ReadonlySet<string> | null;
}

export interface TopologyFeed extends LiveTopology {
  /** the nodes the page shows open, most wanted first (more than MAX_FOCUS are cut);
   *  their pods arrive and stay current. Nothing to do while the topology is whole. */
  open(nodes: readonly string[]): void;
  /** the node a pod is on, asked of the server (a pod whose node is not loaded) */
  locate(pod: string): Promise<string | null>;
}

export function useTopology(): TopologyFeed {
  const [live, setLive] = useState<LiveTopology>({
    topology: null,
    version: -1,
    connection: { state: 'connecting', since: new Date().toISOString(), error: null },
    summary: null,
    loaded: null,
  });
  const client = useRef<TrpcClient | null>(null);
  /** what the page wants open, and what the summary session does with it */
  const focus = useRef<FocusControl | null>(null);
  const wanted = useRef<string[]>([]);

  useEffect(() => {
    const trpc = makeTrpcClient();
    client.current = trpc;
    let cancelled = false;
    let sub: { unsubscribe(): void } | null = null;
    let lost: string | null = null;
    let staleTimer: ReturnType<typeof setTimeout> | null = null;
    const setConnection = (c: Connection) =>
      setLive((l) => (l.connection.state === c.state && l.connection.error === c.error ? l : { ...l, connection: c }));
    const markLost = (error: string | null) => {
      if (lost) return;
      lost = new Date().toISOString();
      setConnection({ state: 'reconnecting', since: lost, error });
      staleTimer = setTimeout(() => setConnection({ state: 'stale', since: lost!, error }), STALE_AFTER_MS);
    };
    const markLive = () => {
      if (staleTimer) clearTimeout(staleTimer);
      staleTimer = null;
      lost = null;
      setLive((l) =>
        l.connection.state === 'live'
          ? l
          : { ...l, connection: { state: 'live', since: new Date().toISOString(), error: null } },
      );
    };
    const handlers = <T>(onData: (value: T) => void) => ({
      onData(value: T) {
        markLive();
        onData(value);
      },
      onConnectionStateChange(state: { state: string; error?: { message: string } | null }) {
        if (state.state === 'pending') markLive();
        else if (state.state === 'connecting' && state.error) markLost(state.error.message);
      },
      onError(err: { message: string }) {
        markLost(err.message);
      },
    });

    /** the whole topology: its snapshot (given, else topology.snapshot), then
     *  topology.watch from its version */
    const whole = (given?: { version: number; topology: Topology }) => {
      let since: string | null = null;
      const apply = (event: TopologyEvent) =>
        setLive((l) => {
          if (event.type === 'snapshot') return { ...l, topology: event.topology, version: event.version };
          // Already seen (a reconnect replays from the last id), or nothing to apply it to.
          if (!l.topology || event.version <= l.version) return l;
          return {
            ...l,
            topology: applyTopologyChanges(l.topology, event.changes as TopologyChange[]),
            version: event.version,
          };
        });
      void (async () => {
        // The snapshot comes as one JSON response; the watch then starts from its version,
        // so only changes travel over the event stream.
        try {
          const snap = given ?? (await trpc.topology.snapshot.query());
          if (cancelled) return;
          apply({ type: 'snapshot', version: snap.version, topology: snap.topology as Topology });
          since = String(snap.version);
        } catch (e) {
          markLost((e as Error).message); // the watch starts with a snapshot instead
        }
        if (cancelled) return;
        sub = trpc.topology.watch.subscribe(
          { lastEventId: since },
          handlers((tracked: { data: unknown }) => apply(tracked.data as TopologyEvent)),
        );
      })();
    };

    /** the summary and the open nodes: topology.watchSummary from the summary's version */
    const summarised = (first: { version: number; summary: ClusterSummary }) => {
      const session = new SummarySession(trpc, first, (state) => setLive((l) => ({ ...l, ...state })));
      focus.current = session;
      session.want(wanted.current);
      sub = trpc.topology.watchSummary.subscribe(
        { lastEventId: String(first.version) },
        handlers((tracked: { data: unknown }) => session.event(tracked.data as SummaryEvent)),
      );
    };

    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    /** topology.summary, asked again until it answers: which way to load depends on it.
     *  (Falling back to the whole topology's watch, which retries by itself, left a big
     *  cluster's page refused — no whole topology on the stream above 20,000 pods — until
     *  a reload.) */
    const start = async (attempt: number) => {
      try {
        const first = await trpc.topology.summary.query({ wholeIfSmall: true });
        if (cancelled) return;
        if (first.whole) whole({ version: first.whole.version, topology: first.whole.topology as Topology });
        // (a server from before wholeIfSmall answers without `whole`)
        else if (isSmallCluster(first.summary)) whole();
        else summarised(first);
      } catch (e) {
        markLost((e as Error).message);
        if (!cancelled) retryTimer = setTimeout(() => void start(attempt + 1), summaryRetryMs(attempt));
      }
    };
    void start(0);
    return () => {
      cancelled = true;
      sub?.unsubscribe();
      focus.current?.close();
      focus.current = null;
      if (staleTimer) clearTimeout(staleTimer);
      if (retryTimer) clearTimeout(retryTimer);
    };
  }, []);

  const open = useCallback((nodes: readonly string[]) => {
    wanted.current = [...new Set(nodes)].slice(0, MAX_FOCUS);
    focus.current?.want(wanted.current);
  }, []);

  const locate = useCallback(async (pod: string) => {
    const trpc = client.current;
    if (!trpc) return null;
    try {
      return (await trpc.topology.locate.query({ pod })).node;
    } catch {
      return null; // no such pod: nothing to open
    }
  }, []);

  return { ...live, open, locate };
}
