// The CNI fast path, agent side: a unix socket on which the resident node agent serves the
// podnet plugin's verbs in-process, so a pod's ADD or DEL does not pay for starting Node.
//
// The runtime still executes `podnet`, which is a small C program (cni/shim/podnet-shim.c).
// When the network config names `agentSocket`, the shim sends the verb here; when anything
// goes wrong before this side has acknowledged the request, the shim executes the Node
// plugin (`podnet-node`) itself, so the agent is an accelerator, never a dependency.
//
// Protocol, version 1. One request per connection; every line ends with "\n" and holds no
// other newline (JSON escapes them in strings).
//
//   shim → agent   {"v":1,"netns":"net:[4026532301]","heartbeat":true,"env":{"CNI_COMMAND":"ADD",…},"stdin":"<config>"}
//                  v      the protocol version the shim speaks
//                  netns  readlink(/proc/self/ns/net) of the shim: the agent serves a verb only
//                         in its own network namespace, where it does the verb's kernel work
//                  env    the shim's CNI_* variables (the agent keeps those the plugin reads,
//                         cni/env.ts CNI_VARS, and adds the plugin's fixed PATH, as the launcher does)
//                  stdin  the network config, exactly as the runtime gave it
//                  heartbeat  (optional) the shim wants "working" lines while it waits
//
//   agent → shim   {"v":1,"ack":true}                          at once, before any work
//                  ({"v":1,"ack":true,"heartbeat":true} when the request asked for them); or
//                  {"v":1,"ack":false,"error":"<why>"}         and the connection closes: the
//                         shim runs the plugin itself. Reasons: "version mismatch: …" (a request
//                         with "v" other than 1), "netns mismatch: …", "busy: …", "closing: …",
//                         "malformed request: …". "busy" when the verb would wait for a thread
//                         longer than BUSY_AFTER_MS (1 s; more when every verb is slow): the
//                         shim runs the plugin at once.
//   shim → agent   {"v":1,"go":true}                           the shim commits: from here on the
//                         verb is the agent's, and the shim waits for its answer. A shim that had
//                         no acknowledgement in time (1 s) closes the connection instead and
//                         runs the plugin itself; so the agent runs a verb only after a go, and a
//                         verb never runs twice (once late in the agent, once in the plugin).
//   while the verb waits or runs, when the acknowledgement said "heartbeat", every second:
//                  {"v":1,"working":true}
//                         so the shim can tell a slow verb from an agent that is stopped or
//                         wedged (it gives up after 5 s without a line); then, when the verb is done:
//                  {"v":1,"status":S,"stdoutBytes":N,"stderrBytes":M}
//                  followed by N bytes the plugin would have printed on stdout and M bytes
//                  it would have printed on stderr (raw UTF-8, no escaping), then the
//                  connection closes. S is the plugin's exit status. The header is written
//                  in exactly this form and key order, so the shim matches it literally.
//
// The shim keeps its end open until it has the answer: an EOF from it before then means it
// gave up, and a verb of its still waiting in the queue is skipped (one already running is
// finished: a verb is never cut short half-way). Every process a verb starts has a deadline
// (agent/spawn-client.ts CHILD_DEADLINE_MS): a hung `ip` or `nft` fails its verb instead of
// holding a thread for ever.
//
// An old shim (no "heartbeat" in its request) gets the plain acknowledgement and no working
// lines; a new shim with an old agent gets the plain one too, and waits as before.
//
// Threads, and processes. The verbs are synchronous (spawnSync of ip/nsenter/nft, sync file
// I/O), written for a plugin process. On the agent's main thread each would block its event
// loop for the whole verb (~30 ms for an ADD on an idle 2-core machine, seconds in a burst):
// no other request could even be acknowledged meanwhile (shims would time out and fall back
// to the slow path) and the rest of the agent (HTTP, collectors) would stall. So the verbs
// run in a pool of worker threads (agent/cni-worker.ts, bundled with esbuild at start; one per
// core, 2 to 8: for 20 concurrent ADDs on 2 cores, 1 thread gave per-op p50/p95 469/866 ms,
// 2 gave 445/690, 4 gave 439/673, the reference plugins 676/1331), one verb per
// thread at a time; the main thread only reads requests, acknowledges them and writes
// answers. `workers: 0` runs them on the main thread instead (for measurement only).
//
// Threads alone were not enough, measured: spawnSync in a thread still fork()s the whole
// agent, which (a) costs ~4.6 ms more per process than posix_spawn from a small process
// (9.6 vs 5.0 ms for `ip -V`; two per ADD), and (b) copies the agent's page tables with its
// memory map locked, so every other thread touching memory waits: with 20 ADDs through the
// agent and 20 Node plugins starting at once on 2 cores, the main thread took up to 1 s
// between reading a request and writing its acknowledgement, and half the shims fell back.
// So each verb thread starts its processes through a spawn helper (cni/shim/podnet-spawn.c,
// one small C process per thread, posix_spawn; agent/spawn-client.ts): the agent never forks
// during a verb. Without the helper binary, or if one dies, its thread uses spawnSync.
//
// The lease store is shared with plugin processes through its lock file (lib/ipam/lock.ts),
// whose holder identity includes a per-lock nonce, so threads of one process exclude each
// other as separate processes do. (A thread that died holding it would leave it held until
// the agent exits: the verb code catches every error, so only a crash of V8 itself could.)
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, readlinkSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { PATH_FOR_PLUGINS } from '../cni/env.js';
import { bundleEntry, repoRoot } from '../cni/install.js';
import type { ServedVerb } from './cni-verb.js';
import { listenAt, prepareSocketPath } from './cni-socket-path.js';
import type { WorkerMessage } from './cni-worker.js';
import { HELPER_DIED_SEQ } from './spawn-client.js';

export const CNI_PROTOCOL_VERSION = 1;
export const ACK_LINE = `{"v":${CNI_PROTOCOL_VERSION},"ack":true}\n`;
export const HEARTBEAT_ACK_LINE = `{"v":${CNI_PROTOCOL_VERSION},"ack":true,"heartbeat":true}\n`;
export const WORKING_LINE = `{"v":${CNI_PROTOCOL_VERSION},"working":true}\n`;
/** How often a committed verb's caller hears "working": the shim gives up after 5 s without. */
const HEARTBEAT_MS = 1_000;
/**
 * Refuse ("busy") a request whose verb would wait longer than this for a thread, on a
 * machine where a verb takes its usual NOMINAL_VERB_MS: the shim then runs the plugin at
 * once rather than queue behind stuck or slow verbs, a queue it cannot leave once committed.
 * The shim already spends up to 1 s on an acknowledgement before it gives up on the agent,
 * and the plugin alone takes ~150 ms. When every verb takes longer (a loaded machine, a
 * burst), the limit grows in proportion: the plugin, starting Node on the same CPUs, is
 * slowed as much, and sending it work then only made a 20-pod burst slower (measured: half
 * of bench/cni.ts's concurrent ops fell back, at twice the reference's time, with a fixed 1 s).
 */
export const BUSY_AFTER_MS = 1_000;
/** An ADD's or DEL's time in a verb thread on an idle node (bench/cni.ts: ~25-30 ms). */
const NOMINAL_VERB_MS = 30;
export const GO_LINE = `{"v":${CNI_PROTOCOL_VERSION},"go":true}\n`;
/** One verb thread per core (a verb mostly waits on its processes), at least 2, at most 8. */
export const DEFAULT_WORKERS = Math.max(2, Math.min(8, availableParallelism()));

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
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
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
  refused: { version: number; netns: number; busy: number; closing: number; malformed: number };
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

type RefusalKind = keyof CniSocketStats['refused'];

interface Job {
  env: Record<string, unknown>;
  stdin: string;
  verb: string;
  socket: Socket;
  /** the caller asked for "working" lines while it waits */
  heartbeat: boolean;
  done: (r: ServedVerb) => void;
}

// ---------------------------------------------------------------------------------------
// The verb threads

let workerCode: Promise<string> | null = null;
/** The worker's code, bundled once per process (no TypeScript loader needed in the thread). */
function bundledWorker(): Promise<string> {
  workerCode ??= bundleEntry(join(repoRoot, 'agent', 'cni-worker.ts')).then(async (code) => {
    // esbuild keeps a service process alive after a build: a resident agent does not need it.
    (await import('esbuild')).stop();
    return code;
  });
  return workerCode;
}

/** Internal error in the spec's form, for a verb whose thread died under it. */
function threadDied(stdin: string, why: string): ServedVerb {
  let cniVersion = '1.1.0';
  try {
    const v = (JSON.parse(stdin) as { cniVersion?: unknown }).cniVersion;
    if (typeof v === 'string') cniVersion = v;
  } catch {
    /* keep the default */
  }
  return { status: 1, stdout: JSON.stringify({ cniVersion, code: 199, msg: `internal error: the agent's verb thread died: ${why}` }), stderr: '' };
}

// ---------------------------------------------------------------------------------------
// The spawn helpers (cni/shim/podnet-spawn.c): one per verb thread

export const DEFAULT_SPAWN_HELPER = join(repoRoot, '.build', 'podnet-spawn');

interface Helper {
  req: string;
  resp: string;
  stop(): void;
}

/** Starts a helper in a private directory and waits until its FIFOs exist; null if it cannot. */
function startHelper(file: string, log: NonNullable<CniSocketOptions['log']>): Promise<Helper | null> {
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

interface Slot {
  worker: Worker;
  job: Job | null;
  /** performance.now() when its job was handed to the thread */
  startedAt: number;
  helper: Helper | null;
}

class VerbPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  /** recent verbs' duration, a moving average (the newest counts for a fifth) */
  private verbMs = NOMINAL_VERB_MS;
  restarts = 0;
  skipped = 0;

  constructor(
    private readonly size: number,
    private readonly code: string | null,
    private readonly helperFile: string | null,
    private readonly log: NonNullable<CniSocketOptions['log']>,
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
        this.spawn().catch((e) => this.log('error', 'could not restart a CNI verb thread', { why: (e as Error).message }));
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
    if (this.size === 0) {
      if (this.running > 0) return;
      const job = this.next();
      if (!job) return this.notifyIdle();
      this.running++;
      // setImmediate: the acknowledgement already written leaves before the verb blocks.
      setImmediate(() => {
        void import('./cni-verb.js').then(({ serveVerb }) => {
          const r = serveVerb(job.env, job.stdin);
          this.running--;
          job.done(r);
          this.pump();
        });
      });
      return;
    }
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

// ---------------------------------------------------------------------------------------
// The server

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startCniSocket(path: string, opts: CniSocketOptions = {}): Promise<CniSocket> {
  const workers = opts.workers ?? DEFAULT_WORKERS;
  const maxQueue = opts.maxQueue ?? 256;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const maxRequestBytes = opts.maxRequestBytes ?? 16 << 20;
  const log = opts.log ?? (() => {});
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a whole number, got ${workers}`);

  const ownNetns = readlinkSync('/proc/self/ns/net');
  await prepareSocketPath(path);
  const helperFile = opts.spawnHelper === false ? null : (opts.spawnHelper ?? (existsSync(DEFAULT_SPAWN_HELPER) ? DEFAULT_SPAWN_HELPER : null));
  if (workers > 0 && !helperFile && opts.spawnHelper !== false) log('warn', `no ${DEFAULT_SPAWN_HELPER} (scripts/build-shim.sh): verbs start their processes with Node's spawnSync`);
  const pool = new VerbPool(workers, workers > 0 ? await bundledWorker() : null, workers > 0 ? helperFile : null, log);
  await pool.start();

  const counters = {
    connections: 0,
    served: {} as Record<string, number>,
    failed: 0,
    refused: { version: 0, netns: 0, busy: 0, closing: 0, malformed: 0 },
    abandonedLate: 0,
    uncommitted: 0,
  };
  let closing = false;
  /** connections that have not committed a verb yet: closed at once by close() */
  const uncommitted = new Set<Socket>();
  /** acknowledged, the go not read yet: ahead of a new request in the queue soon */
  const awaitingGo = new Set<Socket>();
  /** committed verbs' "working" timers, by connection */
  const beats = new Map<Socket, NodeJS.Timeout>();

  const refuse = (socket: Socket, kind: RefusalKind, error: string) => {
    counters.refused[kind]++;
    log('warn', `CNI socket refused a request: ${error}`);
    socket.end(JSON.stringify({ v: CNI_PROTOCOL_VERSION, ack: false, error }) + '\n');
  };

  /** The request line: refused, or acknowledged (and then the verb waits for the caller's go). */
  const acknowledge = (socket: Socket, line: string): Job | null => {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return refuse(socket, 'malformed', 'malformed request: not a JSON line'), null;
    }
    if (!isObject(req)) return refuse(socket, 'malformed', 'malformed request: not a JSON object'), null;
    if (req.v !== CNI_PROTOCOL_VERSION) {
      return refuse(socket, 'version', `version mismatch: this agent speaks CNI socket protocol ${CNI_PROTOCOL_VERSION}, the request says ${JSON.stringify(req.v) ?? 'nothing'}`), null;
    }
    if (req.netns !== ownNetns) {
      return refuse(socket, 'netns', `netns mismatch: the agent does kernel work in ${ownNetns}, the plugin runs in ${String(req.netns)}`), null;
    }
    if (!isObject(req.env) || typeof req.stdin !== 'string') return refuse(socket, 'malformed', 'malformed request: needs "env" (an object) and "stdin" (a string)'), null;
    if (closing) return refuse(socket, 'closing', 'closing: the agent is shutting down'), null;
    if (pool.queued >= maxQueue) return refuse(socket, 'busy', `busy: ${pool.queued} verbs are waiting already`), null;
    const wait = pool.predictedWaitMs(awaitingGo.size);
    if (wait > pool.busyAfterMs()) {
      const why = `a verb would wait ~${Math.round(wait)} ms for a thread, past ${Math.round(pool.busyAfterMs())} ms (${pool.busy} running, ${pool.queued + awaitingGo.size} waiting)`;
      return refuse(socket, 'busy', `busy: ${why}`), null;
    }
    const verb = typeof req.env.CNI_COMMAND === 'string' ? req.env.CNI_COMMAND : '';
    const heartbeat = req.heartbeat === true;
    socket.write(heartbeat ? HEARTBEAT_ACK_LINE : ACK_LINE);
    awaitingGo.add(socket);
    return {
      env: req.env,
      stdin: req.stdin,
      verb,
      socket,
      heartbeat,
      done(r) {
        beats.get(socket)?.close();
        counters.served[verb] = (counters.served[verb] ?? 0) + 1;
        if (r.status !== 0) counters.failed++;
        if (socket.destroyed) return void counters.abandonedLate++;
        const stdout = Buffer.from(r.stdout, 'utf8');
        const stderr = Buffer.from(r.stderr, 'utf8');
        const header = `{"v":${CNI_PROTOCOL_VERSION},"status":${r.status},"stdoutBytes":${stdout.length},"stderrBytes":${stderr.length}}\n`;
        socket.end(Buffer.concat([Buffer.from(header), stdout, stderr]));
      },
    };
  };

  const server = createServer({ allowHalfOpen: true }, (socket) => {
    counters.connections++;
    uncommitted.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    let job: Job | null = null;
    let state = 'request' as 'request' | 'go' | 'committed' | 'refused';
    const reading = () => (state === 'request' || state === 'go') && !socket.destroyed;
    // The request and the go must come within requestTimeoutMs; the verb may take as long as it takes.
    const timer = setTimeout(() => socket.destroy(), requestTimeoutMs);
    const settle = () => {
      clearTimeout(timer);
      uncommitted.delete(socket);
      awaitingGo.delete(socket);
    };
    const onLine = (line: string) => {
      if (state === 'request') {
        job = acknowledge(socket, line);
        if (!job) {
          state = 'refused';
          return void settle();
        }
        state = 'go';
      } else if (state === 'go') {
        settle();
        if (line !== GO_LINE.trimEnd()) return void socket.destroy(); // the caller runs the plugin itself
        state = 'committed';
        if (job!.heartbeat) beats.set(socket, setInterval(() => socket.write(WORKING_LINE), HEARTBEAT_MS));
        pool.run(job!);
      }
    };
    socket.on('data', (d: Buffer) => {
      if (!reading()) return;
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      for (let nl = pending.indexOf(10); nl >= 0 && reading(); nl = pending.indexOf(10)) {
        const line = pending.subarray(0, nl).toString('utf8');
        pending = pending.subarray(nl + 1);
        onLine(line);
      }
      if (pending.length > maxRequestBytes && state === 'request') {
        state = 'refused';
        settle();
        refuse(socket, 'malformed', `malformed request: larger than ${maxRequestBytes} bytes`);
      }
    });
    // The caller closed its end: before committing (it runs the plugin itself), or giving up on the answer.
    socket.on('end', () => {
      if (state === 'go') counters.uncommitted++;
      settle();
      socket.destroy();
    });
    socket.on('error', settle);
    socket.on('close', () => {
      settle();
      beats.get(socket)?.close();
      beats.delete(socket);
    });
  });

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
        closing = true;
        const stopped = new Promise<void>((r) => server.close(() => r()));
        for (const s of uncommitted) s.destroy();
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
