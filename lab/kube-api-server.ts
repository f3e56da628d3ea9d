// The lab's Kubernetes API endpoint, and the tests' API server: real Kubernetes JSON for
// Nodes and Pods (list, watch, get, and the writes the lab makes: create, replace, delete)
// and Secrets (get, create), over plain http on 127.0.0.1 and, for the lab's node
// namespaces, on a unix socket (a bridge in each namespace forwards to it: no traffic from
// the root namespace goes into the lab). A test double for offline use, never a product
// API server: one process, state in memory (the lab re-seeds it from its inventory after a
// restart), one bearer token.
//
// Semantics kept from the apiserver, because podnet's clients depend on them: every write
// gets the next resourceVersion and becomes a watch event; a list carries the version it
// is at; a watch from an older version first gets what it missed, or — with
// `expireOldWatches`, as the lab runs it — an ERROR 410 Expired when that version is older
// than what the server still remembers (before its start, or trimmed history), so a
// client re-lists. A list or watch may carry the field selector metadata.name=NAME (podnet
// cni install --kubernetes follows its one Node so); any other field selector is 400.
//
// Tests steer it: push watch events, drop or end the open watches, make the next watch
// answer a 410, make lists or Secrets answer a 403, and read every request it got (RBAC
// tests check those calls against deploy/rbac.yaml).
/* eslint-disable @typescript-eslint/no-explicit-any -- it stores and serves Kubernetes JSON of any
   shape, and the tests that steer it edit those objects freely; it reads only metadata. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';

export type Resource = 'nodes' | 'pods';
export type RequestKind = 'list' | 'watch';

export interface KubeList {
  kind?: string;
  apiVersion?: string;
  metadata?: { resourceVersion?: string };
  items: any[];
}

export interface WatchEvent {
  type: string;
  object: any;
}

const objectKey = (o: any): string => `${o?.metadata?.namespace ?? ''}/${o?.metadata?.name ?? ''}`;
const rvNumber = (o: any): number => Number(o?.metadata?.resourceVersion ?? NaN);

export interface KubeApiServerOptions {
  /** what the lists hold at start; default: empty */
  nodes?: KubeList;
  pods?: KubeList;
  /** the bearer token requests must carry; default "podnet-test-token" */
  token?: string;
  /** also serve on this unix socket (made 0600: root only) */
  socket?: string;
  /** the TCP port on 127.0.0.1; default: any free one */
  port?: number;
  /** a watch from a resourceVersion older than the server remembers gets 410 Expired */
  expireOldWatches?: boolean;
  /** keep every request in `requests` (default; the lab's long-lived server does not) */
  recordRequests?: boolean;
  /** told of what a reader of the lab's log wants to know: watches answered 410 */
  log?: (line: string) => void;
}

/** How many events per resource a watch from an older version can catch up on. */
const HISTORY_LIMIT = 10_000;

interface OpenWatch {
  resource: Resource;
  res: ServerResponse;
  /** its field selector's test, when it has one */
  matches?: (o: any) => boolean;
}

export class KubeApiServer {
  readonly token: string;
  url = '';
  /** What the lists answer; tests may replace or edit them. */
  lists: Record<Resource, KubeList>;
  /** Every request, in order, whatever it was answered (RBAC tests check these calls). */
  readonly requests: RecordedRequest[] = [];
  /** The Secrets, by NAMESPACE/NAME: what POST created (tests may add or edit them). */
  readonly secrets = new Map<string, any>();
  /** Called when a Secret's POST arrives, before it is stored: a test plays a concurrent
   *  writer here (whatever it puts into `secrets` first makes the POST a 409). */
  beforeSecretCreate: ((namespace: string, name: string) => void) | null = null;
  /** Every watch request's resourceVersion parameter, in order. */
  readonly watchQueries: Array<{ resource: Resource; resourceVersion: string | null }> = [];
  /** Every list or watch request that carried a fieldSelector, in order. */
  readonly fieldSelectorQueries: Array<{ kind: RequestKind; resource: Resource; fieldSelector: string }> = [];

  private readonly server = createServer((req, res) => this.handle(req, res));
  private readonly socketServer = createServer((req, res) => this.handle(req, res));
  private socket: string | null = null;
  private readonly expireOldWatches: boolean;
  private readonly recordRequests: boolean;
  private readonly log: (line: string) => void;
  /** the last resourceVersion given to an object */
  private version: number;
  /** per resource: watches from a version older than this cannot be served (history lost) */
  private readonly remembersFrom: Record<Resource, number>;
  private readonly counts = new Map<string, number>();
  private readonly open = new Set<OpenWatch>();
  /** what was emitted, for a watch that starts from an older resourceVersion */
  private readonly history: Record<Resource, WatchEvent[]> = { nodes: [], pods: [] };
  private readonly nextWatch: Record<Resource, WatchEvent[] | null> = { nodes: null, pods: null };
  private listFailure: { code: number; body: unknown } | null = null;
  private secretsForbidden = new Set<SecretVerb>();
  private secretVersion = 1000;

  protected constructor(opts: KubeApiServerOptions) {
    this.token = opts.token ?? 'podnet-test-token';
    this.expireOldWatches = opts.expireOldWatches ?? false;
    this.recordRequests = opts.recordRequests ?? true;
    this.log = opts.log ?? (() => {});
    this.lists = { nodes: opts.nodes ?? emptyList('NodeList'), pods: opts.pods ?? emptyList('PodList') };
    // Versions only grow, also across a restart of the lab's server (its clients still hold
    // the old ones): they start from the clock, in microseconds, above any given object's.
    const given = [...this.lists.nodes.items, ...this.lists.pods.items, this.lists.nodes, this.lists.pods]
      .map(rvNumber)
      .filter((n) => !Number.isNaN(n));
    this.version = Math.max(opts.nodes || opts.pods ? 0 : Date.now() * 1000, ...given);
    for (const list of Object.values(this.lists))
      if (Number.isNaN(rvNumber(list))) list.metadata = { ...list.metadata, resourceVersion: String(this.version) };
    this.remembersFrom = { nodes: rvNumber(this.lists.nodes), pods: rvNumber(this.lists.pods) };
  }

  static async start(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    return this.listen(new KubeApiServer(opts), opts);
  }

  protected static async listen<T extends KubeApiServer>(s: T, opts: KubeApiServerOptions): Promise<T> {
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    if (opts.socket) {
      const path = opts.socket;
      rmSync(path, { force: true }); // a socket file left by a server that died
      await new Promise<void>((resolve, reject) => {
        s.socketServer.once('error', reject);
        s.socketServer.listen(path, () => resolve());
      });
      chmodSync(path, 0o600);
      s.socket = path;
    }
    return s;
  }

  /** How many list (or watch) requests reached /api/v1/<resource>, whatever they were answered. */
  count(kind: RequestKind, resource: Resource): number {
    return this.counts.get(`${kind} /api/v1/${resource}`) ?? 0;
  }

  /** TCP connections open to the server, watches or idle keep-alive ones. */
  connections(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  openWatches(resource?: Resource): number {
    return [...this.open].filter((w) => !resource || w.resource === resource).length;
  }

  /** A watch event, as the apiserver would send it: ADDED/MODIFIED/DELETED also change the
   *  list (and its resourceVersion); every event goes to the open watches of `resource`. */
  emit(resource: Resource, event: WatchEvent): void {
    if (['ADDED', 'MODIFIED', 'DELETED'].includes(event.type)) {
      const list = this.lists[resource];
      const key = objectKey(event.object);
      const rest = list.items.filter((o) => objectKey(o) !== key);
      list.items = event.type === 'DELETED' ? rest : [...rest, event.object];
      if (rvNumber(event.object) > Number(list.metadata?.resourceVersion ?? 0)) {
        list.metadata = { ...list.metadata, resourceVersion: String(rvNumber(event.object)) };
      }
      this.version = Math.max(this.version, rvNumber(event.object) || 0);
      const history = this.history[resource];
      history.push(event);
      if (history.length > HISTORY_LIMIT) this.remembersFrom[resource] = rvNumber(history.shift()!.object);
    }
    for (const w of this.open)
      if (w.resource === resource && (!w.matches || w.matches(event.object))) w.res.write(`${JSON.stringify(event)}\n`);
  }

  /** Drops the open watch connections (the socket goes away mid-stream, as when a node or a
   *  proxy between dies). */
  dropWatches(resource?: Resource): void {
    for (const w of [...this.open]) {
      if (resource && w.resource !== resource) continue;
      this.open.delete(w);
      w.res.socket?.destroy();
    }
  }

  /** Ends the open watches cleanly, as the apiserver does when a watch's timeout is over. */
  endWatches(resource?: Resource): void {
    for (const w of [...this.open]) {
      if (resource && w.resource !== resource) continue;
      this.open.delete(w);
      w.res.end();
    }
  }

  /** Forgets every event so far, as a compaction of the apiserver's storage does, and ends
   *  the open watches cleanly, as its watch timeout does: a client that watches again from
   *  the version it holds gets 410 Expired and must list again. */
  compact(): void {
    for (const resource of ['nodes', 'pods'] as const) {
      this.history[resource].length = 0;
      this.remembersFrom[resource] = this.version + 1;
    }
    this.endWatches();
  }

  /** The next watch request of `resource` is answered 200 with these events, then closed:
   *  give it an ERROR 410 Expired event to make the client re-list. */
  failNextWatch(resource: Resource, events: WatchEvent[]): void {
    this.nextWatch[resource] = events;
  }

  /** Lists answer with this Status body and its code (until called with null). */
  failLists(status: { code: number } | null): void {
    this.listFailure = status ? { code: status.code, body: status } : null;
  }

  async close(): Promise<void> {
    for (const w of this.open) w.res.destroy();
    this.open.clear();
    this.server.closeAllConnections();
    this.socketServer.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.socket) await new Promise<void>((resolve) => this.socketServer.close(() => resolve()));
  }

  /** Secrets requests of these verbs answer 403 Forbidden, as for a service account
   *  without the rule (until called with []). */
  forbidSecrets(verbs: SecretVerb[]): void {
    this.secretsForbidden = new Set(verbs);
  }

  /** GET /api/v1/namespaces/NS/secrets/NAME and POST /api/v1/namespaces/NS/secrets, with the
   *  apiserver's answers: 200, 201 (the stored object), 404, 409, 403, 400/422 for a body
   *  it would reject. False when the path is not a Secret's. */
  private handleSecrets(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(path);
    if (!m) return false;
    const [namespace, name] = [decodeURIComponent(m[1]!), m[2] === undefined ? undefined : decodeURIComponent(m[2])];
    const verb: SecretVerb | null =
      req.method === 'GET' && name ? 'get' : req.method === 'POST' && !name ? 'create' : null;
    if (!verb) {
      json(res, 405, secretStatus(405, 'MethodNotAllowed', `the test API server does not serve ${req.method} ${path}`));
      return true;
    }
    if (this.secretsForbidden.has(verb)) {
      const what = name ? `secrets "${name}"` : 'secrets';
      json(
        res,
        403,
        secretStatus(
          403,
          'Forbidden',
          `${what} is forbidden: User "system:serviceaccount:${namespace}:podnet-setup" cannot ${verb} resource "secrets" in API group "" in the namespace "${namespace}"`,
          name,
        ),
      );
      return true;
    }
    if (verb === 'get') {
      const s = this.secrets.get(`${namespace}/${name}`);
      json(res, s ? 200 : 404, s ?? secretStatus(404, 'NotFound', `secrets "${name}" not found`, name));
      return true;
    }
    readBody(req, (body) => this.createSecret(res, namespace, body));
    return true;
  }

  private createSecret(res: ServerResponse, namespace: string, text: string): void {
    let o: any;
    try {
      o = JSON.parse(text);
    } catch (e) {
      return json(res, 400, secretStatus(400, 'BadRequest', `the body is not JSON: ${(e as Error).message}`));
    }
    const name = o?.metadata?.name;
    if (typeof name !== 'string' || name === '')
      return json(res, 422, secretStatus(422, 'Invalid', 'Secret "" is invalid: metadata.name: Required value'));
    if (o.metadata.namespace !== undefined && o.metadata.namespace !== namespace)
      return json(
        res,
        400,
        secretStatus(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        ),
      );
    const data: Record<string, unknown> = o.data ?? {};
    const notBase64 = Object.entries(data).find(
      ([, v]) => typeof v !== 'string' || Buffer.from(v, 'base64').toString('base64') !== v,
    );
    if (notBase64) return json(res, 400, secretStatus(400, 'BadRequest', `data[${notBase64[0]}] is not base64`, name));
    if (o.type === 'kubernetes.io/tls' && !('tls.crt' in data && 'tls.key' in data))
      return json(
        res,
        422,
        secretStatus(422, 'Invalid', `Secret "${name}" is invalid: data[tls.crt], data[tls.key]: Required value`, name),
      );
    this.beforeSecretCreate?.(namespace, name);
    const key = `${namespace}/${name}`;
    if (this.secrets.has(key))
      return json(res, 409, secretStatus(409, 'AlreadyExists', `secrets "${name}" already exists`, name));
    const stored = {
      ...o,
      kind: 'Secret',
      apiVersion: 'v1',
      type: o.type ?? 'Opaque',
      metadata: {
        ...o.metadata,
        namespace,
        uid: randomUUID(),
        resourceVersion: String(++this.secretVersion),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    };
    this.secrets.set(key, stored);
    json(res, 201, stored);
  }

  /** One Node or Pod by name, and the writes the lab makes: POST to the collection
   *  (/api/v1/nodes, /api/v1/namespaces/NS/pods), GET, PUT and DELETE of
   *  /api/v1/nodes/NAME and /api/v1/namespaces/NS/pods/NAME, answered as the apiserver
   *  does (201, 200, 404, 409, 400/422 for a body it would reject). Each write is a watch
   *  event with the next resourceVersion. False when the path is not one of these. */
  private handleObjects(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const node = /^\/api\/v1\/nodes(?:\/([^/]+))?$/.exec(path);
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(path);
    if (!node && !pod) return false;
    const resource: Resource = node ? 'nodes' : 'pods';
    const namespace = pod ? decodeURIComponent(pod[1]!) : undefined;
    const rawName = node ? node[1] : pod![2];
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    const kind = resource === 'nodes' ? 'Node' : 'Pod';
    if (name === undefined && req.method === 'GET') return false; // lists and watches: handle()
    const key = `${namespace ?? ''}/${name ?? ''}`;
    const current = this.lists[resource].items.find((o) => objectKey(o) === key);
    const notFound = () => json(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`, resource, name));
    if (req.method === 'GET' && name !== undefined) {
      if (!current) notFound();
      else json(res, 200, current);
      return true;
    }
    if (req.method === 'DELETE' && name !== undefined) {
      if (!current) return (notFound(), true);
      const gone = withVersion(current, ++this.version);
      this.emit(resource, { type: 'DELETED', object: gone });
      json(res, 200, gone);
      return true;
    }
    const create = req.method === 'POST' && name === undefined;
    const replace = req.method === 'PUT' && name !== undefined;
    if (!create && !replace) {
      json(res, 405, status(405, 'MethodNotAllowed', `the test API server does not serve ${req.method} ${path}`));
      return true;
    }
    readBody(req, (text) => {
      let o: any;
      try {
        o = JSON.parse(text);
      } catch (e) {
        return json(res, 400, status(400, 'BadRequest', `the body is not JSON: ${(e as Error).message}`));
      }
      const given = o?.metadata?.name;
      if (o?.kind !== kind || typeof given !== 'string' || given === '')
        return json(res, 422, status(422, 'Invalid', `a ${kind} with metadata.name is required`, resource));
      if (replace && given !== name)
        return json(res, 400, status(400, 'BadRequest', 'the name of the object does not match the name on the URL'));
      if (namespace !== undefined && o.metadata.namespace !== undefined && o.metadata.namespace !== namespace)
        return json(res, 400, status(400, 'BadRequest', 'the namespace of the object does not match the request'));
      const objectKeyNow = `${namespace ?? ''}/${given}`;
      const existing = this.lists[resource].items.find((x) => objectKey(x) === objectKeyNow);
      if (create && existing)
        return json(res, 409, status(409, 'AlreadyExists', `${resource} "${given}" already exists`, resource, given));
      if (replace && !existing) return notFound();
      const stored = withVersion(
        {
          ...o,
          apiVersion: 'v1',
          metadata: {
            ...o.metadata,
            ...(namespace !== undefined ? { namespace } : {}),
            uid: existing?.metadata?.uid ?? randomUUID(),
            creationTimestamp:
              existing?.metadata?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        },
        ++this.version,
      );
      this.emit(resource, { type: create ? 'ADDED' : 'MODIFIED', object: stored });
      json(res, create ? 201 : 200, stored);
    });
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (this.recordRequests) this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.search });
    const resource = ({ '/api/v1/nodes': 'nodes', '/api/v1/pods': 'pods' } as const)[url.pathname];
    const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    if (resource && req.method === 'GET') {
      const key = `${watch ? 'watch' : 'list'} ${url.pathname}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      // the apiserver's 401 body, verbatim (no fixture holds one)
      return json(res, 401, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    if (this.handleSecrets(req, res, url.pathname)) return;
    if (this.handleObjects(req, res, url.pathname)) return;
    if (req.method !== 'GET' || !resource) {
      return json(res, 404, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `the test API server does not serve ${req.method} ${url.pathname}`,
        reason: 'NotFound',
        code: 404,
      });
    }
    const selector = this.fieldSelector(url, watch ? 'watch' : 'list', resource);
    if (selector instanceof Error) return json(res, 400, badRequest(selector.message));
    if (!watch) {
      if (this.listFailure) return json(res, this.listFailure.code, this.listFailure.body);
      const list = this.lists[resource];
      return json(res, 200, selector ? { ...list, items: list.items.filter(selector) } : list);
    }
    this.watchQueries.push({ resource, resourceVersion: url.searchParams.get('resourceVersion') });
    res.writeHead(200, { 'Content-Type': 'application/json;stream=watch', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const canned = this.nextWatch[resource];
    if (canned) {
      this.nextWatch[resource] = null;
      for (const e of canned) res.write(`${JSON.stringify(e)}\n`);
      res.end();
      return;
    }
    // a watch from an older resourceVersion first gets what it missed
    const from = Number(url.searchParams.get('resourceVersion') || NaN);
    if (this.expireOldWatches && from < this.remembersFrom[resource]) {
      this.log(
        `a watch of ${resource} from version ${from} expired (410): this server remembers from ${this.remembersFrom[resource]}`,
      );
      res.end(`${JSON.stringify(expired(from, this.remembersFrom[resource]))}\n`);
      return;
    }
    if (!Number.isNaN(from)) {
      for (const e of this.history[resource])
        if (rvNumber(e.object) > from && (!selector || selector(e.object))) res.write(`${JSON.stringify(e)}\n`);
    }
    const w: OpenWatch = { resource, res, ...(selector ? { matches: selector } : {}) };
    this.open.add(w);
    res.on('close', () => this.open.delete(w));
  }

  /** The request's fieldSelector as a test of objects (null: none), or the Error a real
   *  apiserver answers 400 for. Only metadata.name=NAME (or ==NAME) is served. */
  private fieldSelector(url: URL, kind: RequestKind, resource: Resource): ((o: any) => boolean) | null | Error {
    const text = url.searchParams.get('fieldSelector');
    if (text === null || text === '') return null;
    this.fieldSelectorQueries.push({ kind, resource, fieldSelector: text });
    const m = /^metadata\.name==?([^,=!]+)$/.exec(text);
    if (!m) return new Error(`the test API server serves only the field selector metadata.name=NAME, not "${text}"`);
    const name = m[1];
    return (o: any) => o?.metadata?.name === name;
  }
}

const emptyList = (kind: string): KubeList => ({ kind, apiVersion: 'v1', metadata: {}, items: [] });

function withVersion(o: any, version: number): any {
  return { ...o, metadata: { ...o.metadata, resourceVersion: String(version) } };
}

function readBody(req: IncomingMessage, then: (text: string) => void): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => then(body));
}

/** The ERROR event the apiserver sends on a watch from a version it no longer has. */
function expired(from: number, oldest: number): WatchEvent {
  return {
    type: 'ERROR',
    object: status(410, 'Expired', `too old resource version: ${from} (${oldest})`),
  };
}

/** A failure Status in the apiserver's shape; `kind`/`name`: what it is about (details). */
function status(code: number, reason: string, message: string, kind?: string, name?: string): unknown {
  const details = kind === undefined ? undefined : name === undefined ? { kind } : { name, kind };
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

const badRequest = (message: string) => status(400, 'BadRequest', message);

export type SecretVerb = 'get' | 'create';

export interface RecordedRequest {
  method: string;
  /** the URL's path, without the query */
  path: string;
  /** "?watch=true&…", or "" */
  query: string;
}

/** As the apiserver gives them for secrets: details name the kind, and the Secret. */
const secretStatus = (code: number, reason: string, message: string, name?: string) =>
  status(code, reason, message, 'secrets', name);

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
