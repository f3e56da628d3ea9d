// Secrets of one namespace through the Kubernetes API: read one by name, create one — the
// two calls `podnet deploy secrets` makes, and so the only rights its Role needs (get and
// create on secrets in that namespace). Failures become sentences that say what to do: a
// 403 names the RBAC rule that is missing.
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { provideKubeConfig } from './config.js';

// lib/kube/config.ts takes the class from here: importing it alone must not load the client.
provideKubeConfig(KubeConfig);

export class SecretsApiError extends Error {}

export interface NewSecret {
  name: string;
  /** absent: Opaque */
  type?: string;
  data: Record<string, string>;
  labels?: Record<string, string>;
}

/** What the two calls need; the Kubernetes one below, or anything a test gives. */
export interface SecretStore {
  readonly namespace: string;
  /** the Secret's data (decoded), or null when there is no such Secret */
  read(name: string): Promise<Record<string, string> | null>;
  /** 'present' when it exists already (409 AlreadyExists: made meanwhile by someone else) */
  create(secret: NewSecret): Promise<'created' | 'present'>;
}

export class KubeSecretStore implements SecretStore {
  private readonly api: CoreV1Api;
  private readonly server: string;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.server = kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  }

  async read(name: string): Promise<Record<string, string> | null> {
    try {
      const s = await this.api.readNamespacedSecret({ name, namespace: this.namespace });
      return Object.fromEntries(
        Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      );
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return null;
      throw new SecretsApiError(this.describe('get', name, e));
    }
  }

  async create(secret: NewSecret): Promise<'created' | 'present'> {
    try {
      await this.api.createNamespacedSecret({
        namespace: this.namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secret.name, namespace: this.namespace, labels: secret.labels },
          type: secret.type ?? 'Opaque',
          data: Object.fromEntries(
            Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
          ),
        },
      });
      return 'created';
    } catch (e) {
      if (e instanceof ApiException && e.code === 409) return 'present';
      throw new SecretsApiError(this.describe('create', secret.name, e));
    }
  }

  private describe(verb: 'get' | 'create', name: string, err: unknown): string {
    const what = `cannot ${verb} the Secret ${this.namespace}/${name} at ${this.server}`;
    if (err instanceof ApiException) {
      const status = statusOf(err.body);
      const said = `${err.code}${status.reason ? ` ${status.reason}` : ''}${status.message ? `: ${status.message}` : ''}`;
      if (err.code === 401)
        return `${what}: the API server answered ${said}. The kubeconfig's credentials (token, client certificate) are missing, wrong or expired: renew them, or check that the pod's service account token is mounted.`;
      if (err.code === 403)
        return `${what}: the API server answered ${said}. Its service account (or user) needs a Role in the namespace ${this.namespace} with the rule {apiGroups: [""], resources: ["secrets"], verbs: ["get", "create"]}, bound to it by a RoleBinding (deploy/: the podnet-setup Role).`;
      if (err.code === 404 && verb === 'create')
        return `${what}: the API server answered ${said}. Does the namespace exist? (kubectl create namespace ${this.namespace})`;
      return `${what}: the API server answered ${said}.`;
    }
    const sys = systemError(err);
    if (sys)
      return `${what}: the API server is unreachable (${sys.code}: ${sys.message}): check that it is running and that the kubeconfig's server address is right.`;
    return `${what}: ${(err as Error).message ?? String(err)}`;
  }
}

function statusOf(body: unknown): { reason?: string; message?: string } {
  try {
    const s = (typeof body === 'string' ? JSON.parse(body) : body) as { reason?: unknown; message?: unknown } | null;
    return {
      reason: typeof s?.reason === 'string' ? s.reason : undefined,
      message: typeof s?.message === 'string' ? s.message : undefined,
    };
  } catch {
    return {};
  }
}

/** undici wraps socket errors: TypeError "fetch failed" whose cause holds ECONNREFUSED & co. */
function systemError(err: unknown): { code: string; message: string } | null {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string') return { code: e.code, message: String(e.message ?? '') };
  }
  return null;
}
