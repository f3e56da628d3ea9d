// Drives CNI plugins the way a container runtime does: CNI_* variables, the network
// config on stdin, the plugin run inside the node's network namespace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

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
}

export interface Outcome {
  status: number;
  json: any;
  stdout: string;
  stderr: string;
}

const searchPath = (inv: Invocation) => inv.path ?? `${pluginDir()}:${REFERENCE_DIR}`;

function locate(type: string, inv: Invocation): string {
  const file = searchPath(inv).split(':').map((d) => join(d, type)).find((f) => existsSync(f));
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
  const r = spawnSync('nsenter', [`--net=/run/netns/${inv.nodeNs}`, '--', file], { input: stdin, encoding: 'utf8', env });
  return outcome(r.status, r.stdout, r.stderr);
}

/** Same, asynchronously: for concurrency tests. Returns the child too, to kill it. */
export function startPlugin(type: string, config: unknown, inv: Invocation): { pid: number; done: Promise<Outcome> } {
  const env = cniEnv(inv);
  const file = locate(type, inv);
  const child = spawn('nsenter', [`--net=/run/netns/${inv.nodeNs}`, '--', file], { env, stdio: ['pipe', 'pipe', 'pipe'] });
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
export function podnetConf({ cniVersion, name = 'tnet', state, dataDir, subnet = '10.244.1.0/24', ...extra }: PodnetConfOptions) {
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
