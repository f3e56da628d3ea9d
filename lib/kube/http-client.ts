// The node agent's requests to the API server, over node:http(s): a list (GET, JSON) and a
// watch (GET ?watch=true, one JSON event a line) — all lib/kube/reflector.ts asks. It acts
// as @kubernetes/client-node 2.0.1 does with the same kubeconfig (lib/kube/endpoint.ts reads
// it): the bearer token, the CA, the client certificate, skip-verify, tls-server-name; plain
// http refused unless skip-verify is set; a watch ended after 30 s without a byte; failures in
// the shapes describeFailure reads. It exists because that client's ~1,000 modules cost the
// agent ~38 MB, a third of its memory.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, STATUS_CODES, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parseList, type KubeClient, type KubeResource, type RawList } from './reflector';

/** What a request needs of a kubeconfig's cluster and user. */
export interface KubeEndpoint {
  /** without a trailing slash */
  server: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  ca?: Pem;
  cert?: Pem;
  key?: Pem;
  /** the bearer token, or where to read it (again after TOKEN_FILE_MS) */
  token?: string;
  tokenFile?: string;
}

/** a file is read at each request, as client-node does (a rotated certificate is used) */
export type Pem = { file: string } | { data: Buffer };

const pem = (p: Pem | undefined) => (p ? ('file' in p ? readFileSync(p.file) : p.data) : undefined);

/** client-node's Watch: a watch with no byte for this long is ended (TimeoutError) */
export const WATCH_IDLE_MS = 30_000;
/** how long a token read from a file is used (client-node's FileAuth, client-go's) */
const TOKEN_FILE_MS = 60_000;

const PLAIN_HTTP_REFUSED = 'HTTP protocol is not allowed when skipTLSVerify is not set or false';

export class HttpKubeClient implements KubeClient {
  readonly server: string;
  private readonly agent: HttpAgent | HttpsAgent | null;
  private readonly abort = new AbortController();
  private tokenRead: { token: string; at: number } | null = null;

  constructor(private readonly endpoint: KubeEndpoint) {
    this.server = endpoint.server;
    const http = endpoint.server.startsWith('http:');
    // refused at the first request, where client-node refuses it, so the reflector words it
    this.agent =
      http && !endpoint.skipTLSVerify
        ? null
        : http
          ? new HttpAgent({ keepAlive: true })
          : new HttpsAgent({ keepAlive: true });
  }

  async list(resource: KubeResource, fieldSelector: string | undefined): Promise<RawList> {
    const rsp = await this.get(
      `/api/v1/${resource}${fieldSelector ? `?fieldSelector=${encodeURIComponent(fieldSelector)}` : ''}`,
    );
    const text = await readAll(rsp);
    const code = rsp.statusCode!;
    // as client-node's generated list: another 2xx is no list; a 401's body is not kept
    if (code > 200 && code <= 299) throw new Error(`the ${resource} list was not read`);
    // the shape of its ApiException: the status, and the body (a Status) as text
    if (code !== 200)
      throw Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: code === 401 ? undefined : text });
    return parseList(text, resource);
  }

  async watch(
    path: string,
    query: Record<string, string | boolean>,
    onEvent: (type: string, object: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (this.abort.signal.aborted) controller.abort();
    else this.abort.signal.addEventListener('abort', abort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', abort);
      controller.abort();
      done(err);
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const e = new Error('The operation was aborted due to timeout');
        e.name = 'TimeoutError';
        finish(e);
      }, WATCH_IDLE_MS);
      timer.unref();
    };
    const params = new URLSearchParams({ watch: 'true' });
    for (const [k, v] of Object.entries(query)) params.set(k, String(v));
    try {
      idle();
      const rsp = await this.get(`${path}?${params}`, controller.signal);
      if (rsp.statusCode !== 200) {
        rsp.resume();
        const text = rsp.statusMessage || STATUS_CODES[rsp.statusCode!] || 'Internal Server Error';
        throw Object.assign(new Error(text), { statusCode: rsp.statusCode });
      }
      idle();
      let rest = '';
      rsp.setEncoding('utf8');
      rsp.on('data', (chunk: string) => {
        idle();
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (finished) return;
          let event: { type?: unknown; object?: unknown } | null;
          try {
            event = JSON.parse(line) as typeof event;
          } catch {
            continue; // as client-node: a line that is not JSON is passed over
          }
          if (event && typeof event === 'object') onEvent(String(event.type), event.object);
        }
      });
      rsp.on('end', () => finish(null));
      rsp.on('error', finish);
      // closed before the response's end: the connection dropped (undici says "terminated")
      rsp.on('close', () => finish(rsp.complete ? null : new Error('terminated')));
    } catch (err) {
      finish(err);
    }
    return { abort: () => finish(null) };
  }

  close(): void {
    this.abort.abort();
    this.agent?.destroy();
  }

  private bearer(): string | undefined {
    const e = this.endpoint;
    if (e.tokenFile) {
      if (!this.tokenRead || Date.now() - this.tokenRead.at > TOKEN_FILE_MS)
        this.tokenRead = { token: readFileSync(e.tokenFile, 'utf8'), at: Date.now() };
      return this.tokenRead.token;
    }
    return e.token;
  }

  private get(pathAndQuery: string, signal: AbortSignal = this.abort.signal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (!this.agent) throw new Error(PLAIN_HTTP_REFUSED);
      const e = this.endpoint;
      const token = this.bearer()?.trim();
      const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'podnet' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const url = new URL(e.server + pathAndQuery);
      const options = { agent: this.agent, headers, signal };
      const req =
        this.agent instanceof HttpsAgent
          ? httpsRequest(url, {
              ...options,
              ca: pem(e.ca),
              cert: pem(e.cert),
              key: pem(e.key),
              ...(e.skipTLSVerify ? { rejectUnauthorized: false } : {}),
              ...(e.tlsServerName ? { servername: e.tlsServerName } : {}),
            })
          : httpRequest(url, options);
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });
  }
}

function readAll(rsp: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    rsp.on('data', (c: Buffer) => chunks.push(c));
    rsp.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    rsp.on('error', reject);
  });
}
