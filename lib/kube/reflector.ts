// Lists and watches the cluster's Nodes and Pods and keeps them by key, the way client-go's
// reflector does: list, watch from the list's resourceVersion, and on any trouble list
// again — forever, with back-off. What went wrong is kept as a sentence for the user
// (problems()); the last good view stays until a list succeeds again. Each object is parsed
// with its schema as it arrives (lib/kube/objects.ts): one that fails is left out and named
// in problems(), and the rest of the list or watch goes on.
//
// The requests go through a KubeClient: lib/kube/watch.ts's over @kubernetes/client-node
// (any kubeconfig: exec plugins, auth providers, proxies), or lib/kube/http-client.ts's over
// node:http (what the node agent uses: this module and that one load no Kubernetes client,
// whose ~1,000 modules would be most of the agent's memory).
import type { Parsed } from '../model/schema-issues';
import { looseKey, nodeKey, parseKubeNode, parseKubePod, podKeyOf, type KubeNode, type KubePod } from './objects';

export type KubeResource = 'nodes' | 'pods';

export const BACKOFF_START_MS = 250;
export const BACKOFF_MAX_MS = 10_000;
/** a watch that lived this long (or delivered an event) counts as a success: back-off resets */
const HEALTHY_WATCH_MS = 1_000;
/** How many changed keys a reflector remembers (changedSince); halved when full. */
const CHANGE_LOG_MAX = 8192;
/** How many skipped objects problems() names; the rest are counted. */
const SKIPPED_NAMED = 5;

type KubeObject = KubeNode & KubePod;
export type RawList = { items: unknown[]; resourceVersion: string };

/** A list's body (JSON) as the reflector takes it. */
export function parseList(text: string, resource: KubeResource): RawList {
  const body = JSON.parse(text) as { items?: unknown; metadata?: { resourceVersion?: unknown } } | null;
  if (!Array.isArray(body?.items)) throw new Error(`the ${resource} list has no items array`);
  const rv = body.metadata?.resourceVersion;
  return { items: body.items, resourceVersion: typeof rv === 'string' ? rv : '' };
}

/** The requests of one reflector, one at a time. Failures are thrown (list) or given to
 *  `done` (watch) in the shapes describeFailure reads: {code, body} or {statusCode} for an
 *  API answer, a Node system error (or one whose cause is) for the connection. */
export interface KubeClient {
  /** the API server's address, for messages */
  readonly server: string;
  list(resource: KubeResource, fieldSelector: string | undefined): Promise<RawList>;
  /** Resolves once the watch is open (or `done` was called), with its abort. `done(null)`
   *  or `done` with an error named TimeoutError: it ended; anything else: it failed. */
  watch(
    path: string,
    query: Record<string, string | boolean>,
    onEvent: (type: string, object: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
  /** ends every request in flight, and any made after */
  close(): void;
}

export class KubeReflectors {
  private readonly reflectors: { nodes: Reflector; pods: Reflector };

  /** `client`: a new one for each followed resource. `resources`: what to follow; the node
   *  agent needs only the nodes (a cluster-wide pod watch on every node would cost the API
   *  server for nothing). `nodeFieldSelector` narrows the nodes to those it matches, on the
   *  server (`metadata.name=NODE`: the install step follows its own node only, with the
   *  same list and watch verbs). */
  constructor(
    client: () => KubeClient,
    changed: () => void,
    private readonly resources: readonly KubeResource[] = ['nodes', 'pods'],
    opts: { nodeFieldSelector?: string } = {},
  ) {
    const make = (r: KubeResource) => (this.resources.includes(r) ? client() : null);
    this.reflectors = {
      nodes: new Reflector(
        make('nodes'),
        'nodes',
        '/api/v1/nodes',
        nodeKey,
        parseKubeNode,
        changed,
        opts.nodeFieldSelector,
      ),
      pods: new Reflector(make('pods'), 'pods', '/api/v1/pods', podKeyOf, parseKubePod, changed),
    };
  }

  /** Resolves once each followed resource had its first list answered (or failed). */
  async start(): Promise<void> {
    await Promise.all(this.resources.map((r) => this.reflectors[r].start()));
  }

  nodes(): ReadonlyMap<string, KubeNode> {
    return this.reflectors.nodes.items;
  }

  /** by NAMESPACE/NAME */
  pods(): ReadonlyMap<string, KubePod> {
    return this.reflectors.pods.items;
  }

  /** Counts the changes applied to `resource`'s objects (or to both): a cheap "did it change". */
  version(resource?: KubeResource): number {
    return resource ? this.reflectors[resource].version : this.reflectors.nodes.version + this.reflectors.pods.version;
  }

  /** The keys of `resource`'s objects changed after `version` (one per change, a key
   *  may repeat), or null when that is not known: a list replaced them all since, or the
   *  log no longer goes back that far. A reader that converted the objects at `version`
   *  converts these again, not all of them. */
  changedSince(resource: KubeResource, version: number): string[] | null {
    return this.reflectors[resource].changedSince(version);
  }

  /** The resourceVersion the next watch of `resource` starts from. */
  resourceVersion(resource: KubeResource): string {
    return this.reflectors[resource].resourceVersion;
  }

  problems(): string[] {
    return this.resources.flatMap((r) => this.reflectors[r].problems());
  }

  async close(): Promise<void> {
    await Promise.all(this.resources.map((r) => this.reflectors[r].close()));
  }
}

type WatchEnd =
  /** the server ended it, or the client's 30 s idle timer did: watch again from the RV */
  | 'ended'
  /** dropped, refused, or an ERROR event (410 Expired): the RV cannot be trusted, list again */
  | 'relist';

class Reflector {
  readonly items = new Map<string, KubeObject>();
  /** objects that failed their schema, by key: why */
  private readonly skipped = new Map<string, string>();
  resourceVersion = '';
  /** bumped on every change to items */
  version = 0;
  /** the key each watch event changed: log[i] is the change to version logBase + i + 1 */
  private log: string[] = [];
  private logBase = 0;
  private listProblem: string | null = null;
  private watchProblem: string | null = null;
  private delay = BACKOFF_START_MS;
  private closed = false;
  private loop: Promise<void> | null = null;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private controller: { abort(): void } | null = null;

  /** `client` null: a resource not followed, never started */
  constructor(
    private readonly client: KubeClient | null,
    private readonly resource: KubeResource,
    private readonly path: string,
    private readonly keyOf: (o: KubeObject) => string,
    private readonly parse: (o: unknown) => Parsed<KubeObject>,
    private readonly changed: () => void,
    private readonly fieldSelector?: string,
  ) {}

  private get server(): string {
    return this.client?.server ?? '(no cluster in the kubeconfig)';
  }

  start(): Promise<void> {
    return new Promise((firstListAnswered) => {
      this.loop = this.run(firstListAnswered);
    });
  }

  changedSince(version: number): string[] | null {
    if (version < this.logBase || version > this.version) return null;
    return this.log.slice(version - this.logBase);
  }

  private logged(key: string): void {
    this.version++;
    this.log.push(key);
    if (this.log.length > CHANGE_LOG_MAX) {
      const drop = this.log.length - CHANGE_LOG_MAX / 2;
      this.log = this.log.slice(drop);
      this.logBase += drop;
    }
  }

  problems(): string[] {
    return [this.listProblem, this.watchProblem, this.skippedProblem()].filter((p): p is string => p !== null);
  }

  private skippedProblem(): string | null {
    if (this.skipped.size === 0) return null;
    const named = [...this.skipped].slice(0, SKIPPED_NAMED).map(([key, why]) => `${key} (${why})`);
    const more = this.skipped.size - named.length;
    const one = this.resource.slice(0, -1);
    return `${this.skipped.size === 1 ? `1 ${one}` : `${this.skipped.size} ${this.resource}`} from the API ${this.skipped.size === 1 ? 'is' : 'are'} not shown, not being what podnet reads: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  }

  /** The object if it passes its schema; else it is noted as skipped (under the key it
   *  gives, loosely read) and null. */
  private accept(raw: unknown): { key: string; object: KubeObject | null } {
    const r = this.parse(raw);
    if (r.ok) {
      const key = this.keyOf(r.value);
      this.skipped.delete(key);
      return { key, object: r.value };
    }
    const key = looseKey(raw);
    this.skipped.set(key, r.error);
    return { key, object: null };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.controller?.abort();
    this.client?.close();
    this.sleeping?.wake();
    await this.loop;
  }

  private async run(firstListAnswered: () => void): Promise<void> {
    let mustList = true;
    while (!this.closed) {
      if (mustList) {
        try {
          const list = await this.client!.list(this.resource, this.fieldSelector);
          if (this.closed) break;
          this.replaceAll(list.items, list.resourceVersion);
          this.setProblem('list', null);
          mustList = false;
        } catch (err) {
          if (this.closed) break;
          this.setProblem('list', describeFailure('list', this.resource, err, this.server));
        } finally {
          firstListAnswered();
        }
        if (mustList) {
          await this.sleep();
          continue;
        }
      }
      mustList = (await this.watchOnce()) === 'relist';
      if (this.closed) break;
      await this.sleep();
    }
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise((resolve) => {
      const opened = Date.now();
      let events = 0;
      let errorEvent = false;
      let finished = false;
      const done = (err: unknown) => {
        if (finished) return;
        finished = true;
        this.controller = null;
        // a watch that delivered nothing and died at once is a failure: back off further
        if (events > 0 || Date.now() - opened >= HEALTHY_WATCH_MS) this.delay = BACKOFF_START_MS;
        const e = err as { name?: string; statusCode?: number } | null;
        if (errorEvent) return resolve('relist');
        if (!e || e.name === 'TimeoutError') return resolve('ended');
        // a dropped connection needs no sentence: the next list says whether the API is there
        if (typeof e.statusCode === 'number' && e.statusCode !== 410 && !this.closed) {
          this.setProblem('watch', describeFailure('watch', this.resource, err, this.server));
        }
        resolve('relist');
      };
      const onEvent = (type: string, obj: unknown) => {
        if (this.closed || finished) return;
        events++;
        let changed = '';
        switch (type) {
          case 'ADDED':
          case 'MODIFIED': {
            // one that fails replaces what was there: its last good version is no longer true
            const { key, object } = this.accept(obj);
            if (object) this.items.set(key, object);
            else this.items.delete(key);
            changed = key;
            break;
          }
          case 'DELETED': {
            const r = this.parse(obj);
            const key = r.ok ? this.keyOf(r.value) : looseKey(obj);
            this.items.delete(key);
            this.skipped.delete(key);
            changed = key;
            break;
          }
          case 'BOOKMARK':
            // no object changed; only the resourceVersion to resume from moves
            this.resourceVersion = resourceVersionOf(obj) || this.resourceVersion;
            return;
          case 'ERROR':
            // 410 Expired (and any other ERROR): the server closes the stream next
            errorEvent = true;
            return;
          default:
            return;
        }
        this.resourceVersion = resourceVersionOf(obj) || this.resourceVersion;
        this.logged(changed);
        this.changed();
      };
      this.client!.watch(
        this.path,
        {
          allowWatchBookmarks: true,
          resourceVersion: this.resourceVersion,
          ...(this.fieldSelector ? { fieldSelector: this.fieldSelector } : {}),
        },
        onEvent,
        done,
      )
        .then((controller) => {
          if (finished) return;
          this.controller = controller;
          if (this.closed) controller.abort();
          else this.setProblem('watch', null);
        })
        // thrown before the request is made (no cluster, plain http refused): never reaches done
        .catch(done);
    });
  }

  /** A list is the whole truth: what it lacks was deleted while nobody watched. */
  private replaceAll(items: unknown[], resourceVersion: string): void {
    const skippedBefore = this.skippedProblem();
    this.skipped.clear();
    const next = new Map<string, KubeObject>();
    for (const raw of items) {
      const { key, object } = this.accept(raw);
      if (object) next.set(key, object);
    }
    const differs =
      skippedBefore !== this.skippedProblem() ||
      next.size !== this.items.size ||
      [...next].some(([k, o]) => {
        const old = this.items.get(k);
        return !old || !o.metadata?.resourceVersion || old.metadata?.resourceVersion !== o.metadata.resourceVersion;
      });
    this.resourceVersion = resourceVersion;
    if (!differs) return;
    // an object at the same resourceVersion stays the object it was, for readers that key on it
    for (const [k, o] of next) {
      const old = this.items.get(k);
      const rv = o.metadata?.resourceVersion;
      if (old && rv && old.metadata?.resourceVersion === rv) next.set(k, old);
    }
    this.items.clear();
    for (const [k, o] of next) this.items.set(k, o);
    this.version++;
    this.log = [];
    this.logBase = this.version;
    this.changed();
  }

  private setProblem(kind: 'list' | 'watch', text: string | null): void {
    if (kind === 'list' ? this.listProblem === text : this.watchProblem === text) return;
    if (kind === 'list') this.listProblem = text;
    else this.watchProblem = text;
    this.changed();
  }

  private sleep(): Promise<void> {
    const ms = this.delay;
    this.delay = Math.min(this.delay * 2, BACKOFF_MAX_MS);
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = null;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping = { timer, wake };
    });
  }
}

/** What failed, what the API server said (status, reason, its message), and what to do. */
export function describeFailure(verb: 'list' | 'watch', resource: KubeResource, err: unknown, server: string): string {
  const what = `cannot ${verb} ${resource} at ${server}`;
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown };
  // a list throws {code, body: the Status as text} (client-node's ApiException); a watch
  // {statusCode} with no body; client-node 2.0.1 gives a 401 no body either
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : null;
  if (code !== null) {
    const status = parseStatus(e.body);
    const said = `${code} ${status?.reason ?? STATUS_TEXT[code] ?? 'error'}${status?.message ? `: ${status.message}` : ''}`;
    if (code === 401) {
      return `${what}: the API server answered ${said}. The kubeconfig's credentials (token, client certificate) are missing, wrong or expired: renew them, or check that the pod's service account token is mounted. Retrying.`;
    }
    if (code === 403) {
      return `${what}: the API server answered ${said}. The service account (or user) needs list and watch on ${resource} cluster-wide: deploy/rbac.yaml's ClusterRoles grant exactly that (podnet-node: nodes, for the agent and the install step; podnet-dashboard: nodes and pods). Retrying; showing the last view until then.`;
    }
    return `${what}: the API server answered ${said}. Retrying; showing the last view until then.`;
  }
  const message = String(e.message ?? err);
  if (message.includes('HTTP protocol is not allowed')) {
    return `${what}: the kubeconfig's cluster server is plain http, which @kubernetes/client-node only accepts when the cluster sets "insecure-skip-tls-verify: true": use the https address, or set it.`;
  }
  const sys = systemError(err);
  if (sys && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS/.test(sys.code)) {
    return `${what}: the API server's certificate was not accepted (${sys.code}: ${sys.message}): put the cluster's CA into the kubeconfig (certificate-authority-data). Retrying.`;
  }
  if (sys) {
    return `${what}: the API server is unreachable (${sys.code}: ${sys.message}): check that it is running and that the kubeconfig's server address is right. Retrying; showing the last view until then.`;
  }
  return `${what}: ${message}. Retrying; showing the last view until then.`;
}

/** A watch event's resourceVersion, whatever else the object holds. */
function resourceVersionOf(o: unknown): string {
  const rv = (o as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : '';
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function parseStatus(body: unknown): { reason?: string; message?: string } | null {
  try {
    const s = (typeof body === 'string' ? JSON.parse(body) : body) as {
      kind?: string;
      reason?: string;
      message?: string;
    } | null;
    return s && typeof s === 'object' ? s : null;
  } catch {
    return null;
  }
}

/** undici wraps socket errors: TypeError "fetch failed" whose cause holds ECONNREFUSED & co. */
function systemError(err: unknown): { code: string; message: string } | null {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string') return { code: e.code, message: String(e.message ?? '') };
  }
  return null;
}
