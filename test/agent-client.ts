// A client of the agent's API over its unix socket, for tests: JSON requests, and an SSE
// subscription that keeps the agent's view (snapshot + diffs) as the dashboard will.
import { request } from 'node:http';
import { applyChanges, type Change } from '../lib/model/diff.js';
import type { NodeSnapshot } from '../lib/model/snapshot.js';

export interface Reply {
  status: number;
  body: any;
  text: string;
}

export function call(
  socket: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface Subscription {
  view: NodeSnapshot | null;
  lastEventId: string | null;
  kinds: string[];
  /** resolves when predicate(view) holds; rejects after timeoutMs */
  waitFor(predicate: (view: NodeSnapshot) => boolean, timeoutMs?: number): Promise<NodeSnapshot>;
  close(): void;
  closed: Promise<void>;
}

export function subscribe(socket: string, token: string, lastEventId?: string): Subscription {
  const waiters = new Set<() => void>();
  let resolveClosed!: () => void;
  const sub: Subscription = {
    view: null,
    lastEventId: null,
    kinds: [],
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (sub.view && predicate(sub.view)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(sub.view);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => req.destroy(),
    closed: new Promise((r) => (resolveClosed = r)),
  };
  const req = request(
    {
      socketPath: socket,
      path: '/v1/events',
      headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    },
    (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
          );
          if (!fields.event) continue;
          sub.kinds.push(fields.event);
          if (fields.id) sub.lastEventId = fields.id;
          const data = JSON.parse(fields.data ?? 'null');
          if (fields.event === 'snapshot') sub.view = data.snapshot;
          else if (fields.event === 'diff' && sub.view) sub.view = applyChanges(sub.view, data.changes as Change[]);
          for (const w of [...waiters]) w();
        }
      });
      res.on('close', () => resolveClosed());
    },
  );
  req.on('error', () => resolveClosed());
  req.end();
  return sub;
}
