// The dashboard as a process of its own: `next start` on the production build, with its
// configuration in PODNET_* variables (server/config.ts reads them). Builds first when
// there is no build or the sources changed since, because a user who pulled new code
// must not see an old page. Used by `podnet up` and `podnet dashboard`.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { repoRoot } from '../cni/install.js';

const NEXT_BIN = join(repoRoot, 'node_modules', 'next', 'dist', 'bin', 'next');
/** what the web app is built from: a change in any of these makes the build stale */
const SOURCES = [
  'app',
  'components',
  'server',
  'lib/model',
  'next.config.ts',
  'proxy.ts',
  'postcss.config.mjs',
  'package-lock.json',
];
const READY_TIMEOUT_MS = 60_000;
/**
 * The server's heap grows 15 % over what the last full GC left, not V8's default (up to
 * twice, on a machine with this much memory): at 100,000 pods changing 20 times a second
 * the merge makes garbage fast enough that the default let RSS climb past 2 GB for ~450 MB
 * live, where 15 % holds it near 650 MB (bench/README.md). No hard cap (--max-old-space-size):
 * a bigger cluster needs more, and should get it rather than crash.
 */
export const SERVER_V8_FLAGS = ['--heap-growing-percent=15'];

export type Progress = (msg: string) => void;

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) if (!e.endsWith('.test.ts')) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** which base path a build was made for (Next.js bakes it in) */
const basePathStamp = (distDir: string) => join(repoRoot, distDir, 'podnet-base-path');

export function buildIsCurrent(distDir = '.next', basePath = ''): boolean {
  const stamp = statSync(join(repoRoot, distDir, 'BUILD_ID'), { throwIfNoEntry: false });
  if (!stamp) return false;
  const builtFor = existsSync(basePathStamp(distDir)) ? readFileSync(basePathStamp(distDir), 'utf8') : '';
  return builtFor === basePath && SOURCES.every((s) => newestMtime(join(repoRoot, s)) <= stamp.mtimeMs);
}

/** `next build` with its output in a log file; the last lines of it on failure. The log
 *  goes into a private directory made for it (never a fixed /tmp name, where a planted
 *  symlink would make root overwrite another file), removed after a build that worked. */
export async function buildDashboard(
  progress: Progress,
  env: Record<string, string> = {},
  logFile?: string,
): Promise<void> {
  const privateDir = logFile ? null : mkdtempSync(join(tmpdir(), 'podnet-build-'));
  const log = logFile ?? join(privateDir!, 'next-build.log');
  progress(`building the dashboard (next build, ~20 s; log in ${log})`);
  const fd = openSync(log, 'wx');
  const child = spawn(process.execPath, [NEXT_BIN, 'build'], {
    cwd: repoRoot,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', fd, fd],
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  closeSync(fd);
  if (code !== 0) {
    const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n');
    throw new Error(`the dashboard build failed (exit ${code}; the whole log is ${log}):\n${tail}`);
  }
  if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  writeFileSync(basePathStamp(env.PODNET_DIST_DIR ?? '.next'), env.PODNET_BASE_PATH ?? '');
}

export interface DashboardOptions {
  host: string;
  port: number;
  /** PODNET_* settings for server/config.ts */
  env: Record<string, string>;
  /** a file for its output; absent: this process's stderr */
  log?: string;
  distDir?: string;
}

export interface RunningDashboard {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** the address to ask whether it is up: a wildcard listener answers on loopback */
const probeHost = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);

function answers(host: string, port: number, basePath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: probeHost(host), port, path: `${basePath}/healthz`, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startDashboard(o: DashboardOptions, progress: Progress): Promise<RunningDashboard> {
  const distDir = o.distDir ?? '.next';
  if (!buildIsCurrent(distDir, o.env.PODNET_BASE_PATH ?? ''))
    await buildDashboard(progress, { ...o.env, PODNET_DIST_DIR: distDir });
  const fd = o.log ? openSync(o.log, 'a') : 2;
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', PODNET_DIST_DIR: distDir, ...o.env };
  for (const k of Object.keys(env)) if (k.startsWith('PODNET_') && env[k] === '') delete env[k];
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, NEXT_BIN, 'start', '-H', o.host, '-p', String(o.port)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', fd, fd],
  });
  if (o.log) closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const basePath = o.env.PODNET_BASE_PATH ?? '';
  const deadline = Date.now() + READY_TIMEOUT_MS;
  progress(`starting the dashboard on ${o.host}:${o.port}`);
  while (!(await answers(o.host, o.port, basePath))) {
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) child.kill('SIGTERM');
      const tail =
        o.log && existsSync(o.log)
          ? readFileSync(o.log, 'utf8').trim().split('\n').slice(-10).join('\n')
          : '(its output is above)';
      const hint = /EADDRINUSE/.test(tail) ? `\nport ${o.port} is in use: choose another with --port` : '';
      throw new Error(
        `the dashboard did not start (${exited !== undefined ? `exit ${exited}` : 'no answer in 60 s'}); ${o.log ? `its log ${o.log} ends` : 'see its output'}:\n${tail}${hint}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    child,
    url: `http://${shownHost}:${o.port}${basePath}/`,
    stop: async () => {
      if (exited !== undefined) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
