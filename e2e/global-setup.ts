// Brings up what the end-to-end tests look at: a lab with its own id, the dashboard on
// it (production build, through `podnet dashboard` as a user runs it), a second
// dashboard built for a sub-path and read-only, and two tiny "portal" servers on loopback that frame
// the embed page — one from an allowed origin, one from an origin that is not.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { writeEnv, type E2eEnv } from './env';

export const SUBPATH = '/portal/podnet';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** `podnet dashboard …` in the background; resolves with its URL once it answers. */
export function dashboard(args: string[]): Promise<{ url: string; pid: number }> {
  const child = spawn('bin/podnet', ['dashboard', '--json', ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: false });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, pid: child.pid! });
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
  const up = spawnSync('bin/podnet', ['lab', 'up', '--lab-id', labId, '--pods-per-node', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: E2eEnv = { labId, url: '', subpathUrl: '', portal: '', foreignPortal: '', pids: [] };
  writeEnv(env); // the teardown removes the lab even if what follows fails
  if (up.status !== 0) throw new Error(`podnet lab up --lab-id ${labId} failed:\n${up.stdout}`);
  const [portalPort, foreignPort] = [await freePort(), await freePort()];
  const main = await dashboard(['--lab-id', labId, '--port', String(await freePort())]);
  env.pids.push(main.pid);
  env.url = main.url;
  writeEnv(env);
  const sub = await dashboard(['--lab-id', labId, '--port', String(await freePort()), '--base-path', SUBPATH, '--read-only', '--frame-ancestors', `http://127.0.0.1:${portalPort}`]);
  env.pids.push(sub.pid);
  env.subpathUrl = sub.url;
  const embed = `${sub.url}embed?node=node2`;
  env.pids.push(portal(portalPort, embed), portal(foreignPort, embed));
  env.portal = `http://127.0.0.1:${portalPort}/`;
  // Another port is another origin: not in frame-ancestors.
  env.foreignPortal = `http://127.0.0.1:${foreignPort}/`;
  writeEnv(env);
}
