// The agent's HTTP API: GET /healthz (open), and behind the bearer token GET /v1/snapshot,
// GET /v1/events (server-sent events), POST /v1/probe, POST /v1/lookup, GET /metrics. Listens on a unix
// socket (mode 0600: root only) or HOST:PORT, there with TLS unless told --plain-http.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { tokenDigest } from './credentials.js';
import type { Change } from '../lib/model/diff.js';
import type { NodeSnapshot } from '../lib/model/snapshot.js';
import type { AgentEvent, EventLog } from './events.js';
import { log } from './log.js';
import type { Metrics } from './metrics.js';

export const MAX_BODY_BYTES = 16 * 1024;
const HEARTBEAT_MS = 15_000;
/** Event streams served at once; one more gets 503. The dashboard holds one stream per
 *  agent (per replica) and podnet's commands a few more, so 64 is that many times over,
 *  while a crowd of clients cannot make the root agent, which also serves the CNI fast
 *  path, hold a socket and a backlog for each without end. */
export const MAX_EVENT_CLIENTS = 64;
/** A client whose socket stopped taking data is not written to: its events wait in the
 *  event log's ring, which holds them anyway. Once the events it has not been handed pass
 *  this many bytes it is dropped; it reconnects with Last-Event-ID and gets what it missed
 *  from the ring (or a fresh snapshot), so a drop costs a live client little. Before any
 *  of this counts, the kernel has already taken some 200 KiB of socket buffer for the
 *  client (more on TCP): a reader this much further behind has stalled, not paused. */
export const MAX_UNSENT_BYTES = 64 * 1024;

export interface ServerDeps {
  node: string;
  /** the SHA-256 of the bearer token clients must send (agent/credentials.ts); null: none */
  verifier: Buffer | null;
  snapshot(): NodeSnapshot | null;
  events: EventLog;
  subscribe(fn: (e: AgentEvent) => void): () => void;
  metrics: Metrics;
  /** POST /v1/probe: validated and run by the prober; returns the HTTP status and body */
  probe(body: unknown): Promise<{ status: number; body: unknown }>;
  /** POST /v1/lookup: the kernel's answers at a trace's hops (agent/lookup.ts) */
  lookup(body: unknown): Promise<{ status: number; body: unknown }>;
}

/** Constant-time: the presented token is hashed and compared with the verifier, so the
 *  comparison takes as long whatever its length, and the agent never holds the token. */
export function tokenMatches(header: string | undefined, verifier: Buffer): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(tokenDigest(presented), verifier);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Too large: answer 413 at once and drain the rest (destroying the request would
      // leave the client without an answer).
      if (size > MAX_BODY_BYTES) reject(new Error('too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sse(event: string, id: string | null, data: unknown): string {
  return `event: ${event}\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** Each event is serialised once, whatever the number of clients; clients that connect
 *  at the same point share one snapshot text (a backed-up write holds a reference, not a copy). */
const frames = new WeakMap<AgentEvent, string>();
let lastSnapshotFrame: { bootId: string; seq: number; snapshot: NodeSnapshot | null; text: string } | null = null;

function diffFrame(events: EventLog, e: AgentEvent): string {
  let text = frames.get(e);
  if (text === undefined)
    frames.set(
      e,
      (text = sse('diff', events.id(e.seq), { seq: e.seq, at: e.at, changes: e.changes satisfies Change[] })),
    );
  return text;
}

function snapshotFrame(events: EventLog, snapshot: NodeSnapshot | null): string {
  const c = lastSnapshotFrame;
  if (c && c.bootId === events.bootId && c.seq === events.lastSeq && c.snapshot === snapshot) return c.text;
  const text = sse('snapshot', events.id(events.lastSeq), { seq: events.lastSeq, snapshot });
  lastSnapshotFrame = { bootId: events.bootId, seq: events.lastSeq, snapshot, text };
  return text;
}

function streamEvents(req: IncomingMessage, res: ServerResponse, deps: ServerDeps, onClose: () => void): void {
  const { events, metrics } = deps;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');
  const url = new URL(req.url ?? '/', 'http://agent');
  const last = (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
  const missed = events.since(last);
  // sentSeq: the last event handed to the socket. While `backedUp` (a write returned
  // false), events are only counted in `owed`; 'drain' sends them from the ring.
  let sentSeq = events.lastSeq - (missed?.length ?? 0);
  let backedUp = false;
  let owed = 0;
  let dropped = false;
  const write = (text: string) => {
    metrics.eventsSent++;
    if (!res.write(text)) backedUp = true;
  };
  const drop = (why: string) => {
    if (dropped) return;
    dropped = true;
    metrics.clientsDropped++;
    log('warn', `events client dropped: ${why}; it may reconnect with Last-Event-ID`, {
      sentSeq,
      lastSeq: events.lastSeq,
      owedBytes: owed,
      queuedBytes: res.writableLength,
    });
    res.destroy();
  };
  const deliver = (e: AgentEvent) => {
    if (dropped || e.seq <= sentSeq) return;
    const text = diffFrame(events, e);
    if (backedUp) {
      owed += Buffer.byteLength(text);
      if (owed > MAX_UNSENT_BYTES)
        drop(`it stopped reading, and ${owed} bytes of events (more than ${MAX_UNSENT_BYTES}) wait for it`);
      return;
    }
    write(text);
    sentSeq = e.seq;
  };
  res.on('drain', () => {
    if (dropped) return;
    backedUp = false;
    owed = 0;
    const behind = events.since(events.id(sentSeq));
    if (behind === null) return drop('the events it missed are no longer in the ring');
    for (const e of behind) deliver(e);
  });
  if (missed === null) write(snapshotFrame(events, deps.snapshot()));
  else for (const e of missed) deliver(e);
  metrics.clients++;
  const unsubscribe = deps.subscribe(deliver);
  const heartbeat = setInterval(() => {
    if (!backedUp) res.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  res.once('close', () => {
    // A client that goes away mid-stream costs nothing more.
    clearInterval(heartbeat);
    unsubscribe();
    metrics.clients--;
    onClose();
  });
}

/** A POST with a JSON body (at most MAX_BODY_BYTES) answered by `handle`. */
function postJson(
  req: IncomingMessage,
  res: ServerResponse,
  handle: (body: unknown) => Promise<{ status: number; body: unknown }>,
  example: string,
): void {
  readBody(req).then(
    async (text) => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return json(res, 400, { error: `the request body is not JSON: send ${example}` });
      }
      const r = await handle(body);
      json(res, r.status, r.body);
    },
    () => {
      if (res.headersSent) return;
      res.setHeader('connection', 'close');
      json(res, 413, { error: `the request body is larger than ${MAX_BODY_BYTES} bytes` });
    },
  );
}

/** `tls`: serve HTTPS with this certificate and key (TCP); absent: plain HTTP (the unix socket). */
export function createAgentServer(deps: ServerDeps, tls?: SecureContextOptions): Server {
  let eventClients = 0;
  const handler: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    const route = `${req.method} ${path}`;
    if (route === 'GET /healthz')
      return json(res, 200, { ok: true, node: deps.node, bootId: deps.events.bootId, ready: deps.snapshot() !== null });
    if (deps.verifier !== null && !tokenMatches(req.headers.authorization, deps.verifier)) {
      res.setHeader('www-authenticate', 'Bearer');
      return json(res, 401, {
        error:
          'missing or wrong bearer token: send "Authorization: Bearer <token>" (the lab keeps it in its tokenFile)',
      });
    }
    switch (route) {
      case 'GET /v1/snapshot': {
        const snap = deps.snapshot();
        return snap
          ? json(res, 200, { bootId: deps.events.bootId, seq: deps.events.lastSeq, snapshot: snap })
          : json(res, 503, { error: 'the first snapshot is not collected yet' });
      }
      case 'GET /v1/events':
        if (eventClients >= MAX_EVENT_CLIENTS) {
          res.setHeader('retry-after', '10');
          return json(res, 503, {
            error: `this agent already serves ${MAX_EVENT_CLIENTS} event streams, the most it serves at once: close one, or read GET /v1/snapshot instead`,
          });
        }
        eventClients++;
        return streamEvents(req, res, deps, () => eventClients--);
      case 'GET /metrics': {
        const text = deps.metrics.render(deps.node);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        return void res.end(text);
      }
      case 'POST /v1/probe':
        return postJson(req, res, deps.probe, '{"kind": "ping", "from": {"pod": "web-1"}, "to": "10.244.2.2"}');
      case 'POST /v1/lookup':
        return postJson(
          req,
          res,
          deps.lookup,
          '{"lookups": [{"kind": "route", "at": {"node": true}, "dst": "10.244.2.2"}]}',
        );
      default: {
        const known = ['/healthz', '/v1/snapshot', '/v1/events', '/v1/probe', '/v1/lookup', '/metrics'];
        return json(res, known.includes(path) ? 405 : 404, {
          error: known.includes(path)
            ? `${req.method} is not allowed on ${path}`
            : `no such endpoint ${path}: try ${known.join(', ')}`,
        });
      }
    }
  };
  const server = tls ? createTlsServer(tls, handler) : createServer(handler);
  // Node's 5 s default closes a dashboard's idle kept-alive connection between its polls.
  server.keepAliveTimeout = 60_000;
  return server;
}

/** Listens on "unix:/path" (mode 0600, replacing a stale socket file) or "host:port". */
export function listen(server: Server, spec: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (spec.startsWith('unix:')) {
      const path = spec.slice(5);
      if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
      server.listen(path, () => {
        chmodSync(path, 0o600);
        resolve();
      });
    } else {
      const m = /^(.*):(\d+)$/.exec(spec);
      if (!m) return reject(new Error(`--listen "${spec}" is not unix:PATH or HOST:PORT`));
      server.listen(Number(m[2]), m[1] || '127.0.0.1', () => resolve());
    }
  });
}
