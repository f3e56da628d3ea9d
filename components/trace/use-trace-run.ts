'use client';
// One trace at a time through trace.run (a subscription over server-sent events): the
// expected path first, then the whole result again as each kernel check and probe part
// answers. A new trace (or stop) ends the one before, which stops its work on the server.
import { useCallback, useMemo, useState } from 'react';
import type { TraceResult } from '../../lib/model/trace';
import { makeTrpcClient } from '../data/trpc-client';
import { useStream, type StreamHandlers } from '../data/use-stream';
import type { TraceAsk } from './trace-link';

export interface TraceRun {
  ask: TraceAsk | null;
  result: TraceResult | null;
  /** the server refused (bad input) or the stream broke, in its words */
  error: string | null;
  running: boolean;
  /** reopened from the session's history, not run now */
  reopened: boolean;
  start(ask: TraceAsk): void;
  /** show a finished trace again (from the history) without running it */
  reopen(result: TraceResult): void;
  stop(): void;
  clear(): void;
}

/** `onDone` sees every trace that ran to its end. */
export function useTraceRun(onDone?: (r: TraceResult) => void): TraceRun {
  const client = useMemo(() => makeTrpcClient(), []);
  const open = useCallback(
    (ask: TraceAsk, h: StreamHandlers<TraceResult>) =>
      client.trace.run.subscribe({ from: ask.from, to: ask.to, port: ask.port }, h),
    [client],
  );
  const stream = useStream(open, (last) => {
    if (last.phase === 'done') onDone?.(last);
  });
  const [ask, setAsk] = useState<TraceAsk | null>(null);
  const [reopened, setReopened] = useState(false);
  const { start: startStream, show, stop } = stream;

  const start = useCallback(
    (a: TraceAsk) => {
      setAsk(a);
      setReopened(false);
      startStream(a);
    },
    [startStream],
  );
  const reopen = useCallback(
    (r: TraceResult) => {
      setAsk({ from: r.request.from, to: r.request.to, port: r.request.port });
      setReopened(true);
      show(r);
    },
    [show],
  );
  const clear = useCallback(() => {
    setAsk(null);
    setReopened(false);
    show(null);
  }, [show]);

  return {
    ask,
    result: stream.data,
    error: stream.error,
    running: stream.running,
    reopened,
    start,
    reopen,
    stop,
    clear,
  };
}
