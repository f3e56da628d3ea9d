'use client';
// The page's live Topology: topology.snapshot, then topology.watch's changes applied in
// order, and the state of the stream — live, reconnecting (showing what it had), or
// stale since a given time. tRPC's SSE link reconnects by itself and resumes from the
// last event id; the server sends what was missed, or a fresh snapshot when it no longer
// holds it — nothing missed while away is lost.
import { useEffect, useRef, useState } from 'react';
import type { Topology, TopologyChange, TopologyEvent } from '../../lib/model/topology';
import { applyTopologyChanges } from '../../lib/model/diff';
import { makeTrpcClient } from './trpc-client';

/** how long a broken stream is "reconnecting" before the page calls its data stale */
const STALE_AFTER_MS = 10_000;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'stale';

export interface Connection {
  state: ConnectionState;
  /** ISO time: when it went live, or since when the data has not been live */
  since: string;
  error: string | null;
}

export interface LiveTopology {
  topology: Topology | null;
  /** the server's version of the topology shown */
  version: number;
  connection: Connection;
}

export function useTopology(): LiveTopology {
  const [live, setLive] = useState<LiveTopology>({
    topology: null,
    version: -1,
    connection: { state: 'connecting', since: new Date().toISOString(), error: null },
  });
  const staleTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const client = makeTrpcClient();
    let cancelled = false;
    let sub: { unsubscribe(): void } | null = null;
    let lost: string | null = null;
    const setConnection = (c: Connection) =>
      setLive((l) => (l.connection.state === c.state && l.connection.error === c.error ? l : { ...l, connection: c }));
    const markLost = (error: string | null) => {
      if (lost) return;
      lost = new Date().toISOString();
      setConnection({ state: 'reconnecting', since: lost, error });
      staleTimer.current = setTimeout(() => setConnection({ state: 'stale', since: lost!, error }), STALE_AFTER_MS);
    };
    const markLive = () => {
      if (staleTimer.current) clearTimeout(staleTimer.current);
      staleTimer.current = null;
      lost = null;
      setLive((l) =>
        l.connection.state === 'live'
          ? l
          : { ...l, connection: { state: 'live', since: new Date().toISOString(), error: null } },
      );
    };
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

    // The snapshot comes as one JSON response (cheap even at 10,000 pods); the watch then
    // starts from its version, so only changes travel over the event stream.
    void (async () => {
      let since: string | null = null;
      try {
        const snap = await client.topology.snapshot.query();
        if (cancelled) return;
        apply({ type: 'snapshot', version: snap.version, topology: snap.topology as Topology });
        since = String(snap.version);
      } catch (e) {
        markLost((e as Error).message); // the watch starts with a snapshot instead
      }
      if (cancelled) return;
      sub = client.topology.watch.subscribe(
        { lastEventId: since },
        {
          onData(tracked) {
            markLive();
            apply(tracked.data as TopologyEvent);
          },
          onConnectionStateChange(state) {
            if (state.state === 'pending') markLive();
            else if (state.state === 'connecting' && state.error) markLost(state.error.message);
          },
          onError(err) {
            markLost(err.message);
          },
        },
      );
    })();
    return () => {
      cancelled = true;
      sub?.unsubscribe();
      if (staleTimer.current) clearTimeout(staleTimer.current);
    };
  }, []);

  return live;
}
