// The agent's HTTP API: GET /healthz (open), and behind the bearer token GET /v1/snapshot,
// GET /v1/events (server-sent events), POST /v1/probe, POST /v1/lookup, GET /metrics. Listens on a unix
// socket (mode 0600: root only) or HOST:PORT.
import { createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Change } from '../lib/model/diff.js';
import type { NodeSnapshot } from '../lib/model/snapshot.js';
import type { AgentEvent, EventLog } from './events.js';
import type { Metrics } from './metrics.js';

export const MAX_BODY_BYTES = 16 * 1024;
const HEARTBEAT_MS = 15_000;

export interface ServerDeps {
  node: string;
  token: string | null;
  snapshot(): NodeSnapshot | null;
  events: EventLog;
  subscribe(fn: (e: AgentEvent) => void): () => void;
  metrics: Metrics;
  /** POST /v1/probe: validated and run by the prober; returns the HTTP status and body */
  probe(body: unknown): Promise<{ status: number; body: unknown }>;
  /** POST /v1/lookup: the kernel's answers at a trace's hops (agent/lookup.ts) */
  lookup(body: unknown): Promise<{ status: number; body: unknown }>;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time: the comparison takes as long whatever the presented token is. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token));
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

function sse(res: ServerResponse, event: string, id: string | null, data: unknown): boolean {
  return res.write(`event: ${event}\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

function streamEvents(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): void {
  const { events, metrics } = deps;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  const url = new URL(req.url ?? '/', 'http://agent');
  const last = (req.headers['last-event-id'] as string | undefined) ?? url.searchParams.get('lastEventId') ?? undefined;
  const missed = events.since(last);
  const send = (e: AgentEvent) => {
    metrics.eventsSent++;
    sse(res, 'diff', events.id(e.seq), { seq: e.seq, at: e.at, changes: e.changes satisfies Change[] });
  };
  if (missed === null) {
    const snap = deps.snapshot();
    metrics.eventsSent++;
    sse(res, 'snapshot', events.id(events.lastSeq), { seq: events.lastSeq, snapshot: snap });
  } else for (const e of missed) send(e);
  metrics.clients++;
  const unsubscribe = deps.subscribe(send);
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  const done = () => {
    clearInterval(heartbeat);
    unsubscribe();
    metrics.clients--;
  };
  res.once('close', done); // a client that goes away mid-stream costs nothing more
}

/** A POST with a JSON body (at most MAX_BODY_BYTES) answered by `handle`. */
function postJson(req: IncomingMessage, res: ServerResponse, handle: (body: unknown) => Promise<{ status: number; body: unknown }>, example: string): void {
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

export function createAgentServer(deps: ServerDeps): Server {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    const route = `${req.method} ${path}`;
    if (route === 'GET /healthz') return json(res, 200, { ok: true, node: deps.node, bootId: deps.events.bootId, ready: deps.snapshot() !== null });
    if (deps.token !== null && !tokenMatches(req.headers.authorization, deps.token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return json(res, 401, { error: 'missing or wrong bearer token: send "Authorization: Bearer <token>" (the lab keeps it in its tokenFile)' });
    }
    switch (route) {
      case 'GET /v1/snapshot': {
        const snap = deps.snapshot();
        return snap ? json(res, 200, { bootId: deps.events.bootId, seq: deps.events.lastSeq, snapshot: snap }) : json(res, 503, { error: 'the first snapshot is not collected yet' });
      }
      case 'GET /v1/events':
        return streamEvents(req, res, deps);
      case 'GET /metrics': {
        const text = deps.metrics.render(deps.node);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        return void res.end(text);
      }
      case 'POST /v1/probe':
        return postJson(req, res, deps.probe, '{"kind": "ping", "from": {"pod": "web-1"}, "to": "10.244.2.2"}');
      case 'POST /v1/lookup':
        return postJson(req, res, deps.lookup, '{"lookups": [{"kind": "route", "at": {"node": true}, "dst": "10.244.2.2"}]}');
      default: {
        const known = ['/healthz', '/v1/snapshot', '/v1/events', '/v1/probe', '/v1/lookup', '/metrics'];
        return json(res, known.includes(path) ? 405 : 404, { error: known.includes(path) ? `${req.method} is not allowed on ${path}` : `no such endpoint ${path}: try ${known.join(', ')}` });
      }
    }
  });
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
