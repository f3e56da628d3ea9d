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
}

export class VerbPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  /** recent verbs' duration, a moving average (the newest counts for a fifth) */
  private verbMs = NOMINAL_VERB_MS;
  restarts = 0;
  skipped = 0;

  /**
   * @param size verb threads; 0 runs the verbs on the main thread (measurement only)
   * @param code the worker's bundled code (bundledWorker); null with size 0
   * @param helperFile the spawn helper each thread starts, or null for none
   */
  constructor(
    private readonly size: number,
    private readonly code: string | null,
    private readonly helperFile: string | null,
    private readonly log: CniSocketLog,
  ) {}

  /** how many verb threads start their processes through a spawn helper */
  get helpers(): number {
    return this.slots.filter((s) => s.helper).length;
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
    const helper = this.helperFile ? await startHelper(this.helperFile, this.log) : null;
    return new Promise((resolve, reject) => {
      // The thread's process.env is the plugin's (the launcher's PATH, nothing of the
      // agent's environment): what the verb's ip/nsenter/nft children inherit.
      const worker = new Worker(this.code!, {
        eval: true,
        env: { PATH: PATH_FOR_PLUGINS },
        workerData: { spawnHelper: helper ? { req: helper.req, resp: helper.resp } : null },
      });
      const slot: Slot = { worker, job: null, startedAt: 0, helper };
      let ready = false;
      worker.on('message', (m: { ready?: boolean; closed?: boolean } & Partial<ServedVerb>) => {
        if (m.closed) return;
        if (m.ready) {
          ready = true;
          this.slots.push(slot);
          resolve();
          this.pump();
          return;
        }
        const job = slot.job;
        slot.job = null;
        this.running--;
        this.verbMs += (performance.now() - slot.startedAt - this.verbMs) / 5;
        if (job) job.done({ status: m.status === 0 ? 0 : 1, stdout: m.stdout ?? '', stderr: m.stderr ?? '' });
        this.pump();
      });
      let gone = false;
      const lost = (why: string) => {
        if (gone) return; // 'error' is followed by 'exit'
        gone = true;
        slot.helper?.stop();
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
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
        this.spawn().catch((e) =>
          this.log('error', 'could not restart a CNI verb thread', { why: (e as Error).message }),
        );
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
    let soonest = this.slots.length ? Infinity : this.verbMs; // none: one is restarting
    for (const slot of this.slots) {
      const ran = now - slot.startedAt;
      soonest = Math.min(soonest, !slot.job ? 0 : ran < this.verbMs ? this.verbMs - ran : ran);
    }
    return soonest + ((this.queue.length + more) * this.verbMs) / Math.max(1, this.slots.length);
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
      if (slot.job) continue;
      const job = this.next();
      if (!job) break;
      slot.job = job;
      slot.startedAt = performance.now();
      this.running++;
      slot.worker.postMessage({ type: 'verb', env: job.env, stdin: job.stdin } satisfies WorkerMessage);
    }
    if (this.running === 0 && this.queue.length === 0) this.notifyIdle();
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
    await this.drain();
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        // The thread closes its ends of the helper's FIFOs (fds outlive a terminated thread).
        const closed = new Promise<void>((r) => {
          const t = setTimeout(r, 2_000);
          s.worker.on('message', (m: { closed?: boolean }) => m.closed && (clearTimeout(t), r()));
        });
        s.worker.postMessage({ type: 'close' } satisfies WorkerMessage);
        await closed;
        await s.worker.terminate();
        s.helper?.stop();
      }),
    );
  }
}
