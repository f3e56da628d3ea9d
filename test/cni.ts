// Drives CNI plugins the way a container runtime does: CNI_* variables, the network
// config on stdin, the plugin run inside the node's network namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, inject } from 'vitest';
import { Namespaces } from './netns.js';

export const REFERENCE_DIR = '/usr/lib/cni';
export const pluginDir = (): string => inject('pluginDir');

export interface Invocation {
  command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';
  containerID?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  path?: string;
  /** run inside this namespace (the node); the plugin's "host" side */
  nodeNs: string;
  /** extra or overriding environment; a value of null removes the variable */
  env?: Record<string, string | null>;
  /** a command the plugin runs under, inside the node's namespace (it ends by exec'ing its
   *  last argument, the plugin), e.g. a private mount namespace */
  wrap?: string[];
}

export interface Outcome {
  status: number;
  json: any;
  stdout: string;
  stderr: string;
}

const searchPath = (inv: Invocation) => inv.path ?? `${pluginDir()}:${REFERENCE_DIR}`;

function locate(type: string, inv: Invocation): string {
  const file = searchPath(inv)
    .split(':')
    .map((d) => join(d, type))
    .find((f) => existsSync(f));
  if (!file) throw new Error(`plugin ${type} not in ${searchPath(inv)}`);
  return file;
}

export function cniEnv(inv: Invocation): Record<string, string> {
  const env: Record<string, string | null> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: inv.command,
    CNI_CONTAINERID: inv.containerID ?? null,
    CNI_NETNS: inv.netns ?? null,
    CNI_IFNAME: inv.ifname ?? null,
    CNI_ARGS: inv.args ?? null,
    CNI_PATH: searchPath(inv),
    ...inv.env,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== null));
}

function outcome(status: number | null, stdout: string, stderr: string): Outcome {
  let json: any = null;
  try {
    json = stdout.trim() ? JSON.parse(stdout) : null;
  } catch {
    json = null;
  }
  return { status: status ?? -1, json, stdout, stderr };
}

/** Runs plugin `type` (found in CNI_PATH) with config on stdin. */
export function runPlugin(type: string, config: unknown, inv: Invocation): Outcome {
  const env = cniEnv(inv);
  const file = locate(type, inv);
  const stdin = typeof config === 'string' ? config : JSON.stringify(config);
  const r = spawnSync('nsenter', [`--net=/run/netns/${inv.nodeNs}`, '--', ...(inv.wrap ?? []), file], {
    input: stdin,
    encoding: 'utf8',
    env,
  });
  return outcome(r.status, r.stdout, r.stderr);
}

/** Same, asynchronously: for concurrency tests. Returns the child too, to kill it. */
export function startPlugin(type: string, config: unknown, inv: Invocation): { pid: number; done: Promise<Outcome> } {
  const env = cniEnv(inv);
  const file = locate(type, inv);
  const child = spawn('nsenter', [`--net=/run/netns/${inv.nodeNs}`, '--', file], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(typeof config === 'string' ? config : JSON.stringify(config));
  const done = new Promise<Outcome>((resolve) => child.on('close', (code) => resolve(outcome(code, stdout, stderr))));
  return { pid: child.pid!, done };
}

/** A temp dir for one test's leases and state; remove() in a finally. */
export function tempDirs() {
  const root = mkdtempSync(join(tmpdir(), 'podnet-test-'));
  return {
    root,
    state: join(root, 'state'),
    ipam: join(root, 'ipam'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Lease files (one per leased IP) in a host-local style data dir. */
export function leases(dataDir: string, network: string): string[] {
  try {
    return readdirSync(join(dataDir, network)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  } catch {
    return [];
  }
}

export function attachmentFiles(stateDir: string, network: string): string[] {
  try {
    return readdirSync(join(stateDir, 'attachments', network));
  } catch {
    return [];
  }
}

export interface PodnetConfOptions {
  cniVersion: string;
  name?: string;
  state: string;
  dataDir: string;
  subnet?: string;
  [extra: string]: unknown;
}

/** A podnet config as the lab and the README write it. */
export function podnetConf({
  cniVersion,
  name = 'tnet',
  state,
  dataDir,
  subnet = '10.244.1.0/24',
  ...extra
}: PodnetConfOptions) {
  return {
    cniVersion,
    name,
    type: 'podnet',
    bridge: 'v-net-0',
    isGateway: true,
    isDefaultGateway: true,
    ipMasq: false,
    stateDir: state,
    ipam: { type: 'podnet-ipam', ranges: [[{ subnet }]], dataDir },
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------
// The node agent's CNI socket (the fast path), run as the agent runs it: a resident Node
// process inside the node's namespace, where the verbs it serves do their kernel work.

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX_LOADER = join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const CNI_SOCKET_MAIN = join(repo, 'agent', 'cni-socket-standalone.ts');

export interface AgentProcess {
  pid: number;
  socket: string;
  /** the line it printed once listening: {listening, pid, workers, spawnHelpers} */
  listening: Record<string, unknown>;
  /** its stderr so far (its log) */
  log(): string;
  /** Sends `signal` (default SIGTERM) to the agent by PID and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts agent/cni-socket-standalone.ts in `nodeNs` on `socket`; resolves once it listens. */
export function startAgent(nodeNs: string, socket: string, opts: { workers?: number } = {}): Promise<AgentProcess> {
  const args = [
    `--net=/run/netns/${nodeNs}`,
    '--',
    process.execPath,
    '--import',
    TSX_LOADER,
    CNI_SOCKET_MAIN,
    '--socket',
    socket,
  ];
  if (opts.workers !== undefined) args.push('--workers', String(opts.workers));
  // nsenter execs node: the PID is the agent's own.
  const child: ChildProcess = spawn('nsenter', args, {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const agent: AgentProcess = {
    pid: child.pid!,
    socket,
    listening: {},
    log: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid!, signal);
        } catch {
          /* gone already */
        }
      }
      await exited;
    },
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      void agent.stop('SIGKILL');
      reject(new Error(`the agent did not listen on ${socket} within 30 s: ${err}`));
    }, 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"listening"') && out.includes('\n')) {
        clearTimeout(timer);
        agent.listening = JSON.parse(out.slice(0, out.indexOf('\n'))) as Record<string, unknown>;
        resolveStart(agent);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited (${signal ?? code}) before listening: ${err}`));
    });
  });
}

/** Log lines of <stateDir>/cni.log, parsed. */
export function cniLog(stateDir: string): Record<string, unknown>[] {
  try {
    return readFileSync(join(stateDir, 'cni.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** Who served each finished verb: "agent" or "plugin", by "<VERB> <containerID>". */
export function servedBy(stateDir: string): Map<string, 'agent' | 'plugin'> {
  const out = new Map<string, 'agent' | 'plugin'>();
  for (const e of cniLog(stateDir)) {
    if (typeof e.msg === 'string' && / done$/.test(e.msg))
      out.set(`${e.msg.slice(0, -5)} ${String(e.containerID)}`, e.via === 'agent' ? 'agent' : 'plugin');
  }
  return out;
}

export interface NodeFixture {
  ns: Namespaces;
  dirs: ReturnType<typeof tempDirs>;
  /** the node's namespace, where the plugins run */
  node: string;
}

/** Per test: a node namespace and temp dirs, removed afterwards, also when the test failed. */
export function nodeFixture(): NodeFixture {
  const f = {} as NodeFixture;
  beforeEach(() => {
    f.ns = new Namespaces();
    f.dirs = tempDirs();
    f.node = f.ns.add('node');
  });
  afterEach(() => {
    f.ns.removeAll();
    f.dirs.remove();
  });
  return f;
}
