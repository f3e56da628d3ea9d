// What the agent reads of a kubeconfig itself, and what it leaves to @kubernetes/client-node
// (null): anything but a server, a CA, skip-verify, a token and a client certificate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeconfigText } from '../../lab/kube-config';
import { loadKubeEndpoint } from './endpoint';

const dirs: string[] = [];
const kubeconfigEnv = process.env.KUBECONFIG;
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (kubeconfigEnv === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = kubeconfigEnv;
});

function file(name: string, text: string): string {
  if (dirs.length === 0) dirs.push(mkdtempSync(join(tmpdir(), 'podnet-endpoint-')));
  const path = join(dirs[0]!, name);
  writeFileSync(path, text);
  return path;
}

/** A kubeconfig of one context, with these cluster and user fields (YAML, indented 4). */
const config = (cluster: string, user: string, extra = '') =>
  [
    'apiVersion: v1',
    'clusters:',
    '- name: c',
    '  cluster:',
    cluster,
    'users:',
    '- name: u',
    '  user:',
    user,
    extra,
    'contexts:',
    '- name: x',
    '  context: {cluster: c, user: u}',
    'current-context: x',
    '',
  ].join('\n');

describe('loadKubeEndpoint', () => {
  it("reads the lab's kubeconfig: the server, skip-verify, the token", () => {
    const path = file('config', kubeconfigText('http://127.0.0.1:6443/', 'tok', 'lab'));
    expect(loadKubeEndpoint(path)).toEqual({
      server: 'http://127.0.0.1:6443',
      skipTLSVerify: true,
      ca: undefined,
      cert: undefined,
      key: undefined,
      token: 'tok',
    });
  });

  it('takes CA and client certificate files relative to the kubeconfig, data decoded, a token file read', () => {
    const token = file('token', 'from-a-file\n');
    const path = file(
      'config',
      config(
        '    server: https://api:6443\n    certificate-authority: ca.pem\n    tls-server-name: kubernetes',
        `    client-certificate-data: ${Buffer.from('CERT').toString('base64')}\n    client-key: keys/key.pem\n    token-file: ${token}`,
      ),
    );
    const e = loadKubeEndpoint(path)!;
    expect(e.ca).toEqual({ file: join(dirs[0]!, 'ca.pem') });
    expect(e.cert).toEqual({ data: Buffer.from('CERT') });
    expect(e.key).toEqual({ file: join(dirs[0]!, 'keys', 'key.pem') });
    expect(e.token).toBe('from-a-file\n');
    expect(e.tlsServerName).toBe('kubernetes');
    expect(e.skipTLSVerify).toBe(false);
  });

  it.each([
    [
      'an exec plugin',
      config('    server: https://api', '    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}'),
    ],
    ['an auth provider', config('    server: https://api', '    auth-provider: {name: oidc}')],
    ['basic auth', config('    server: https://api', '    username: a\n    password: b')],
    ['impersonation', config('    server: https://api', '    token: t\n    as: admin')],
    ['a proxy', config('    server: https://api\n    proxy-url: http://proxy:3128', '    token: t')],
    ['an incomplete entry', config('    server: https://api', '    token: t', '- user: {token: t}')],
    ['a server that is not text', config('    server: 6443', '    token: t')],
    [
      'no such current context',
      config('    server: https://api', '    token: t').replace('current-context: x', 'current-context: y'),
    ],
    ['not YAML', 'clusters: [\n'],
    ['a missing token file', config('    server: https://api', '    token-file: /nonexistent/token')],
  ])('leaves %s to the full client', (_what, text) => {
    expect(loadKubeEndpoint(file('config', text))).toBeNull();
  });

  it("reads the pod's service account when there is no kubeconfig, as client-node's loadFromCluster", () => {
    const saved = { ...process.env };
    try {
      file('token', 'sa-token');
      const sa = dirs[0]!;
      // a home without .kube/config
      const home = mkdtempSync(join(tmpdir(), 'podnet-endpoint-home-'));
      dirs.push(home);
      Object.assign(process.env, { HOME: home, KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' });
      delete process.env.KUBECONFIG;
      expect(loadKubeEndpoint(undefined, sa)).toEqual({
        server: 'https://[fd00::1]:443',
        skipTLSVerify: false,
        ca: { file: `${sa}/ca.crt` },
        tokenFile: `${sa}/token`,
      });
      expect(loadKubeEndpoint(undefined, join(sa, 'none'))).toBeNull();
    } finally {
      for (const k of ['HOME', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
  });

  it('leaves a missing file, and $KUBECONFIG naming several files, to the full client', () => {
    expect(loadKubeEndpoint('/nonexistent/kubeconfig')).toBeNull();
    const a = file('a', config('    server: https://a', '    token: t'));
    const b = file('b', config('    server: https://b', '    token: t'));
    process.env.KUBECONFIG = `${a}:${b}`;
    expect(loadKubeEndpoint(undefined)).toBeNull();
    process.env.KUBECONFIG = a;
    expect(loadKubeEndpoint(undefined)?.server).toBe('https://a');
  });
});
