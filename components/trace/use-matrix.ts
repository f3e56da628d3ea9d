'use client';
// The connectivity matrix on demand: each run is one trace.matrix subscription, whose cells
// fill as the agents' pings answer. A new run ends the one before; the last run's cells
// stay until the new one's first answer.
import { useCallback, useMemo } from 'react';
import type { MatrixResult } from '../../lib/trace/matrix';
import { makeTrpcClient } from '../data/trpc-client';
import { useStream, type Stream, type StreamHandlers } from '../data/use-stream';

export function useMatrix(): Stream<void, MatrixResult> {
  const client = useMemo(() => makeTrpcClient(), []);
  const open = useCallback(
    (_: void, h: StreamHandlers<MatrixResult>) => client.trace.matrix.subscribe(undefined, h),
    [client],
  );
  return useStream(open, undefined, true);
}
