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
//   shim → agent   {"v":1,"netns":"net:[4026532301]","env":{"CNI_COMMAND":"ADD",…},"stdin":"<config>"}
//                  v      the protocol version the shim speaks
//                  netns  readlink(/proc/self/ns/net) of the shim: the agent serves a verb only
//                         in its own network namespace, where it does the verb's kernel work
//                  env    the shim's CNI_* variables (the agent keeps those the plugin reads,
//                         cni/env.ts CNI_VARS, and adds the plugin's fixed PATH, as the launcher does)
//                  stdin  the network config, exactly as the runtime gave it
//
//   agent → shim   {"v":1,"ack":true}                          at once, before any work; or
//                  {"v":1,"ack":false,"error":"<why>"}         and the connection closes: the
//                         shim runs the plugin itself. Reasons: "version mismatch: …" (a request
//                         with "v" other than 1), "netns mismatch: …", "busy: …", "closing: …",
//                         "malformed request: …".
//   then, when the verb is done:
//                  {"v":1,"status":S,"stdoutBytes":N,"stderrBytes":M}
//                  followed by N bytes the plugin would have printed on stdout and M bytes
//                  it would have printed on stderr (raw UTF-8, no escaping), then the
//                  connection closes. S is the plugin's exit status. The header is written
//                  in exactly this form and key order, so the shim matches it literally.
//
// The shim keeps its end open until it has the answer: an EOF from it before then means it
// gave up, and a verb of its still waiting in the queue is skipped (one already running is
// finished: a verb is never cut short half-way).
//
// Threads. The verbs are synchronous (spawnSync of ip/nsenter/nft, sync file I/O), written
// for a plugin process. Run on the agent's main thread, each one would block its event
// loop for the whole verb (30–40 ms for an ADD here, seconds under load): no other request
// could even be acknowledged meanwhile (so shims would time out and fall back to the slow
// path) and the rest of the agent (HTTP, collectors) would stall. So the verbs run in a
// small pool of worker threads (agent/cni-worker.ts, bundled with esbuild at start), one
// verb per thread at a time; the main thread only reads requests, acknowledges them and
// writes answers. `workers: 0` runs them on the main thread instead (for measurement).
// The lease store is shared with plugin processes through its lock file (lib/ipam/lock.ts),
// whose holder identity includes a per-lock nonce, so threads of one process exclude each
// other as separate processes do.
import { lstatSync, mkdirSync, readlinkSync, renameSync, statSync, unlinkSync, chmodSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bundleEntry, repoRoot } from '../cni/install.js';
import type { ServedVerb } from './cni-verb.js';

export const CNI_PROTOCOL_VERSION = 1;
export const ACK_LINE = `{"v":${CNI_PROTOCOL_VERSION},"ack":true}\n`;
export const DEFAULT_WORKERS = 2;
const MAX_SOCKET_PATH = 107; // sun_path is 108 bytes with its NUL

export interface CniSocketOptions {
  /** verb threads (default 2); 0 runs verbs on the main thread, blocking its event loop */
  workers?: number;
  /** acknowledged verbs waiting for a thread before new requests are refused (default 256) */
  maxQueue?: number;
  /** how long a caller may take to send its request line (default 10 s) */
  requestTimeoutMs?: number;
  /** largest request accepted (default 16 MiB) */
  maxRequestBytes?: number;
  /** the agent's own log: refusals, thread failures */
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface CniSocketStats {
  path: string;
  workers: number;
  connections: number;
  /** verbs answered, by CNI_COMMAND */
  served: Record<string, number>;
  /** verbs answered with a non-zero status (the spec's error JSON) */
  failed: number;
  refused: { version: number; netns: number; busy: number; closing: number; malformed: number };
  /** callers gone before their verb started (skipped) or before its answer was written */
  abandoned: number;
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
  done: (r: ServedVerb) => void;
}

// ---------------------------------------------------------------------------------------
// The verb threads

let workerCode: Promise<string> | null = null;
/** The worker's code, bundled once per process (no TypeScript loader needed in the thread). */
function bundledWorker(): Promise<string> {
  workerCode ??= bundleEntry(join(repoRoot, 'agent', 'cni-worker.ts'));
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

interface Slot {
  worker: Worker;
  job: Job | null;
}

class VerbPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopping = false;
  restarts = 0;
  skipped = 0;

  constructor(
    private readonly size: number,
    private readonly code: string | null,
    private readonly log: NonNullable<CniSocketOptions['log']>,
  ) {}

  get queued(): number {
    return this.queue.length;
  }
  get busy(): number {
    return this.running;
  }

  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.code!, { eval: true });
      const slot: Slot = { worker, job: null };
      let ready = false;
      worker.on('message', (m: { ready?: boolean } & Partial<ServedVerb>) => {
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
        if (job) job.done({ status: m.status === 0 ? 0 : 1, stdout: m.stdout ?? '', stderr: m.stderr ?? '' });
        this.pump();
      });
      let gone = false;
      const lost = (why: string) => {
        if (gone) return; // 'error' is followed by 'exit'
        gone = true;
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

  run(job: Job): void {
    this.queue.push(job);
    this.pump();
  }

  private next(): Job | null {
    for (;;) {
      const job = this.queue.shift();
      if (!job) return null;
      if (!job.socket.destroyed) return job;
      this.skipped++; // its caller gave up: it has already run the plugin itself, or failed
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
      this.running++;
      slot.worker.postMessage({ env: job.env, stdin: job.stdin });
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
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}

// ---------------------------------------------------------------------------------------
// The socket file

/** Is someone accepting connections on this unix socket? */
function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const t = setTimeout(() => (s.destroy(), resolve(true)), 1000); // accepting but slow: alive
    s.on('connect', () => (clearTimeout(t), s.destroy(), resolve(true)));
    s.on('error', () => (clearTimeout(t), resolve(false)));
  });
}

async function prepareSocketPath(path: string): Promise<void> {
  if (!isAbsolute(path)) throw new Error(`CNI socket path "${path}" must be absolute`);
  if (Buffer.byteLength(path) + 1 > MAX_SOCKET_PATH) throw new Error(`CNI socket path "${path}" is too long for a unix socket (at most ${MAX_SOCKET_PATH - 1} bytes)`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
  if (await listening(path)) throw new Error(`${path}: another process is serving this CNI socket`);
  // A stale socket (its agent died): the rename in listenAt replaces it.
}

/** Listens on `path` with mode 0600 from the first moment: bind a temporary name, chmod, rename over. */
function listenAt(server: Server, path: string): Promise<number> {
  const tmp = `${path}~`;
  try {
    unlinkSync(tmp);
  } catch {
    /* none left over */
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, () => {
      server.off('error', reject);
      try {
        chmodSync(tmp, 0o600);
        renameSync(tmp, path);
        resolve(statSync(path).ino);
      } catch (e) {
        server.close();
        reject(e);
      }
    });
  });
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
  const pool = new VerbPool(workers, workers > 0 ? await bundledWorker() : null, log);
  await pool.start();

  const counters = {
    connections: 0,
    served: {} as Record<string, number>,
    failed: 0,
    refused: { version: 0, netns: 0, busy: 0, closing: 0, malformed: 0 },
    abandonedLate: 0,
  };
  let closing = false;
  const waitingForRequest = new Set<Socket>();

  const refuse = (socket: Socket, kind: RefusalKind, error: string) => {
    counters.refused[kind]++;
    log('warn', `CNI socket refused a request: ${error}`);
    socket.end(JSON.stringify({ v: CNI_PROTOCOL_VERSION, ack: false, error }) + '\n');
  };

  const accept = (socket: Socket, line: string) => {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return refuse(socket, 'malformed', 'malformed request: not a JSON line');
    }
    if (!isObject(req)) return refuse(socket, 'malformed', 'malformed request: not a JSON object');
    if (req.v !== CNI_PROTOCOL_VERSION) {
      return refuse(socket, 'version', `version mismatch: this agent speaks CNI socket protocol ${CNI_PROTOCOL_VERSION}, the request says ${JSON.stringify(req.v) ?? 'nothing'}`);
    }
    if (req.netns !== ownNetns) {
      return refuse(socket, 'netns', `netns mismatch: the agent does kernel work in ${ownNetns}, the plugin runs in ${String(req.netns)}`);
    }
    if (!isObject(req.env) || typeof req.stdin !== 'string') return refuse(socket, 'malformed', 'malformed request: needs "env" (an object) and "stdin" (a string)');
    if (closing) return refuse(socket, 'closing', 'closing: the agent is shutting down');
    if (pool.queued >= maxQueue) return refuse(socket, 'busy', `busy: ${pool.queued} verbs are waiting already`);
    const verb = typeof req.env.CNI_COMMAND === 'string' ? req.env.CNI_COMMAND : '';
    socket.write(ACK_LINE);
    pool.run({
      env: req.env,
      stdin: req.stdin,
      verb,
      socket,
      done(r) {
        counters.served[verb] = (counters.served[verb] ?? 0) + 1;
        if (r.status !== 0) counters.failed++;
        if (socket.destroyed) return void counters.abandonedLate++;
        const stdout = Buffer.from(r.stdout, 'utf8');
        const stderr = Buffer.from(r.stderr, 'utf8');
        const header = `{"v":${CNI_PROTOCOL_VERSION},"status":${r.status},"stdoutBytes":${stdout.length},"stderrBytes":${stderr.length}}\n`;
        socket.end(Buffer.concat([Buffer.from(header), stdout, stderr]));
      },
    });
  };

  const server = createServer({ allowHalfOpen: true }, (socket) => {
    counters.connections++;
    waitingForRequest.add(socket);
    const chunks: Buffer[] = [];
    let size = 0;
    let got = false;
    const timer = setTimeout(() => socket.destroy(), requestTimeoutMs);
    const stopWaiting = () => {
      clearTimeout(timer);
      waitingForRequest.delete(socket);
    };
    socket.on('data', (d: Buffer) => {
      if (got) return;
      const nl = d.indexOf(10);
      if (nl < 0) {
        chunks.push(d);
        size += d.length;
        if (size > maxRequestBytes) {
          got = true;
          stopWaiting();
          refuse(socket, 'malformed', `malformed request: larger than ${maxRequestBytes} bytes`);
        }
        return;
      }
      chunks.push(d.subarray(0, nl));
      got = true;
      stopWaiting();
      accept(socket, Buffer.concat(chunks).toString('utf8'));
    });
    // The caller closed its end: before its request, or giving up on the answer.
    socket.on('end', () => {
      stopWaiting();
      socket.destroy();
    });
    socket.on('error', () => stopWaiting());
    socket.on('close', () => stopWaiting());
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
        connections: counters.connections,
        served: { ...counters.served },
        failed: counters.failed,
        refused: { ...counters.refused },
        abandoned: pool.skipped + counters.abandonedLate,
        queued: pool.queued,
        running: pool.busy,
        workerRestarts: pool.restarts,
      };
    },
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((r) => server.close(() => r()));
        for (const s of waitingForRequest) s.destroy();
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
