// The one way podnet's CNI code starts a process and waits for it (ip, nsenter, nft, a
// delegated plugin). By default that is Node's spawnSync, as a plugin process needs. The
// node agent, which runs the same verbs in-process, swaps in a spawner that asks a small
// helper process to posix_spawn instead (agent/spawn-client.ts): spawnSync would fork the
// whole agent for every `ip`.
import { spawnSync } from 'node:child_process';

export interface SyncSpawnOptions {
  /** written to the process's stdin (then closed) */
  input?: string;
  /** its whole environment; default: this thread's process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** kill it after this many ms, and report ETIMEDOUT */
  timeout?: number;
}

/** spawnSync's answer, the parts podnet reads (stdout/stderr as UTF-8). */
export interface SyncSpawnResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** set when the process could not be started, or timed out */
  error?: Error;
}

export type SyncSpawner = (file: string, args: readonly string[], opts: SyncSpawnOptions) => SyncSpawnResult;

export const nodeSpawner: SyncSpawner = (file, args, o) => {
  const r = spawnSync(file, args, { input: o.input, env: o.env, timeout: o.timeout, encoding: 'utf8' });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    ...(r.error ? { error: r.error } : {}),
  };
};

let spawner: SyncSpawner = nodeSpawner;

/** Runs `file` and waits for it: spawnSync, or what useSpawner set for this thread. */
export function runSync(file: string, args: readonly string[], opts: SyncSpawnOptions = {}): SyncSpawnResult {
  return spawner(file, args, opts);
}

/** Replaces how this thread starts processes (module state is per worker thread). */
export function useSpawner(s: SyncSpawner): void {
  spawner = s;
}
