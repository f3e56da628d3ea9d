// The agent's CNI socket (the fast path; the protocol is described in protocol.ts): starts
// the verb threads, listens at its path, and stops cleanly, finishing every acknowledged verb.
import { readlinkSync, statSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { Connections } from './connection.js';
import type { RefusalKind } from './protocol.js';
import { listenAt, prepareSocketPath } from './socket-path.js';
import { helperFileFor } from './spawn-helper.js';
import { bundledWorker, DEFAULT_WORKERS, VerbPool } from './verb-pool.js';

/** The agent's own log: refusals, thread failures. */
export type CniSocketLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface CniSocketOptions {
  /** verb threads (default: one per core, 2 to 8); 0 runs verbs on the main thread, blocking its event loop */
  workers?: number;
  /** acknowledged verbs waiting for a thread before new requests are refused (default 256);
   *  most often the predicted wait (BUSY_AFTER_MS) refuses them first */
  maxQueue?: number;
  /** how long a caller may take to send its request line (default 10 s) */
  requestTimeoutMs?: number;
  /** largest request accepted (default 16 MiB) */
  maxRequestBytes?: number;
  /** the spawn helper (cni/shim/podnet-spawn.c, built by scripts/build-shim.sh) the verb
   *  threads start processes through; default .build/podnet-spawn when it exists; false:
   *  none, the verbs fork the agent with spawnSync as a plugin process does */
  spawnHelper?: string | false;
  /** the agent's own log: refusals, thread failures */
  log?: CniSocketLog;
}

export interface CniSocketStats {
  path: string;
  workers: number;
  /** verb threads starting processes through a spawn helper */
  spawnHelpers: number;
  connections: number;
  /** verbs answered, by CNI_COMMAND */
  served: Record<string, number>;
  /** verbs answered with a non-zero status (the spec's error JSON) */
  failed: number;
  refused: Record<RefusalKind, number>;
  /** callers gone before their verb started (skipped) or before its answer was written */
  abandoned: number;
  /** acknowledged requests whose caller went away without committing (it ran the plugin itself) */
  uncommitted: number;
  queued: number;
  running: number;
  workerRestarts: number;
}

export interface CniSocket {
  readonly path: string;
  /** a snapshot */
  readonly stats: CniSocketStats;
  /** Stops accepting, finishes every acknowledged verb, stops the threads, removes the socket. */
  close(): Promise<void>;
}

export async function startCniSocket(path: string, opts: CniSocketOptions = {}): Promise<CniSocket> {
  const workers = opts.workers ?? DEFAULT_WORKERS;
  const limits = {
    maxQueue: opts.maxQueue ?? 256,
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    maxRequestBytes: opts.maxRequestBytes ?? 16 << 20,
  };
  const log = opts.log ?? (() => {});
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a whole number, got ${workers}`);

  const ownNetns = readlinkSync('/proc/self/ns/net');
  await prepareSocketPath(path);
  const helperFile = helperFileFor(opts.spawnHelper, workers, log);
  const pool = new VerbPool(workers, workers > 0 ? await bundledWorker() : null, workers > 0 ? helperFile : null, log);
  await pool.start();

  const connections = new Connections(ownNetns, pool, limits, log);
  const server = createServer({ allowHalfOpen: true }, (socket) => connections.accept(socket));

  let ino: number;
  try {
    ino = await listenAt(server, path);
  } catch (e) {
    await pool.stop();
    throw e;
  }
  log('info', 'CNI socket listening', { path, workers, netns: ownNetns });

  let closed: Promise<void> | null = null;
  return {
    path,
    get stats(): CniSocketStats {
      const counters = connections.counters;
      return {
        path,
        workers,
        spawnHelpers: pool.helpers,
        connections: counters.connections,
        served: { ...counters.served },
        failed: counters.failed,
        refused: { ...counters.refused },
        abandoned: pool.skipped + counters.abandonedLate,
        uncommitted: counters.uncommitted,
        queued: pool.queued,
        running: pool.busy,
        workerRestarts: pool.restarts,
      };
    },
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        connections.close();
        // Remove the socket file only if it is still the one this server made.
        try {
          if (statSync(path).ino === ino) unlinkSync(path);
        } catch {
          /* gone already */
        }
        await pool.stop();
        await stopped;
      })();
      return closed;
    },
  };
}
