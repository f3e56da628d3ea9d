'use client';
// The page's live Topology: topology.watch's snapshot, then its changes applied in
// order, and the state of the stream — live, reconnecting (showing what it had), or
// stale since a given time. tRPC's SSE link reconnects by itself; every new connection
// starts with a snapshot, so nothing missed while away is lost.
import { useEffect, useRef, useState } from 'react';
import type { Topology, TopologyChange } from '../../lib/model/topology';
import { applyTopologyChanges } from '../../lib/model/topology-diff';
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
  const [live, setLive] = useState<LiveTopology>({ topology: null, version: -1, connection: { state: 'connecting', since: new Date().toISOString(), error: null } });
  const staleTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const client = makeTrpcClient();
    let lost: string | null = null;
    const setConnection = (c: Connection) => setLive((l) => (l.connection.state === c.state && l.connection.error === c.error ? l : { ...l, connection: c }));
    const markLost = (error: string | null) => {
      if (lost) return;
      lost = new Date().toISOString();
      setConnection({ state: 'reconnecting', since: lost, error });
      staleTimer.current = setTimeout(() => setConnection({ state: 'stale', since: lost!, error }), STALE_AFTER_MS);
    };
    const sub = client.topology.watch.subscribe(undefined, {
      onData(event) {
        if (lost || staleTimer.current) {
          if (staleTimer.current) clearTimeout(staleTimer.current);
          staleTimer.current = null;
          lost = null;
        }
        setLive((l) => {
          const connection: Connection = l.connection.state === 'live' ? l.connection : { state: 'live', since: new Date().toISOString(), error: null };
          if (event.type === 'snapshot') return { topology: event.topology, version: event.version, connection };
          if (!l.topology) return l; // changes before a snapshot cannot be applied; the next snapshot will come
          return { topology: applyTopologyChanges(l.topology, event.changes as TopologyChange[]), version: event.version, connection };
        });
      },
      onConnectionStateChange(state) {
        if (state.state === 'connecting' && state.error) markLost(state.error.message);
      },
      onError(err) {
        markLost(err.message);
      },
    });
    return () => {
      sub.unsubscribe();
      if (staleTimer.current) clearTimeout(staleTimer.current);
    };
  }, []);

  return live;
}
