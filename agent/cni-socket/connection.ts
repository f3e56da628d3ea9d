// One connection to the agent's CNI socket, from its request line to its answer
// (protocol.ts): read the request, refuse it (busy, closing, …) or acknowledge it, wait for
// the caller's go, queue the verb, say "working" while it waits or runs, write the answer.
//
//   request ──refused──▶ refused (the connection closes; the caller runs the plugin)
//      │ acknowledged
//      ▼
//     go ──anything but the go line, EOF, or requestTimeoutMs──▶ closed (uncommitted)
//      │ go
//      ▼
//   committed: the verb is queued; "working" every HEARTBEAT_MS when asked; the answer, then close
import type { Socket } from 'node:net';
import {
  ACK_LINE,
  answer,
  GO_LINE,
  HEARTBEAT_ACK_LINE,
  isRefusal,
  parseRequest,
  refusalLine,
  WORKING_LINE,
  type RefusalKind,
} from './protocol.js';
import type { CniSocketLog } from './server.js';
import type { Job, VerbPool } from './verb-pool.js';

/** How often a committed verb's caller hears "working": the shim gives up after 5 s without. */
const HEARTBEAT_MS = 1_000;

export interface ConnectionLimits {
  /** acknowledged verbs waiting for a thread before new requests are refused */
  maxQueue: number;
  /** how long a caller may take to send its request line and its go */
  requestTimeoutMs: number;
  /** largest request accepted */
  maxRequestBytes: number;
}

/** Every connection of one socket: what they share (the pool, the counts, the closing flag). */
export class Connections {
  readonly counters = {
    connections: 0,
    served: {} as Record<string, number>,
    failed: 0,
    refused: { version: 0, netns: 0, busy: 0, closing: 0, malformed: 0 } satisfies Record<RefusalKind, number>,
    abandonedLate: 0,
    uncommitted: 0,
  };
  private closing = false;
  /** connections that have not committed a verb yet: closed at once by close() */
  private readonly uncommitted = new Set<Socket>();
  /** acknowledged, the go not read yet: ahead of a new request in the queue soon */
  private readonly awaitingGo = new Set<Socket>();
  /** committed verbs' "working" timers, by connection */
  private readonly beats = new Map<Socket, NodeJS.Timeout>();

  constructor(
    /** the namespace the agent does its kernel work in: requests from another are refused */
    private readonly ownNetns: string,
    private readonly pool: VerbPool,
    private readonly limits: ConnectionLimits,
    private readonly log: CniSocketLog,
  ) {}

  /** Refuses new requests ("closing") and closes every connection that has not committed a verb. */
  close(): void {
    this.closing = true;
    for (const s of this.uncommitted) s.destroy();
  }

  private refuse(socket: Socket, kind: RefusalKind, error: string): void {
    this.counters.refused[kind]++;
    this.log('warn', `CNI socket refused a request: ${error}`);
    socket.end(refusalLine(error));
  }

  /** The request line: refused, or acknowledged (and then the verb waits for the caller's go). */
  private acknowledge(socket: Socket, line: string): Job | null {
    const req = parseRequest(line, this.ownNetns);
    if (isRefusal(req)) return (this.refuse(socket, req.kind, req.error), null);
    const { pool } = this;
    if (this.closing) return (this.refuse(socket, 'closing', 'closing: the agent is shutting down'), null);
    if (pool.queued >= this.limits.maxQueue)
      return (this.refuse(socket, 'busy', `busy: ${pool.queued} verbs are waiting already`), null);
    const wait = pool.predictedWaitMs(this.awaitingGo.size);
    if (wait > pool.busyAfterMs()) {
      const why = `a verb would wait ~${Math.round(wait)} ms for a thread, past ${Math.round(pool.busyAfterMs())} ms (${pool.busy} running, ${pool.queued + this.awaitingGo.size} waiting)`;
      return (this.refuse(socket, 'busy', `busy: ${why}`), null);
    }
    const verb = typeof req.env.CNI_COMMAND === 'string' ? req.env.CNI_COMMAND : '';
    socket.write(req.heartbeat ? HEARTBEAT_ACK_LINE : ACK_LINE);
    this.awaitingGo.add(socket);
    const { counters, beats } = this;
    return {
      env: req.env,
      stdin: req.stdin,
      verb,
      socket,
      heartbeat: req.heartbeat,
      done(r) {
        beats.get(socket)?.close();
        counters.served[verb] = (counters.served[verb] ?? 0) + 1;
        if (r.status !== 0) counters.failed++;
        if (socket.destroyed) return void counters.abandonedLate++;
        socket.end(answer(r.status, r.stdout, r.stderr));
      },
    };
  }

  /** Serves one new connection (the server's connection listener). */
  accept(socket: Socket): void {
    this.counters.connections++;
    this.uncommitted.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    let job: Job | null = null;
    let state = 'request' as 'request' | 'go' | 'committed' | 'refused';
    const reading = () => (state === 'request' || state === 'go') && !socket.destroyed;
    // The request and the go must come within requestTimeoutMs; the verb may take as long as it takes.
    const timer = setTimeout(() => socket.destroy(), this.limits.requestTimeoutMs);
    const settle = () => {
      clearTimeout(timer);
      this.uncommitted.delete(socket);
      this.awaitingGo.delete(socket);
    };
    const onLine = (line: string) => {
      if (state === 'request') {
        job = this.acknowledge(socket, line);
        if (!job) {
          state = 'refused';
          return void settle();
        }
        state = 'go';
      } else if (state === 'go') {
        settle();
        if (line !== GO_LINE.trimEnd()) return void socket.destroy(); // the caller runs the plugin itself
        state = 'committed';
        if (job!.heartbeat)
          this.beats.set(
            socket,
            setInterval(() => socket.write(WORKING_LINE), HEARTBEAT_MS),
          );
        this.pool.run(job!);
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
      if (pending.length > this.limits.maxRequestBytes && state === 'request') {
        state = 'refused';
        settle();
        this.refuse(socket, 'malformed', `malformed request: larger than ${this.limits.maxRequestBytes} bytes`);
      }
    });
    // The caller closed its end: before committing (it runs the plugin itself), or giving up on the answer.
    socket.on('end', () => {
      if (state === 'go') this.counters.uncommitted++;
      settle();
      socket.destroy();
    });
    socket.on('error', settle);
    socket.on('close', () => {
      settle();
      this.beats.get(socket)?.close();
      this.beats.delete(socket);
    });
  }
}
