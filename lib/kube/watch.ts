// lib/kube/reflector.ts's reflectors with their requests made by @kubernetes/client-node:
// for the dashboard and the install step, whose kubeconfig may be anything kubectl takes
// (exec plugins, auth providers, proxies). The node agent's requests usually go over
// node:http instead (lib/kube/http-client.ts), without this client in its memory.
import {
  CoreV1Api,
  KubeConfig,
  Observable,
  Watch,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { provideKubeConfig } from './config';
import { KubeReflectors, parseList, type KubeClient, type KubeResource, type RawList } from './reflector';

export { BACKOFF_MAX_MS, BACKOFF_START_MS, describeFailure, type KubeResource } from './reflector';

// lib/kube/config.ts takes the class from here: importing it alone must not load the client.
provideKubeConfig(KubeConfig);

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
/** undici's Dispatcher, as far as used here (undici is not a direct dependency) */
type Dispatcher = { destroy(): Promise<void> };

export class KubeWatch extends KubeReflectors {
  constructor(
    kc: KubeConfig,
    changed: () => void,
    resources: readonly KubeResource[] = ['nodes', 'pods'],
    opts: { nodeFieldSelector?: string } = {},
  ) {
    super(() => new ClientNodeClient(kc), changed, resources, opts);
  }
}

class ClientNodeClient implements KubeClient {
  readonly server: string;
  private readonly api: CoreV1Api;
  private readonly watcher: Watch;
  private dispatcher: Dispatcher | null = null;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(kc: KubeConfig) {
    // 2.0.1 builds a new undici Agent for every request (whenever the cluster has any TLS
    // setting, skip-verify included) and never closes it; and a watch cannot be aborted
    // before its response headers arrive. A view of the KubeConfig that hands every request
    // of this client our signal and keeps its dispatcher lets close() end them all.
    const tracked = Object.create(kc) as KubeConfig;
    tracked.applySecurityAuthentication = async (ctx: RequestContext) => {
      await kc.applySecurityAuthentication.call(tracked, ctx);
      // this client's requests run one at a time: the previous one is over
      this.retireDispatcher();
      this.dispatcher = (ctx.getDispatcher() as Dispatcher | undefined) ?? null;
      if (!ctx.getSignal()) ctx.setSignal(this.abort.signal);
      if (this.closed) this.retireDispatcher();
    };
    this.server = kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
    this.api = tracked.makeApiClient(CoreV1Api);
    this.watcher = new Watch(tracked);
  }

  /** Lists through CoreV1Api, but takes the body as JSON before the generated client's
   *  deserializer sees it: that throws on the whole list when one object's array field is
   *  not an array (a newer API version), and it would build 10,000 class instances only
   *  for each to be parsed again. The client is handed an empty list. */
  async list(resource: KubeResource, fieldSelector: string | undefined): Promise<RawList> {
    let raw: RawList | null = null;
    // CoreV1Api hands its options to the observable layer as they are (not wrapped)
    const middleware: ObservableMiddleware = {
      pre: (ctx) => new Observable(Promise.resolve(ctx)),
      post: (rsp) =>
        new Observable(
          (async () => {
            if (rsp.httpStatusCode !== 200) return rsp; // the client turns it into an ApiException
            raw = parseList(await rsp.body.text(), resource);
            const empty = '{"items":[]}';
            rsp.body = { text: async () => empty, binary: async () => Buffer.from(empty), stream: () => null };
            return rsp;
          })(),
        ),
    };
    const options: ConfigurationOptions = { middleware: [middleware], middlewareMergeStrategy: 'append' };
    if (resource === 'nodes') await this.api.listNode(fieldSelector ? { fieldSelector } : {}, options);
    else await this.api.listPodForAllNamespaces({}, options);
    if (!raw) throw new Error(`the ${resource} list was not read`);
    return raw;
  }

  watch(
    path: string,
    query: Record<string, string | boolean>,
    onEvent: (type: string, object: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    return this.watcher.watch(path, query, onEvent, done);
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    this.retireDispatcher();
  }

  private retireDispatcher(): void {
    const d = this.dispatcher;
    this.dispatcher = null;
    d?.destroy().catch(() => {});
  }
}
