// Thin, synchronous wrappers around iproute2. The CNI plugins live for one verb and do
// their kernel work in as few `ip` processes as possible (one `-batch` per namespace),
// so these run the binary directly, never through a shell.
import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { runSync } from '../proc/spawn.js';

export class NetError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly status: number | null,
    /** what the command printed before it failed (an `ip -batch` prints earlier lines' output) */
    readonly stdout = '',
  ) {
    super(`${command}: ${stderr.trim() || `exit status ${status}`}`);
    this.name = 'NetError';
  }
  /** The device named in the command does not exist. */
  get linkNotFound(): boolean {
    return /Cannot find device|does not exist|No such device/i.test(this.stderr);
  }
  /** nsenter (or `ip -n`) could not open or enter the namespace. */
  get netnsNotFound(): boolean {
    return /nsenter: (cannot open|reassociate to namespace)|Cannot open network namespace|setting the network namespace/i.test(
      this.stderr,
    );
  }
  get alreadyExists(): boolean {
    return /File exists|already exists/i.test(this.stderr);
  }
}

export interface RunOptions {
  /** run inside this network namespace (a path such as CNI_NETNS or /proc/PID/ns/net) */
  netns?: string;
  input?: string;
}

/** iproute2's own namespace directory (NETNS_RUN_DIR): `ip -n NAME` enters /run/netns/NAME. */
const IP_NETNS_DIR = '/run/netns';

/** The NAME for `ip -n NAME` when `path` is a namespace in /run/netns (where `ip netns add`,
 *  podman and containerd put them, /var/run/netns being /run/netns), else null. */
export function ipNetnsName(path: string): string | null {
  const name = basename(path);
  if (!name || name === '.' || name === '..' || name.startsWith('-')) return null;
  try {
    return realpathSync(dirname(path)) === IP_NETNS_DIR ? name : null;
  } catch {
    return null;
  }
}

function run(file: string, args: string[], opts: RunOptions): string {
  // `ip -n` enters the namespace itself: one process where nsenter + ip are two, and on a
  // pod's ADD that is a tenth of the verb. Other paths (/proc/PID/ns/net) go through nsenter.
  const ipName = opts.netns && file === 'ip' ? ipNetnsName(opts.netns) : null;
  const [bin, argv] = ipName
    ? [file, ['-n', ipName, ...args]]
    : opts.netns
      ? ['nsenter', [`--net=${opts.netns}`, '--', file, ...args]]
      : [file, args];
  const r = runSync(bin, argv, { input: opts.input });
  // A command that failed before reading its input (nsenter refusing a namespace) leaves
  // EPIPE on our side: its own exit status and stderr say what went wrong, not the pipe.
  const epipe = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' && r.status !== null && r.status !== 0;
  if (r.error && !epipe) throw new NetError(`${bin} ${argv.join(' ')}`, String(r.error.message), null);
  if (r.status !== 0) throw new NetError(`${bin} ${argv.join(' ')}`, r.stderr || r.stdout, r.status, r.stdout);
  return r.stdout;
}

export function ip(args: string[], opts: RunOptions = {}): string {
  return run('ip', args, opts);
}

/** `ip -j …`, parsed. An empty answer (nothing matched) is []. */
export function ipJson<T = unknown>(args: string[], opts: RunOptions = {}): T[] {
  const out = run('ip', ['-j', ...args], opts).trim();
  return out ? (JSON.parse(out) as T[]) : [];
}

/** Runs many `ip` commands in one process; stops at the first that fails. */
export function ipBatch(lines: string[], opts: RunOptions = {}): void {
  if (lines.length === 0) return;
  run('ip', ['-batch', '-'], { ...opts, input: lines.join('\n') + '\n' });
}

/** `ip -j -d -batch`: each `show` line prints one JSON array on a line of its own. */
export function ipBatchJson(lines: string[], opts: RunOptions = {}): string[] {
  return run('ip', ['-j', '-d', '-batch', '-'], { ...opts, input: lines.join('\n') + '\n' })
    .split('\n')
    .filter(Boolean);
}

export function nft(script: string, opts: RunOptions = {}): string {
  return run('nft', ['-f', '-'], { ...opts, input: script });
}

/** iptables, whichever backend Debian's alternative points at (iptables-nft by default). */
export function iptables(args: string[], opts: RunOptions = {}): string {
  return run('iptables', args, opts);
}

export function nftJson(args: string[], opts: RunOptions = {}): unknown {
  return JSON.parse(run('nft', ['-j', ...args], opts));
}

/** Shapes of `ip -j -d link` and `ip -j addr` that podnet reads. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address?: string;
  master?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  flags?: string[];
}
