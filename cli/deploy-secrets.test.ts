// `podnet deploy secrets` end to end: the real CLI against the test API server (which keeps
// Secrets as the apiserver does). A first run makes all five with contents that work — the
// agent's own loaders and server accept the verifier and the TLS pair, and the dashboard's
// client verifies the certificate against the CA for podnet-agent —, a second run changes
// nothing, a half pair is refused naming what to delete, a 403 names the missing rule, and a
// concurrent writer's secret (409) is taken as it is.
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTls, readTokenVerifier, tokenDigest, verifierOf } from '../agent/credentials.js';
import { EventLog } from '../agent/events.js';
import { Metrics } from '../agent/metrics.js';
import { createAgentServer, listen } from '../agent/server.js';
import { agentRequest } from '../lib/agent/request.js';
import { configureAgentTls } from '../lib/agent/tls.js';
import { MIN_KEY_LENGTH } from '../lib/key-file.js';
import { makeAgentPki } from '../lib/pki.js';
import { KubeApiServer, writeKubeconfig, type TestKubeconfig } from '../test/kube-api-server.js';

const NS = 'podnet-system';
const ALL = [
  'podnet-agent-token',
  'podnet-agent-verifier',
  'podnet-agent-tls',
  'podnet-agent-ca',
  'podnet-dashboard-key',
];

let server: KubeApiServer;
let kubeconfig: TestKubeconfig;
let dir = '';

beforeEach(async () => {
  server = await KubeApiServer.start();
  kubeconfig = writeKubeconfig(server);
  dir = mkdtempSync(join(tmpdir(), 'podnet-deploy-secrets-'));
});

afterEach(async () => {
  kubeconfig.remove();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// not spawnSync: that would block the test API server, which runs in this very process
function podnet(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bin/podnet',
      ['deploy', 'secrets', '--kubeconfig', kubeconfig.path, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** a Secret's data as the pod that mounts it reads it */
function data(name: string, ns = NS): Record<string, string> {
  const s = server.secrets.get(`${ns}/${name}`);
  if (!s) throw new Error(`no Secret ${ns}/${name}`);
  return Object.fromEntries(
    Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** stores a Secret as if an earlier run (or another writer) had made it */
function plant(name: string, values: Record<string, string>, type = 'Opaque'): void {
  server.secrets.set(`${NS}/${name}`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS, resourceVersion: '1' },
    type,
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });
}

describe('podnet deploy secrets', () => {
  it('creates all five with contents the agent and the dashboard accept, then a second run changes nothing', async () => {
    const first = await podnet('--namespace', NS, '--json');
    expect(first.status, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { namespace: string; created: string[]; present: string[] };
    expect(report).toEqual({ namespace: NS, created: ALL, present: [] });
    expect([...server.secrets.keys()].sort()).toEqual(ALL.map((n) => `${NS}/${n}`).sort());

    const { token } = data('podnet-agent-token');
    const { verifier } = data('podnet-agent-verifier');
    const tls = data('podnet-agent-tls');
    const { 'ca.crt': caCert } = data('podnet-agent-ca');
    const { key } = data('podnet-dashboard-key');
    expect(token!.length).toBeGreaterThanOrEqual(16);
    expect(verifier).toBe(verifierOf(token!));
    expect(verifier).not.toContain(token);
    expect(key!.length).toBeGreaterThanOrEqual(MIN_KEY_LENGTH);
    expect(key).not.toBe(token);
    expect(server.secrets.get(`${NS}/podnet-agent-tls`).type).toBe('kubernetes.io/tls');
    // the certificate is for the agents' name and signed by the CA, as openssl sees it too
    const cert = new X509Certificate(tls['tls.crt']!);
    expect(cert.checkHost('podnet-agent')).toBe('podnet-agent');
    expect(cert.verify(new X509Certificate(caCert!).publicKey)).toBe(true);
    for (const [f, text] of Object.entries({
      'ca.crt': caCert!,
      'tls.crt': tls['tls.crt']!,
      'tls.key': tls['tls.key']!,
    }))
      writeFileSync(join(dir, f), text);
    writeFileSync(join(dir, 'verifier'), verifier!);
    expect(
      execFileSync('openssl', ['verify', '-CAfile', 'ca.crt', '-verify_hostname', 'podnet-agent', 'tls.crt'], {
        cwd: dir,
        encoding: 'utf8',
      }).trim(),
    ).toBe('tls.crt: OK');
    // the CA is a CA, the agents' certificate is not
    expect(new X509Certificate(caCert!).ca).toBe(true);
    expect(cert.ca).toBe(false);

    // The agent's loaders take the mounted files; its HTTPS server answers the dashboard's
    // client (CA and name checked) with the token, and refuses a wrong one.
    const loaded = readTokenVerifier(join(dir, 'verifier'));
    expect(loaded).toEqual({ digest: tokenDigest(token!), rawToken: false });
    const agent = createAgentServer(
      {
        node: 'node1',
        verifier: loaded.digest,
        snapshot: () => null,
        events: new EventLog(),
        subscribe: () => () => {},
        metrics: new Metrics(),
        probe: async () => ({ status: 500, body: {} }),
        lookup: async () => ({ status: 500, body: {} }),
      },
      readTls({ cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') }),
    );
    await listen(agent, '127.0.0.1:0');
    try {
      const address = `https://127.0.0.1:${(agent.address() as AddressInfo).port}`;
      configureAgentTls(join(dir, 'ca.crt'));
      // 503: past the token check, the agent has no snapshot yet (no collector here)
      expect((await agentRequest(address, token!, 'GET', '/v1/snapshot', undefined, 5_000)).status).toBe(503);
      expect(
        (await agentRequest(address, 'not-the-token-at-all', 'GET', '/v1/snapshot', undefined, 5_000)).status,
      ).toBe(401);
      // and the client refuses an agent whose certificate another CA signed
      const other = makeAgentPki();
      writeFileSync(join(dir, 'other-ca.crt'), other.caCert);
      configureAgentTls(join(dir, 'other-ca.crt'));
      await expect(agentRequest(address, token!, 'GET', '/v1/snapshot', undefined, 5_000)).rejects.toThrow();
    } finally {
      configureAgentTls(null);
      agent.closeAllConnections();
      await new Promise((r) => agent.close(r));
    }

    const before = structuredClone([...server.secrets]);
    const posts = server.requests.filter((r) => r.method === 'POST').length;
    const second = await podnet('--namespace', NS, '--json');
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ namespace: NS, created: [], present: ALL });
    expect([...server.secrets]).toEqual(before);
    expect(server.requests.filter((r) => r.method === 'POST').length).toBe(posts); // not even tried
  }, 60_000);

  it('makes only the calls its Role allows: get and create of secrets in its namespace', async () => {
    const r = await podnet('--namespace', 'other-ns');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('created secret other-ns/podnet-agent-tls');
    const calls = new Set(
      server.requests.map((q) => `${q.method} ${q.path.replace(/secrets\/[^/]+$/, 'secrets/NAME')}`),
    );
    expect([...calls].sort()).toEqual([
      'GET /api/v1/namespaces/other-ns/secrets/NAME',
      'POST /api/v1/namespaces/other-ns/secrets',
    ]);
  }, 60_000);

  it('defaults to the namespace podnet-system outside a pod', async () => {
    const r = await podnet('--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).namespace).toBe('podnet-system');
    expect(server.secrets.has('podnet-system/podnet-dashboard-key')).toBe(true);
  }, 60_000);

  it('creates only what is missing, and keeps what is there', async () => {
    plant('podnet-dashboard-key', { key: 'an-operator-chosen-key' });
    const r = await podnet('--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ present: ['podnet-dashboard-key'] });
    expect(data('podnet-dashboard-key')).toEqual({ key: 'an-operator-chosen-key' });
  }, 60_000);

  it('refuses a token without its verifier, naming the Secret to delete, and creates nothing', async () => {
    plant('podnet-agent-token', { token: 'a-token-from-a-run-that-stopped' });
    const r = await podnet('--json');
    expect(r.status).toBe(1);
    const { error } = JSON.parse(r.stdout) as { error: string };
    expect(error).toContain('podnet-system/podnet-agent-token exists but podnet-agent-verifier does not');
    expect(error).toContain('kubectl -n podnet-system delete secret podnet-agent-token');
    expect([...server.secrets.keys()]).toEqual(['podnet-system/podnet-agent-token']);
    expect(server.requests.filter((q) => q.method === 'POST')).toEqual([]);
  }, 60_000);

  it('refuses a CA without its certificate, and a certificate that is not the CA’s', async () => {
    const a = makeAgentPki();
    plant('podnet-agent-ca', { 'ca.crt': a.caCert });
    let r = await podnet();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('podnet-agent-ca exists but podnet-agent-tls does not');
    expect(r.stderr).toContain('delete secret podnet-agent-ca');

    plant('podnet-agent-tls', { 'tls.crt': makeAgentPki().cert, 'tls.key': a.key }, 'kubernetes.io/tls');
    r = await podnet();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('podnet-agent-tls and podnet-agent-ca do not agree');
    expect(r.stderr).toContain('delete secret podnet-agent-tls podnet-agent-ca');
  }, 60_000);

  it('says which RBAC rule is missing on a 403, for get and for create', async () => {
    server.forbidSecrets(['get']);
    let r = await podnet();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot get the Secret podnet-system/podnet-agent-token');
    expect(r.stderr).toContain('403 Forbidden');
    expect(r.stderr).toContain('resources: ["secrets"], verbs: ["get", "create"]');

    server.forbidSecrets(['create']);
    r = await podnet();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot create the Secret podnet-system/podnet-agent-token');
    expect(r.stderr).toContain('cannot create resource "secrets"');
    expect(server.secrets.size).toBe(0);
  }, 60_000);

  it('says the API server is unreachable', async () => {
    await server.close();
    const r = await podnet();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the API server is unreachable \(ECONNREFUSED/);
    server = await KubeApiServer.start(); // for afterEach
  }, 60_000);

  it("takes a concurrent run's token as it is and derives the verifier from it (409)", async () => {
    const theirs = 'the-token-another-run-made-first';
    server.beforeSecretCreate = (_ns, name) => {
      if (name === 'podnet-agent-token') plant(name, { token: theirs });
    };
    const r = await podnet('--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { created: string[]; present: string[] };
    expect(report.present).toEqual(['podnet-agent-token']);
    expect(report.created).toContain('podnet-agent-verifier');
    expect(data('podnet-agent-token')).toEqual({ token: theirs });
    expect(data('podnet-agent-verifier')).toEqual({ verifier: verifierOf(theirs) });
  }, 60_000);

  it("takes a concurrent run's certificate and CA together, and makes no CA of its own", async () => {
    const theirs = makeAgentPki();
    server.beforeSecretCreate = (_ns, name) => {
      if (name !== 'podnet-agent-tls') return;
      plant(name, { 'tls.crt': theirs.cert, 'tls.key': theirs.key }, 'kubernetes.io/tls');
      plant('podnet-agent-ca', { 'ca.crt': theirs.caCert });
    };
    const r = await podnet('--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ present: ['podnet-agent-tls', 'podnet-agent-ca'] });
    expect(data('podnet-agent-ca')).toEqual({ 'ca.crt': theirs.caCert });
    expect(server.requests.filter((q) => q.method === 'POST')).toHaveLength(4); // token, verifier, tls (409), key
  }, 60_000);
});
