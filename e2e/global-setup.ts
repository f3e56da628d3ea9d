// Brings up what the end-to-end tests look at: a lab with its own id, the dashboard on
// it (production build, through `podnet dashboard` as a user runs it), a second
// dashboard built for a sub-path and read-only, and two tiny "portal" servers on loopback that frame
// the embed page — one from an allowed origin, one from an origin that is not.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { readEnv, writeEnv, type E2eEnv } from './env';

export const SUBPATH = '/portal/podnet';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** `podnet dashboard …` in the background, with the tests' key unless told otherwise;
 *  resolves once it answers with its URL as printed (`?token=…` in it) and without the query. */
export function dashboard(
  args: string[],
  keyFile = readEnv().keyFile,
): Promise<{ url: string; printedUrl: string; pid: number }> {
  const auth = args.includes('--no-auth') || args.includes('--token-file') ? [] : ['--token-file', keyFile];
  const child = spawn('bin/podnet', ['dashboard', '--json', ...auth, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: false,
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      const printedUrl = (JSON.parse(line) as { url: string }).url;
      const url = new URL(printedUrl);
      url.search = '';
      resolve({ url: url.toString(), printedUrl, pid: child.pid! });
    });
    child.on('exit', (code) => reject(new Error(`podnet dashboard ${args.join(' ')} exited ${code}`)));
  });
}

/** A portal page that frames `src`; served by a child node process so it outlives setup. */
function portal(port: number, src: string): number {
  const code = `require('http').createServer((q, s) => { s.setHeader('content-type', 'text/html'); s.end('<!doctype html><title>portal</title><h1>portal</h1><iframe id="podnet" src=${JSON.stringify(src)} width="900" height="600"></iframe>'); }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return child.pid!;
}

export default async function globalSetup(): Promise<void> {
  mkdirSync('e2e/artifacts', { recursive: true });
  const labId = `e${randomBytes(3).toString('hex')}`;
  const up = spawnSync('bin/podnet', ['lab', 'up', '--lab-id', labId, '--pods-per-node', '2'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The dashboards run with a key, as users run them; the tests send it (e2e/test.ts).
  const keyDir = mkdtempSync(join(tmpdir(), 'podnet-e2e-key-'));
  const key = randomBytes(24).toString('base64url');
  writeFileSync(join(keyDir, 'dashboard.key'), `${key}\n`, { mode: 0o600 });
  const env: E2eEnv = {
    labId,
    url: '',
    subpathUrl: '',
    portal: '',
    foreignPortal: '',
    pids: [],
    key,
    keyFile: join(keyDir, 'dashboard.key'),
    keyDir,
  };
  writeEnv(env); // the teardown removes the lab even if what follows fails
  if (up.status !== 0) throw new Error(`podnet lab up --lab-id ${labId} failed:\n${up.stdout}`);
  const [portalPort, foreignPort] = [await freePort(), await freePort()];
  const main = await dashboard(['--lab-id', labId, '--port', String(await freePort())], env.keyFile);
  env.pids.push(main.pid);
  env.url = main.url;
  writeEnv(env);
  const sub = await dashboard(
    [
      '--lab-id',
      labId,
      '--port',
      String(await freePort()),
      '--base-path',
      SUBPATH,
      '--read-only',
      '--frame-ancestors',
      `http://127.0.0.1:${portalPort}`,
    ],
    env.keyFile,
  );
  env.pids.push(sub.pid);
  env.subpathUrl = sub.url;
  const embed = `${sub.url}embed?node=node2`;
  env.pids.push(portal(portalPort, embed), portal(foreignPort, embed));
  env.portal = `http://127.0.0.1:${portalPort}/`;
  // Another port is another origin: not in frame-ancestors.
  env.foreignPortal = `http://127.0.0.1:${foreignPort}/`;
  writeEnv(env);
}
