// The verb threads of the agent's CNI socket, and the queue of committed verbs waiting for one.
//
// The verbs are synchronous (spawnSync of ip/nsenter/nft, sync file I/O), written for a
// plugin process. On the agent's main thread each would block its event loop for the whole
// verb (tens of ms for an ADD, seconds in a burst; figures in bench/README.md): no other request
// could even be acknowledged meanwhile (shims would time out and fall back to the slow path)
// and the rest of the agent (HTTP, collectors) would stall. So the verbs run in a pool of
// worker threads (agent/cni-worker.ts, its bundle read from .build/bundles/ when the agent
// runs built, else bundled from the sources at start: cni/bundles.ts; one per core, 2 to 8:
// more threads than cores gained nothing in a burst of concurrent ADDs, fewer lost — see
// bench/README.md, "Figures behind choices in the code"), one verb per thread at a time,
// each starting its processes through a spawn helper (spawn-helper.ts); the main thread only
// reads requests, acknowledges them and writes answers. A pool of size 0 (`workers: 0`) runs
// the verbs on the main thread instead, one at a time: for measurement only.
//
// Every thread is started with the pool, but a thread above `minThreads` (VERB_MIN_THREADS)
// that has had no verb for `idleMs` (VERB_IDLE_MS) is ended: an idle isolate is ~10 MB of the
// agent's RSS, 80 MB on an 8-core node (bench/README.md, the agent's memory). When verbs
// queue with every live thread busy, threads are started again, up to the pool's size; a
// verb waits meanwhile for the first thread to be free or started (~100 ms), which the
// busy refusal's predicted wait counts (predictedWaitMs). A thread that dies is restarted,
// whatever the count.
//
// The lease store is shared with plugin processes through its lock file (lib/proc/lock.ts),
// whose holder identity includes a per-lock nonce, so threads of one process exclude each
// other as separate processes do. (A thread that died holding it would leave it held until
// the agent exits: the verb code catches every error, so only a crash of V8 itself could.)
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { PATH_FOR_PLUGINS } from '../../cni/env.js';
import { ErrorCode } from '../../cni/errors.js';
import { bundleCode, stopBundler } from '../../cni/bundles.js';
import { sniffVersion } from '../../cni/netconf.js';
import { LATEST_CNI_VERSION } from '../../lib/model/cni.js';
import type { ServedVerb } from '../cni-verb.js';
import type { WorkerMessage } from '../cni-worker.js';
import type { CniSocketLog } from './server.js';
import { startHelper, type Helper } from './spawn-helper.js';

/** One verb thread per core (a verb mostly waits on its processes), at least 2, at most 8. */
export const DEFAULT_WORKERS = Math.max(2, Math.min(8, availableParallelism()));
/**
 * Refuse ("busy") a request whose verb would wait longer than this for a thread, on a
 * machine where a verb takes its usual NOMINAL_VERB_MS: the shim then runs the plugin at
 * once rather than queue behind stuck or slow verbs, a queue it cannot leave once committed.
 * The shim already spends up to 1 s on an acknowledgement before it gives up on the agent,
 * and the plugin alone takes several times a verb's time. When every verb takes longer (a loaded machine, a
 * burst), the limit grows in proportion: the plugin, starting Node on the same CPUs, is
 * slowed as much, and sending it work then only made a 20-pod burst slower (measured: half
 * of bench/cni.ts's concurrent ops fell back, at twice the reference's time, with a fixed 1 s).
 */
export const BUSY_AFTER_MS = 1_000;
/** About an ADD's or DEL's time in a verb thread on an idle node (bench/cni.ts's
 *  "in-process" column; bench/README.md). */
const NOMINAL_VERB_MS = 30;

/**
 * A verb thread's V8 heap: its young generation held at two 1 MB semi-spaces (V8's default
 * lets each grow to 16 MB, and a burst of verbs grew every thread's to that: 30+ MB of the
 * agent's RSS per thread, bench/README.md). A verb's garbage is small (its ip/nsenter
 * output, the lease files) and what survives a scavenge is promoted to the old generation,
 * which keeps V8's default limit.
 */
export const VERB_THREAD_LIMITS = { maxYoungGenerationSizeMb: 3 };

/** Verb threads kept when idle: one, so a lone verb never waits for a thread to start. */
export const VERB_MIN_THREADS = 1;
/** How long a thread above VERB_MIN_THREADS may go without a verb before it is ended. */
export const VERB_IDLE_MS = 60_000;
/** A thread's start (its spawn helper, the isolate, the bundle) before one has been timed:
 *  75–110 ms on bench/README.md's 2 loaded cores. */
const NOMINAL_START_MS = 100;

export interface VerbPoolOptions {
  /** threads kept when idle (default VERB_MIN_THREADS; at most the pool's size) */
  minThreads?: number;
  /** how long a thread above minThreads may go without a verb (default VERB_IDLE_MS) */
  idleMs?: number;
}

/** A committed verb: queued, then run, then answered through `done`. */
export interface Job {
  env: Record<string, unknown>;
  stdin: string;
  verb: string;
  /** its caller's connection: a job whose caller is gone is skipped */
  socket: Socket;
  /** the caller asked for "working" lines while it waits */
  heartbeat: boolean;
  done: (r: ServedVerb) => void;
}

let workerCode: Promise<string> | null = null;
/** The worker's code, read or bundled once per process (no TypeScript loader needed in the thread). */
export function bundledWorker(): Promise<string> {
  workerCode ??= bundleCode('cni-worker').then(async (code) => {
    await stopBundler();
    return code;
  });
  return workerCode;
}

/** Internal error in the spec's form, in the config's cniVersion as the plugin answers,
 *  for a verb whose thread died under it. */
function threadDied(stdin: string, why: string): ServedVerb {
  const cniVersion = sniffVersion(stdin) ?? LATEST_CNI_VERSION;
  return {
    status: 1,
    stdout: JSON.stringify({
      cniVersion,
      code: ErrorCode.Internal,
      msg: `internal error: the agent's verb thread died: ${why}`,
    }),
    stderr: '',
  };
}

interface Slot {
  worker: Worker;
  job: Job | null;
  /** performance.now() when its job was handed to the thread */
  startedAt: number;
  helper: Helper | null;
  /** performance.now() when it last finished a verb (or became ready) */
  freeSince: number;
  /** being ended for idleness: no verb is handed to it, and its exit is no death */
  retiring: boolean;
}

export class VerbPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  /** recent verbs' duration, a moving average (the newest counts for a fifth) */
  private verbMs = NOMINAL_VERB_MS;
  /** recent threads' start, likewise */
  private startMs = NOMINAL_START_MS;
  /** threads being started (their helper, then the isolate) */
  private starting = 0;
  /** threads being ended for idleness, until they have exited */
  private readonly retiring = new Set<Promise<void>>();
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly minThreads: number;
  private readonly idleMs: number;
  restarts = 0;
  skipped = 0;
  /** threads started because verbs were waiting (not at start, not after a death) */
  grown = 0;
  /** threads ended for idleness */
  retired = 0;

  /**
   * @param size verb threads at most; 0 runs the verbs on the main thread (measurement only)
   * @param code the worker's bundled code (bundledWorker); null with size 0
   * @param helperFile the spawn helper each thread starts, or null for none
   */
  constructor(
    private readonly size: number,
    private readonly code: string | null,
    private readonly helperFile: string | null,
    private readonly log: CniSocketLog,
    opts: VerbPoolOptions = {},
  ) {
    this.minThreads = Math.min(size, Math.max(0, opts.minThreads ?? VERB_MIN_THREADS));
    this.idleMs = opts.idleMs ?? VERB_IDLE_MS;
  }

  /** how many verb threads start their processes through a spawn helper */
  get helpers(): number {
    return this.slots.filter((s) => s.helper && !s.retiring).length;
  }

  /** verb threads running now (ready, not being ended) */
  get threads(): number {
    return this.live().length;
  }

  private live(): Slot[] {
    return this.slots.filter((s) => !s.retiring);
  }

  get queued(): number {
    return this.queue.length;
  }
  get busy(): number {
    return this.running;
  }

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
  }

  private async spawn(): Promise<void> {
    const t0 = performance.now();
    this.starting++;
    let counted = true;
    const started = () => {
      if (!counted) return;
      counted = false;
      this.starting--;
    };
    let helper: Helper | null;
    try {
      helper = this.helperFile ? await startHelper(this.helperFile, this.log) : null;
    } catch (e) {
      started();
      throw e;
    }
    return new Promise<void>((resolve, reject) => {
      // The thread's process.env is the plugin's (the launcher's PATH, nothing of the
      // agent's environment): what the verb's ip/nsenter/nft children inherit.
      const worker = new Worker(this.code!, {
        eval: true,
        env: { PATH: PATH_FOR_PLUGINS },
        workerData: { spawnHelper: helper ? { req: helper.req, resp: helper.resp } : null },
        resourceLimits: VERB_THREAD_LIMITS,
      });
      const slot: Slot = { worker, job: null, startedAt: 0, helper, freeSince: 0, retiring: false };
      let ready = false;
      worker.on('message', (m: { ready?: boolean; closed?: boolean } & Partial<ServedVerb>) => {
        if (m.closed) return;
        if (m.ready) {
          ready = true;
          started();
          this.startMs += (performance.now() - t0 - this.startMs) / 5;
          slot.freeSince = performance.now();
          resolve();
          if (this.stopping) {
            // started for verbs another thread took meanwhile, and the pool is closing
            slot.retiring = true;
            void this.end(slot);
            return;
          }
          this.slots.push(slot);
          this.pump();
          return;
        }
        const job = slot.job;
        slot.job = null;
        this.running--;
        slot.freeSince = performance.now();
        this.verbMs += (slot.freeSince - slot.startedAt - this.verbMs) / 5;
        if (job) job.done({ status: m.status === 0 ? 0 : 1, stdout: m.stdout ?? '', stderr: m.stderr ?? '' });
        this.pump();
      });
      let gone = false;
      const lost = (why: string) => {
        if (gone) return; // 'error' is followed by 'exit'
        gone = true;
        started();
        slot.helper?.stop();
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        if (slot.retiring) return this.pump(); // ended for idleness: not a death
        if (!ready) return reject(new Error(`CNI verb thread failed to start: ${why}`));
        const job = slot.job;
        slot.job = null;
        if (job) {
          this.running--;
          this.log('error', 'CNI verb thread died during a verb', { verb: job.verb, why });
          job.done(threadDied(job.stdin, why));
        }
        if (this.stopping) return this.pump();
        this.restarts++;
        this.spawn().catch((e) => this.couldNotStart('restart', e as Error));
      };
      worker.on('error', (e) => lost(e.message));
      worker.on('exit', (code) => lost(`exit ${code}`));
    });
  }

  /**
   * How long a verb asked for now would wait for a thread, given `more` verbs acknowledged
   * but not yet committed ahead of it: until the soonest thread is free, plus the queue's
   * share of every thread at the recent verb duration. A verb that has run past that
   * duration is presumed to need as long again as it has had (a hung `ip` is one that runs
   * long; its deadline ends it), so a pool of stuck threads is soon seen to be busy.
   */
  predictedWaitMs(more = 0): number {
    if (this.size === 0) return 0; // verbs on the main thread (measurement only): never refused for time
    const now = performance.now();
    const live = this.live();
    // Threads that are starting, or would be started for a verb that has to wait: ready in
    // about a start's time (one that is restarting after a death counts here too).
    const coming = this.starting + this.startable();
    let soonest = live.length || coming ? Infinity : this.verbMs;
    for (const slot of live) {
      const ran = now - slot.startedAt;
      soonest = Math.min(soonest, !slot.job ? 0 : ran < this.verbMs ? this.verbMs - ran : ran);
    }
    if (coming) soonest = Math.min(soonest, this.startMs);
    return soonest + ((this.queue.length + more) * this.verbMs) / Math.max(1, live.length + coming);
  }

  /** threads that could still be started now: up to the pool's size, counting the
   *  ones being ended, whose place is not free until they have exited */
  private startable(): number {
    return this.stopping ? 0 : Math.max(0, this.size - this.slots.length - this.starting);
  }

  /** The wait past which a request is refused: BUSY_AFTER_MS, scaled by how slow verbs are now. */
  busyAfterMs(): number {
    return BUSY_AFTER_MS * Math.max(1, this.verbMs / NOMINAL_VERB_MS);
  }

  run(job: Job): void {
    this.queue.push(job);
    this.pump();
  }

  private next(): Job | null {
    for (;;) {
      const job = this.queue.shift();
      if (!job) return null;
      if (!job.socket.destroyed) return job;
      this.skipped++; // its caller is gone (killed, or past its 120 s): nobody to answer
    }
  }

  private pump(): void {
    if (this.size === 0) return this.pumpOnMainThread();
    for (const slot of this.slots) {
      if (slot.job || slot.retiring) continue;
      const job = this.next();
      if (!job) break;
      slot.job = job;
      slot.startedAt = performance.now();
      this.running++;
      slot.worker.postMessage({ type: 'verb', env: job.env, stdin: job.stdin } satisfies WorkerMessage);
    }
    // Verbs left waiting: a thread for each, up to the pool's size (those starting count).
    const wanted = Math.min(this.queue.length - this.starting, this.startable());
    for (let i = 0; i < wanted; i++) {
      this.grown++;
      this.spawn().catch((e) => this.couldNotStart('start', e as Error));
    }
    this.armIdleTimer();
    if (this.running === 0 && this.queue.length === 0) this.notifyIdle();
  }

  /** A thread that would not start: logged; verbs that no thread will ever take are failed. */
  private couldNotStart(what: 'start' | 'restart', e: Error): void {
    this.log('error', `could not ${what} a CNI verb thread`, { why: e.message });
    if (this.live().length || this.starting) return;
    for (let job = this.next(); job; job = this.next()) job.done(threadDied(job.stdin, e.message));
    this.notifyIdle();
  }

  /** Ends the threads above minThreads that have been free for idleMs, longest idle first;
   *  re-armed for the next one that could be. */
  private armIdleTimer(): void {
    if (this.idleTimer || this.stopping) return;
    const free = this.live().filter((s) => !s.job);
    if (this.live().length <= this.minThreads || !free.length) return;
    const due = Math.min(...free.map((s) => s.freeSince)) + this.idleMs;
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = null;
        this.retireIdle();
        this.armIdleTimer();
      },
      Math.max(0, due - performance.now()),
    );
    this.idleTimer.unref();
  }

  private retireIdle(): void {
    const now = performance.now();
    const idle = this.live()
      .filter((s) => !s.job && now - s.freeSince >= this.idleMs)
      .sort((a, b) => a.freeSince - b.freeSince);
    let excess = this.live().length - this.minThreads;
    for (const slot of idle) {
      if (excess-- <= 0) break;
      slot.retiring = true;
      this.retired++;
      const done = this.end(slot).finally(() => this.retiring.delete(done));
      this.retiring.add(done);
    }
  }

  /** Ends a free thread: it closes its ends of the helper's FIFOs (fds outlive a terminated
   *  thread), then is terminated, then its helper stopped. */
  private async end(s: Slot): Promise<void> {
    const closed = new Promise<void>((r) => {
      const t = setTimeout(r, 2_000);
      s.worker.on('message', (m: { closed?: boolean }) => m.closed && (clearTimeout(t), r()));
    });
    s.worker.postMessage({ type: 'close' } satisfies WorkerMessage);
    await closed;
    await s.worker.terminate();
    s.helper?.stop();
  }

  /** The measurement-only mode: one verb at a time, blocking the event loop while it runs. */
  private pumpOnMainThread(): void {
    if (this.running > 0) return;
    const job = this.next();
    if (!job) return this.notifyIdle();
    this.running++;
    // setImmediate: the acknowledgement already written leaves before the verb blocks.
    setImmediate(() => {
      void import('../cni-verb.js').then(({ serveVerb }) => {
        const r = serveVerb(job.env, job.stdin);
        this.running--;
        job.done(r);
        this.pump();
      });
    });
  }

  private notifyIdle(): void {
    if (this.running > 0 || this.queue.length > 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once every queued and running verb has finished. */
  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    await this.drain();
    await Promise.all([
      ...this.retiring,
      ...this.slots
        .splice(0)
        .filter((s) => !s.retiring)
        .map((s) => this.end(s)),
    ]);
  }
}
