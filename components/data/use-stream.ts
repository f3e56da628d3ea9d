'use client';
// One tRPC subscription at a time, its latest value kept: starting again ends the one
// before (which stops its work on the server), and only the current one's events count.
// The trace and the connectivity matrix each run through one.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface StreamHandlers<T> {
  onData(value: T): void;
  onError(err: { message: string }): void;
  onComplete(): void;
}

export interface Stream<A, T> {
  data: T | null;
  /** the server refused or the stream broke, in its words */
  error: string | null;
  running: boolean;
  start(arg: A): void;
  stop(): void;
  /** show a value without running anything (or nothing, with null) */
  show(data: T | null): void;
}

/**
 * `open` subscribes with the client's handlers; `onEnd` sees the last value of a stream that
 * ran to its end. `keep`: the previous value stays shown until the new stream's first one.
 */
export function useStream<A, T>(
  open: (arg: A, h: StreamHandlers<T>) => { unsubscribe(): void },
  onEnd?: (last: T) => void,
  keep = false,
): Stream<A, T> {
  const sub = useRef<{ unsubscribe(): void } | null>(null);
  const ended = useRef(onEnd);
  useEffect(() => {
    ended.current = onEnd;
  });
  const [state, setState] = useState<{ data: T | null; error: string | null; running: boolean }>({
    data: null,
    error: null,
    running: false,
  });

  const stop = useCallback(() => {
    sub.current?.unsubscribe();
    sub.current = null;
    setState((s) => (s.running ? { ...s, running: false } : s));
  }, []);

  const start = useCallback(
    (arg: A) => {
      sub.current?.unsubscribe();
      setState((s) => ({ data: keep ? s.data : null, error: null, running: true }));
      let last: T | null = null;
      // asked when each event comes, not in a state updater: by the time an updater runs,
      // onComplete may already have let go of this stream
      const mine = () => sub.current === me;
      const me = open(arg, {
        onData(value) {
          if (!mine()) return;
          last = value;
          setState((s) => ({ ...s, data: value }));
        },
        onError(err) {
          if (!mine()) return;
          sub.current = null;
          setState((s) => ({ ...s, error: err.message, running: false }));
        },
        onComplete() {
          if (!mine()) return;
          sub.current = null;
          setState((s) => ({ ...s, running: false }));
          if (last !== null) ended.current?.(last);
        },
      });
      sub.current = me;
    },
    [open, keep],
  );

  const show = useCallback((data: T | null) => {
    sub.current?.unsubscribe();
    sub.current = null;
    setState({ data, error: null, running: false });
  }, []);

  useEffect(
    () => () => {
      sub.current?.unsubscribe();
      sub.current = null;
    },
    [],
  );

  return { ...state, start, stop, show };
}
