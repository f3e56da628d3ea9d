// A Kubernetes API server for tests: plain http on 127.0.0.1, serving the real API bodies in
// test/fixtures/kubernetes/ for GET /api/v1/nodes and /api/v1/pods, as lists and as watch
// streams. Tests steer it: push watch events (which also change what the lists return, as
// on a real apiserver), drop or end the open watches, make the next watch answer a 410, make
// lists answer a 403, and count the requests. A list or watch may carry the field selector
// metadata.name=NAME (podnet cni install --kubernetes follows its one Node so): it sees only
// that object, as on a real apiserver; any other field selector is answered 400. It also
// keeps Secrets (create and get one, in memory, 409 and 404 as the apiserver answers them; a
// 403 on demand), and records every request it gets, so a test can check RBAC rules
// against the calls the code really made.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

const fixtureDir = new URL('./fixtures/kubernetes/', import.meta.url);

export const fixtureText = (name: string): string => readFileSync(new URL(name, fixtureDir), 'utf8');
/** A fresh parse each call: tests change the objects they get. */
export const fixtureJson = <T = any>(name: string): T => JSON.parse(fixtureText(name)) as T;
export const fixtureEvents = (name: string): WatchEvent[] =>
  fixtureText(name)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WatchEvent);

const objectKey = (o: any): string => `${o?.metadata?.namespace ?? ''}/${o?.metadata?.name ?? ''}`;
const rvNumber = (o: any): number => Number(o?.metadata?.resourceVersion ?? NaN);

export interface KubeApiServerOptions {
  /** default: the reference NodeList and PodList */
  nodes?: KubeList;
  pods?: KubeList;
  /** the bearer token requests must carry; default "podnet-test-token" */
  token?: string;
}

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
  private readonly counts = new Map<string, number>();
  private readonly open = new Set<OpenWatch>();
  /** what was emitted, for a watch that starts from an older resourceVersion */
  private readonly history: Record<Resource, WatchEvent[]> = { nodes: [], pods: [] };
  private readonly nextWatch: Record<Resource, WatchEvent[] | null> = { nodes: null, pods: null };
  private listFailure: { code: number; body: unknown } | null = null;
  private secretsForbidden = new Set<SecretVerb>();
  private secretVersion = 1000;

  private constructor(opts: KubeApiServerOptions) {
    this.token = opts.token ?? 'podnet-test-token';
    this.lists = {
      nodes: opts.nodes ?? fixtureJson<KubeList>('nodelist.reference.json'),
      pods: opts.pods ?? fixtureJson<KubeList>('podlist.reference.json'),
    };
  }

  static async start(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const s = new KubeApiServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
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
      this.history[resource].push(event);
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
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
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
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => this.createSecret(res, namespace, body));
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.search });
    const resource = ({ '/api/v1/nodes': 'nodes', '/api/v1/pods': 'pods' } as const)[url.pathname];
    const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    if (resource) {
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

/** A Status for 400 Bad Request, in the apiserver's shape. */
function badRequest(message: string): unknown {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'BadRequest',
    code: 400,
  };
}

export type SecretVerb = 'get' | 'create';

export interface RecordedRequest {
  method: string;
  /** the URL's path, without the query */
  path: string;
  /** "?watch=true&…", or "" */
  query: string;
}

/** A failure Status in the apiserver's shape, for any code; `name`: the Secret it is about
 *  (details, as the apiserver gives them for secrets). */
function secretStatus(code: number, reason: string, message: string, name?: string): unknown {
  const details = name === undefined ? { kind: 'secrets' } : { name, kind: 'secrets' };
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export interface TestKubeconfig {
  path: string;
  context: string;
  /** removes the temp dir holding it */
  remove(): void;
}

/** Writes a kubeconfig for `server` into a temp dir. Plain http needs
 *  `insecure-skip-tls-verify: true`: @kubernetes/client-node refuses http without it. */
export function writeKubeconfig(
  server: KubeApiServer,
  opts: { context?: string; token?: string; /** another URL that reaches it (from a namespace) */ url?: string } = {},
): TestKubeconfig {
  const context = opts.context ?? 'podnet-test';
  const dir = mkdtempSync(join(tmpdir(), 'podnet-kubeconfig-'));
  const path = join(dir, 'config');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${context}`,
      '  cluster:',
      `    server: ${opts.url ?? server.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      `- name: ${context}`,
      '  user:',
      `    token: ${opts.token ?? server.token}`,
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}`,
      `    user: ${context}`,
      `current-context: ${context}`,
      '',
    ].join('\n'),
  );
  return { path, context, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
