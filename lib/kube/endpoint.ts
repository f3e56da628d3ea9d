// The node agent's kubeconfig, read without @kubernetes/client-node (lib/kube/http-client.ts
// says why) for the cases it can read exactly as that client does: the pod's service account
// (the DaemonSet), and one kubeconfig file whose current context's cluster and user take
// only a server, a CA, skip-verify, tls-server-name, a token (or token file) and a client
// certificate. Anything else — exec plugins, auth providers, basic auth, impersonation, a
// proxy, several $KUBECONFIG files, a file that does not parse or is incomplete, no config at
// all — is null: the caller loads the full client, which reads it, or says what is wrong with
// it, in its own words (lib/kube/config.ts).
import { accessSync, existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { KubeEndpoint } from './http-client';

const SERVICEACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  // read by neither client
  'extensions',
  'disable-compression',
]);
const USER_KEYS = new Set([
  'token',
  'token-file',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'extensions',
]);

/** The endpoint `loadKubeConfig(path)` would give requests, or null: see above.
 *  `serviceAccount`: where the pod's token and CA are (tests give another). */
export function loadKubeEndpoint(path: string | undefined, serviceAccount = SERVICEACCOUNT): KubeEndpoint | null {
  try {
    return find(path, serviceAccount);
  } catch {
    return null;
  }
}

/** client-node's loadFromFile and loadFromDefault, in their order. */
function find(path: string | undefined, serviceAccount: string): KubeEndpoint | null {
  if (path) return fromFile(path);
  const env = process.env.KUBECONFIG;
  if (env) {
    const files = env.split(delimiter).filter(Boolean);
    return files.length === 1 ? fromFile(files[0]!) : null;
  }
  const home = process.env.HOME;
  if (home && readable(home) && existsSync(join(home, '.kube', 'config')))
    return fromFile(join(home, '.kube', 'config'));
  return existsSync(`${serviceAccount}/token`) ? inCluster(serviceAccount) : null;
}

function readable(path: string): boolean {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

function inCluster(serviceAccount: string): KubeEndpoint {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  return {
    server: `${scheme}://${host && isIPv6(host) ? `[${host}]` : host}:${port}`,
    skipTLSVerify: false,
    ca: { file: `${serviceAccount}/ca.crt` },
    tokenFile: `${serviceAccount}/token`,
  };
}

type Entry = Record<string, unknown>;
const isObject = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

function fromFile(file: string): KubeEndpoint | null {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (!isObject(doc)) return null;
  const list = (k: string) => (Array.isArray(doc[k]) ? (doc[k] as unknown[]) : []);
  // client-node refuses the whole file for one incomplete entry: leave that to it
  const clusters = list('clusters');
  const users = list('users');
  const contexts = list('contexts');
  if (!clusters.every((c) => isObject(c) && c.name && isObject(c.cluster) && typeof c.cluster.server === 'string'))
    return null;
  if (!users.every((u) => isObject(u) && u.name)) return null;
  if (!contexts.every((c) => isObject(c) && c.name && isObject(c.context) && c.context.cluster)) return null;
  const named = (entries: unknown[], name: unknown) =>
    entries.find((e) => (e as Entry).name === name) as Entry | undefined;
  const context = named(contexts, doc['current-context'])?.context as Entry | undefined;
  const cluster = context && (named(clusters, context.cluster)?.cluster as Entry | undefined);
  if (!context || !cluster) return null;
  const user = context.user ? ((named(users, context.user)?.user ?? null) as Entry | null) : null;
  if (Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k))) return null;
  if (user && !isObject(user)) return null;
  if (user && Object.keys(user).some((k) => !USER_KEYS.has(k))) return null;
  for (const v of [cluster['certificate-authority'], cluster['certificate-authority-data'], cluster['tls-server-name']])
    if (!optionalString(v)) return null;
  if (user && ![...USER_KEYS].every((k) => k === 'extensions' || optionalString(user[k]))) return null;

  const root = dirname(file);
  const absolute = (p: string) => (isAbsolute(p) ? p : join(root, p));
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  // a file wins over data; files are read at each request, as client-node does
  const fileOrData = (path: unknown, data: unknown) =>
    str(path) ? { file: absolute(str(path)!) } : str(data) ? { data: Buffer.from(str(data)!, 'base64') } : undefined;
  return {
    server: (cluster.server as string).replace(/\/$/, ''),
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(str(cluster['tls-server-name']) ? { tlsServerName: str(cluster['tls-server-name']) } : {}),
    ca: fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']),
    cert: user ? fileOrData(user['client-certificate'], user['client-certificate-data']) : undefined,
    key: user ? fileOrData(user['client-key'], user['client-key-data']) : undefined,
    // a token file named in a kubeconfig is read once, when it is loaded, as client-node does
    token: user
      ? (str(user.token) ?? (str(user['token-file']) ? readFileSync(user['token-file'] as string, 'utf8') : undefined))
      : undefined,
  };
}
