// The spawn helpers (cni/shim/podnet-spawn.c): one small C process per verb thread, which
// starts the verb's processes with posix_spawn (agent/spawn-client.ts speaks to it).
//
// Threads alone were not enough, measured: spawnSync in a thread still fork()s the whole
// agent, which (a) costs more per process than posix_spawn from a small process (two per
// ADD), and (b) copies the agent's page tables with its memory map locked, so every other
// thread touching memory waits: in a burst of ADDs through the agent beside Node plugins
// starting, the main thread was late to acknowledge and shims fell back (the figures are in
// bench/README.md, "Figures behind choices in the code").
// So each verb thread starts its processes through a helper: the agent never forks during a
// verb. Without the helper binary, or if one dies, its thread uses spawnSync.
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATH_FOR_PLUGINS } from '../../cni/env.js';
import { repoRoot } from '../../cni/install.js';
import { HELPER_DIED_SEQ } from '../spawn-client.js';
import type { CniSocketLog, CniSocketOptions } from './server.js';

export const DEFAULT_SPAWN_HELPER = join(repoRoot, '.build', 'podnet-spawn');

export interface Helper {
  /** the FIFO its thread writes requests to */
  req: string;
  /** the FIFO its thread reads answers from */
  resp: string;
  stop(): void;
}

/** The helper binary the verb threads use (null: none, they use spawnSync), from the socket's option. */
export function helperFileFor(
  option: CniSocketOptions['spawnHelper'],
  workers: number,
  log: CniSocketLog,
): string | null {
  const file = option === false ? null : (option ?? (existsSync(DEFAULT_SPAWN_HELPER) ? DEFAULT_SPAWN_HELPER : null));
  if (workers > 0 && !file && option !== false)
    log(
      'warn',
      `no ${DEFAULT_SPAWN_HELPER} (scripts/build-shim.sh): verbs start their processes with Node's spawnSync`,
    );
  return file;
}

/** Starts a helper in a private directory and waits until its FIFOs exist; null if it cannot. */
export function startHelper(file: string, log: CniSocketLog): Promise<Helper | null> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-spawn-')); // mode 0700
  const req = join(dir, 'req');
  const resp = join(dir, 'resp');
  const child = spawn(file, [dir], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: PATH_FOR_PLUGINS } });
  let stopping = false;
  let respFd: number | null = null;
  const stop = () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (respFd !== null) closeSync(respFd);
    respFd = null;
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve) => {
    const fail = (why: string) => {
      log('warn', `no spawn helper (${file}): verbs start their processes with Node's spawnSync`, { why });
      stop();
      resolve(null);
    };
    const timer = setTimeout(() => fail('not ready within 5 s'), 5_000);
    child.on('error', (e) => (clearTimeout(timer), fail(e.message)));
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      if (!String(d).startsWith('ready')) return fail(`said ${JSON.stringify(String(d))}`);
      // The agent's own reader-and-writer on resp: for the "helper died" frame below.
      respFd = openSync(resp, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
      resolve({ req, resp, stop });
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      clearTimeout(timer);
      log('error', 'the CNI spawn helper died: its verb thread goes on with spawnSync', { code, signal });
      if (respFd === null) return fail(`exited (${signal ?? code})`);
      // Wakes the thread if it waits on the helper's answer; it then falls back for good.
      const frame = Buffer.alloc(24);
      frame.writeUInt32LE(20, 0);
      frame.writeUInt32LE(HELPER_DIED_SEQ, 4);
      try {
        writeSync(respFd, frame);
      } catch {
        /* full of an answer nobody read: the thread is not waiting */
      }
      rmSync(dir, { recursive: true, force: true }); // open FIFOs keep working unlinked
    });
  });
}
