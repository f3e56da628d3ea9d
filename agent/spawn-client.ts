// A verb thread's side of the spawn helper (cni/shim/podnet-spawn.c, where the frames are
// described): a SyncSpawner that hands each command to the helper through its two FIFOs and
// blocks this thread until the helper answers, as spawnSync would block it — without
// forking the agent.
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { constants as os } from 'node:os';
import type { SyncSpawner, SyncSpawnResult } from '../lib/proc/spawn.js';

/** The sequence number of the frame the agent writes into resp when the helper has died. */
export const HELPER_DIED_SEQ = 0xffffffff;

/**
 * How long any one process of a verb served by the agent (ip, nsenter, nft) may run before
 * it is killed by its PID and the verb fails with that error: without a deadline a hung one
 * holds its verb thread, and the ADD of the shim that is waiting for it, for ever. Such a
 * process takes milliseconds, and much longer in a burst of pod starts; 10 s is ten times
 * the worst seen (bench/README.md), so only a stuck one meets it, and an ADD (two to four processes
 * and up to 10 s of waiting for the lease lock) still ends well inside the shim's 120 s,
 * which is the kubelet's runtime request timeout. A caller that sets its own timeout keeps
 * it (a delegated IPAM plugin has 60 s: it starts Node and waits for its own lock).
 */
export const CHILD_DEADLINE_MS = 10_000;

const errnoName = new Map(Object.entries(os.errno).map(([k, v]) => [v, k]));
const signalName = new Map(Object.entries(os.signals).map(([k, v]) => [v, k as NodeJS.Signals]));

function spawnError(file: string, code: string): Error {
  return Object.assign(new Error(`spawnSync ${file} ${code}`), {
    code,
    errno: -(os.errno as Record<string, number>)[code]!,
    syscall: `spawnSync ${file}`,
    path: file,
  });
}

function readFull(fd: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let off = 0; off < n;) {
    const r = readSync(fd, b, off, n - off, null);
    if (r === 0) throw new Error('spawn helper: end of file');
    off += r;
  }
  return b;
}

function writeFull(fd: number, b: Buffer): void {
  for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
}

export function encodeRequest(
  seq: number,
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  input: string,
  timeoutMs: number,
): Buffer {
  const strings = [
    file,
    ...args,
    ...Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`])),
  ].map((s) => Buffer.from(s + '\0', 'utf8'));
  const stdin = Buffer.from(input, 'utf8');
  const head = Buffer.alloc(24);
  const body = Buffer.concat([...strings, stdin]);
  head.writeUInt32LE(20 + body.length, 0); // host order: this is x86/arm little-endian Linux
  head.writeUInt32LE(seq, 4);
  head.writeUInt32LE(timeoutMs, 8);
  head.writeUInt32LE(1 + args.length, 12);
  head.writeUInt32LE(strings.length - 1 - args.length, 16);
  head.writeUInt32LE(stdin.length, 20);
  return Buffer.concat([head, body]);
}

/**
 * A spawner over the helper's FIFOs, falling back to `fallback` (Node's spawnSync) for good
 * once the helper is gone (the agent then writes a HELPER_DIED_SEQ frame into resp). A
 * command the helper never read is run by the fallback; one it had read when it died is
 * reported as not started (EPIPE), never run a second time: it may have done its work.
 */
export function helperSpawner(
  reqPath: string,
  respPath: string,
  fallback: SyncSpawner,
): { spawn: SyncSpawner; close(): void } {
  // O_RDWR: opening a FIFO so never blocks, and a read waits for data (in this thread only).
  const req = openSync(reqPath, constants.O_RDWR);
  const resp = openSync(respPath, constants.O_RDWR);
  // Non-blocking readers of the same FIFOs: to look without waiting.
  const reqPeek = openSync(reqPath, constants.O_RDONLY | constants.O_NONBLOCK);
  const respPeek = openSync(respPath, constants.O_RDONLY | constants.O_NONBLOCK);
  let seq = 0;
  let dead = false;
  const die = () => {
    if (dead) return;
    dead = true;
    for (const fd of [req, resp, reqPeek, respPeek]) closeSync(fd); // a live helper sees end of file and exits
  };
  /** Reads what is there without waiting: at most n bytes. */
  const peek = (fd: number, n: number): Buffer => {
    const b = Buffer.alloc(n);
    let off = 0;
    try {
      while (off < n) {
        const r = readSync(fd, b, off, n - off, null);
        if (r === 0) break;
        off += r;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    return b.subarray(0, off);
  };
  const spawn: SyncSpawner = (file, args, opts) => {
    if (dead) return fallback(file, args, opts);
    // The helper died while this thread was idle: its frame is waiting. Nothing was sent.
    if (peek(respPeek, 24).length > 0) {
      die();
      return fallback(file, args, opts);
    }
    seq = (seq + 1) % HELPER_DIED_SEQ;
    const frame = encodeRequest(seq, file, args, opts.env ?? process.env, opts.input ?? '', opts.timeout ?? 0);
    try {
      writeFull(req, frame);
      for (;;) {
        const head = readFull(resp, 24);
        const got = head.readUInt32LE(4);
        if (got === HELPER_DIED_SEQ) {
          // Died after this request was sent: if it is still in the FIFO, the helper never read it.
          const unread = peek(reqPeek, frame.length).length === frame.length;
          die();
          if (unread) return fallback(file, args, opts);
          throw new Error('the spawn helper died running it');
        }
        const kind = head.readInt32LE(8);
        const value = head.readInt32LE(12);
        const stdout = readFull(resp, head.readUInt32LE(16)).toString('utf8');
        const stderr = readFull(resp, head.readUInt32LE(20)).toString('utf8');
        if (got !== seq) continue; // an answer to a request of before a restart: not ours
        const r: SyncSpawnResult = { status: null, signal: null, stdout, stderr };
        if (kind === 0) r.status = value;
        else if (kind === 1) r.signal = signalName.get(value) ?? null;
        else if (kind === 2) r.error = spawnError(file, errnoName.get(value) ?? 'EIO');
        else {
          r.signal = 'SIGKILL';
          r.error = Object.assign(spawnError(file, 'ETIMEDOUT'), { pid: value });
        }
        return r;
      }
    } catch (e) {
      die();
      return {
        status: null,
        signal: null,
        stdout: '',
        stderr: '',
        error: Object.assign(spawnError(file, 'EPIPE'), {
          message: `spawnSync ${file} EPIPE: ${(e as Error).message}`,
        }),
      };
    }
  };
  return { spawn, close: die };
}

/**
 * Gives every process `spawn` starts a deadline (CHILD_DEADLINE_MS unless the caller set
 * one): at it the process is killed by its PID (the helper: SIGKILL, with its process group;
 * spawnSync: SIGTERM) and the result carries an error that says so, which the verb reports
 * (`ip -batch -: ip did not finish within 10 s: killed …`).
 */
export function withDeadline(spawn: SyncSpawner, deadlineMs = CHILD_DEADLINE_MS): SyncSpawner {
  return (file, args, opts) => {
    const timeout = opts.timeout ?? deadlineMs;
    const r = spawn(file, args, { ...opts, timeout });
    const error = r.error as (NodeJS.ErrnoException & { pid?: number }) | undefined;
    if (error?.code === 'ETIMEDOUT') {
      const pid = error.pid; // the helper says; spawnSync does not
      error.message = `${file} did not finish within ${timeout / 1000} s: killed${pid ? ` (pid ${pid})` : ''} at its deadline, the verb gives up`;
    }
    return r;
  };
}
