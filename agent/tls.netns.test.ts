// The agent across machines: on TCP it serves TLS (certificate and key from files, as a
// Kubernetes Secret mounts them) and holds only the verifier of the token, and the
// dashboard's client verifies it against a CA for the name agents' certificates carry.
// Everything runs inside a namespace of the test's own: the agent listens on its
// loopback, and the client (test/agent-tls-client.ts) asks from the same namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifierOf } from './credentials.js';
import { Namespaces } from '../test/netns.js';
import { makePki } from '../test/pki.js';

const repo = new URL('..', import.meta.url).pathname;
const ns = new Namespaces('t');
const dir = mkdtempSync(join(tmpdir(), 'podnet-tls-'));
const token = randomBytes(24).toString('hex');
const PORT = 9650;
let node = '';
let agent: ChildProcess | null = null;
let agentLog = '';

/** a CA, and a certificate it signs for `name` */
const pki = (ca: string, cert: string, name: string) => makePki(dir, ca, cert, [`DNS:${name}`]);

function ask(o: { address?: string; token?: string; caFile: string | null; serverName?: string; stream?: boolean }): {
  status: number;
  node: string | null;
  error: string | null;
  stream?: { state: string; node?: string; error?: string };
} {
  const args = { address: `https://127.0.0.1:${PORT}`, token, ...o };
  const r = spawnSync(
    'nsenter',
    [
      `--net=/run/netns/${node}`,
      '--',
      process.execPath,
      '--import',
      join(repo, 'node_modules/tsx/dist/loader.mjs'),
      join(repo, 'test/agent-tls-client.ts'),
      JSON.stringify(args),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`the client said: ${r.stdout}${r.stderr}`);
  return JSON.parse(line);
}

const podnet = (args: string[]) => spawnSync('bin/podnet', args, { encoding: 'utf8' });

beforeAll(async () => {
  node = ns.add('tls');
  pki('ca', 'agent', 'podnet-agent');
  pki('other-ca', 'impostor', 'podnet-agent');
  pki('ca2', 'renewed', 'podnet-agent');
  // The agent's disk holds the verifier, never the token.
  writeFileSync(join(dir, 'verifier'), `${verifierOf(token)}\n`, { mode: 0o600 });
  const conf = {
    cniVersion: '1.0.0',
    name: 'tlsnet',
    plugins: [
      {
        type: 'podnet',
        bridge: 'v-net-0',
        stateDir: join(dir, 'state'),
        ipam: { type: 'podnet-ipam', ranges: [[{ subnet: '10.244.9.0/24' }]], dataDir: join(dir, 'ipam') },
      },
    ],
  };
  writeFileSync(join(dir, 'conflist.json'), JSON.stringify(conf));
  for (const f of ['agent.pem', 'agent.key']) copyFileSync(join(dir, f), join(dir, `serving-${f}`));
  agent = spawn(
    'bin/podnet',
    [
      'agent',
      '--netns',
      node,
      '--node',
      'tls-node',
      '--listen',
      `127.0.0.1:${PORT}`,
      '--token-file',
      join(dir, 'verifier'),
      '--tls-cert',
      join(dir, 'serving-agent.pem'),
      '--tls-key',
      join(dir, 'serving-agent.key'),
      '--no-reconcile',
      '--conflist',
      join(dir, 'conflist.json'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  agent.stdout!.on('data', (d) => (agentLog += d));
  agent.stderr!.on('data', (d) => (agentLog += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (agentLog.includes('agent up')) {
        clearInterval(timer);
        resolve();
      }
      if (agent!.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`the agent exited: ${agentLog}`));
      }
    }, 100);
  });
}, 120_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const gone = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await gone;
  }
  ns.removeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('the agent on TCP', () => {
  it('refuses to serve without TLS unless told --plain-http, and refuses half a key pair', () => {
    const plain = podnet(['agent', '--node', 'x', '--listen', '127.0.0.1:1', '--token-file', join(dir, 'verifier')]);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain('refusing to serve on TCP without TLS');
    const half = podnet([
      'agent',
      '--node',
      'x',
      '--listen',
      '127.0.0.1:1',
      '--token-file',
      join(dir, 'verifier'),
      '--tls-cert',
      join(dir, 'agent.pem'),
    ]);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--tls-cert and --tls-key go together');
  });

  it('answers the dashboard over TLS, verified against the CA for the name podnet-agent, and holds only the verifier', () => {
    expect(readFileSync(join(dir, 'verifier'), 'utf8')).not.toContain(token);
    const r = ask({ caFile: join(dir, 'ca.pem'), stream: true });
    expect(r).toMatchObject({ status: 200, node: 'tls-node' });
    expect(r.stream).toMatchObject({ state: 'live', node: 'tls-node' });
    // the token is still required, and compared with the verifier
    expect(ask({ caFile: join(dir, 'ca.pem'), token: 'x'.repeat(32) })).toMatchObject({ status: 401 });
  });

  it('is refused by the client when its certificate is not from the CA, or not for the expected name', () => {
    const strange = ask({ caFile: join(dir, 'other-ca.pem') });
    expect(strange.status).toBe(0);
    expect(strange.error).toMatch(/certificate|UNABLE_TO_VERIFY|SELF_SIGNED/i);
    const wrongName = ask({ caFile: join(dir, 'ca.pem'), serverName: 'some-other-name' });
    expect(wrongName.status).toBe(0);
    expect(wrongName.error).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altname|does not match/i);
  });

  it('does not talk plain HTTP on its TLS port', () => {
    const plain = ask({ address: `127.0.0.1:${PORT}`, caFile: null });
    expect(plain.status === 0 || plain.status === 400).toBe(true);
    expect(plain.node).toBeNull();
  });

  it('takes a renewed certificate without a restart', async () => {
    copyFileSync(join(dir, 'renewed.pem'), join(dir, 'serving-agent.pem'));
    copyFileSync(join(dir, 'renewed.key'), join(dir, 'serving-agent.key'));
    // The agent looks at its files every 10 s: poll well past that.
    let r = ask({ caFile: join(dir, 'ca2.pem') });
    for (let i = 0; i < 30 && r.status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 1_000));
      r = ask({ caFile: join(dir, 'ca2.pem') });
    }
    expect(r).toMatchObject({ status: 200, node: 'tls-node' });
    expect(ask({ caFile: join(dir, 'ca.pem') }).status).toBe(0); // the old certificate is gone
    expect(agent!.exitCode).toBeNull();
  }, 120_000);
});
