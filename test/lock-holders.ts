// Test support for the lease lock: real processes (and worker threads of them, and
// processes in a PID namespace of their own) that hold, contend for and die holding a
// FileLock. Each runs lock.ts bundled to plain JavaScript (no TypeScript loader: worker
// threads and `unshare` children get none) and takes commands on stdin, one per line,
// answering each with one JSON line. stopAll() kills every process it started, by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '../cni/install.js';

// Commands: hold | release | thread (a worker thread takes the lock and is terminated
// holding it) | threadtry MS (a worker thread tries to acquire, then releases) | try MS
// (acquire, then release) | count N (N increments of PATH.count, each a read, a pause and
// a write under the lock) | exit (without releasing).
const HOLDER = String.raw`
const [lockCjs, path] = process.argv.slice(2);
const { FileLock } = require(lockCjs);
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const { Worker } = require('node:worker_threads');
const fs = require('node:fs');
const say = (m) => process.stdout.write(JSON.stringify(m) + '\n');
setInterval(() => {}, 1 << 30);
let held = null;
const commands = {
  hold() { held = new FileLock(path); held.acquire(); say({ held: fs.readFileSync(path, 'utf8') }); },
  release() { held.release(); held = null; say({ released: true }); },
  thread() {
    const code = 'const { FileLock } = require(' + JSON.stringify(lockCjs) + '); new FileLock(' + JSON.stringify(path) + ').acquire();' +
      "require('node:worker_threads').parentPort.postMessage(require('node:fs').readFileSync(" + JSON.stringify(path) + ", 'utf8'));";
    const w = new Worker(code, { eval: true });
    w.once('message', async (record) => { await w.terminate(); say({ threadGone: record }); });
    w.once('error', (e) => say({ threadError: e.message }));
  },
  threadtry(ms) {
    const code = 'const { FileLock } = require(' + JSON.stringify(lockCjs) + '); const t = Date.now(); const l = new FileLock(' + JSON.stringify(path) + ');' +
      "const say = (m) => require('node:worker_threads').parentPort.postMessage(m);" +
      'try { l.acquire(' + Number(ms) + '); l.release(); say({ acquired: Date.now() - t }); } catch (e) { say({ timeout: Date.now() - t }); }';
    const w = new Worker(code, { eval: true });
    w.once('message', async (m) => { await w.terminate(); say(m); });
  },
  try(ms) {
    const t = Date.now();
    const lock = new FileLock(path);
    try { lock.acquire(Number(ms)); } catch (e) { return say({ timeout: Date.now() - t, message: e.message }); }
    lock.release();
    say({ acquired: Date.now() - t });
  },
  count(n) {
    const file = path + '.count';
    for (let i = 0; i < Number(n); i++) {
      const lock = new FileLock(path);
      lock.acquire(30000);
      const v = Number(fs.readFileSync(file, 'utf8'));
      sleepSync(1);
      fs.writeFileSync(file, String(v + 1));
      lock.release();
    }
    say({ counted: Number(n) });
  },
  exit() { process.exit(0); },
};
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  for (let i; (i = buf.indexOf('\n')) >= 0; ) {
    const [cmd, arg] = buf.slice(0, i).split(' ');
    buf = buf.slice(i + 1);
    commands[cmd](arg);
  }
});
say({ ready: true });
`;

export type Reply = Record<string, unknown>;

export interface Holder {
  /** the PID the test started (nsenter-free: node itself, or `unshare`) */
  pid: number;
  /** sends one command and resolves with its answer */
  ask(command: string, timeoutMs?: number): Promise<Reply>;
  /** SIGKILL to `pid` (for `unshare`, to the namespace's init: everything in it dies) */
  kill(): Promise<void>;
  exited: Promise<void>;
}

export class Holders {
  private readonly started: { child: ChildProcess; kill: () => Promise<void> }[] = [];

  private constructor(
    readonly dir: string,
    private readonly lockCjs: string,
    private readonly script: string,
  ) {}

  static async create(): Promise<Holders> {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-lock-holders-'));
    const lockCjs = join(dir, 'lock.cjs');
    writeFileSync(lockCjs, await bundleEntry(fileURLToPath(new URL('../lib/proc/lock.ts', import.meta.url))));
    const script = join(dir, 'holder.cjs');
    writeFileSync(script, HOLDER);
    return new Holders(dir, lockCjs, script);
  }

  /** A holder process for the lock at `path`. With `pidns`, it runs as PID 2 of a new PID
   *  namespace (its own /proc) whose init is a `sleep`, so the namespace outlives it. */
  async start(path: string, opts: { pidns?: boolean } = {}): Promise<Holder> {
    const node = [process.execPath, this.script, this.lockCjs, path];
    const argv = opts.pidns
      ? [
          'unshare',
          '--pid',
          '--fork',
          '--mount-proc',
          'sh',
          '-c',
          'exec 3<&0; "$@" <&3 & exec sleep 600',
          'sh',
          ...node,
        ]
      : node;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const replies: Reply[] = [];
    const waiters: (() => void)[] = [];
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      for (let i; (i = out.indexOf('\n')) >= 0;) {
        replies.push(JSON.parse(out.slice(0, i)) as Reply);
        out = out.slice(i + 1);
        waiters.splice(0).forEach((w) => w());
      }
    });
    const next = (timeoutMs: number) =>
      new Promise<Reply>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`lock holder ${child.pid} did not answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const r = replies.shift();
          if (r) return (clearTimeout(t), resolve(r));
          waiters.push(check);
        };
        check();
      });
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // unshare waits for its child, the namespace's init: SIGKILL to it ends the namespace.
        const target = opts.pidns ? (initOf(child.pid!) ?? child.pid!) : child.pid!;
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          /* gone already */
        }
        if (target !== child.pid) setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 2_000).unref();
      }
      await exited;
    };
    this.started.push({ child, kill });
    await next(10_000); // ready
    return {
      pid: child.pid!,
      ask: (command, timeoutMs = 30_000) => {
        child.stdin!.write(`${command}\n`);
        return next(timeoutMs);
      },
      kill,
      exited,
    };
  }

  /** The host PID of the node process inside a pidns holder (the init's child). */
  holderPid(h: Holder): number {
    const init = initOf(h.pid);
    const inner = init === null ? null : childrenOf(init)[0];
    if (inner === undefined || inner === null) throw new Error(`no holder process under ${h.pid}`);
    return inner;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((s) => s.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const initOf = (unsharePid: number): number | null => childrenOf(unsharePid)[0] ?? null;
