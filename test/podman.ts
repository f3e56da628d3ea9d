// A throw-away podman (Debian's 4.3, CNI backend, runc) that drives CNI plugins inside a
// network namespace of our own, for tests that need a real container engine in front of
// a CNI plugin.
//
// What one withPodman() call sets up, and removes again whatever happens:
//   - a temp dir /tmp/podnet-tpm<id>/ holding all of podman's state: containers.conf,
//     storage.conf (vfs), registries.conf (empty: nothing is ever pulled), the CNI conflist,
//     a busybox image imported from Debian's busybox-static;
//   - a "node" network namespace podnet-tpm<id>-node: podman, conmon and the CNI plugins
//     run in it, so the bridge and the host ends of the veths live there, never in the
//     root namespace;
//   - a private mount namespace for podman (held open by a helper process) where /run is
//     a fresh tmpfs (podman's per-container netns files, runc state), /var/lib is an
//     overlay whose writes land in the temp dir (libcni's result cache /var/lib/cni,
//     containers/image's blob cache /var/lib/containers), and /sys is the node
//     namespace's sysfs with the host's cgroup mounts moved on top. Nothing podman writes
//     there is visible outside, and it all goes away with the namespace;
//   - a cgroup parent /podnet-tpm<id> for the containers and their conmons.
//
// The root network namespace is never touched: no links, no routes, no traffic.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatPidFile, readPidFile, recordProcess, stillRunning } from '../lib/proc/identity.js';
import { readProcStat } from '../lib/proc/stat.js';

export const IMAGE = 'localhost/podnet-busybox:test';
const BUSYBOX = '/bin/busybox';
const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const DEFAULT_TIMEOUT_MS = 60_000;

export interface CmdResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface PodmanOptions {
  /** Directories holding the CNI plugin executables (cni_plugin_dirs). */
  pluginDir: string | string[];
  /** The CNI network configuration list; its `name` is the podman network name. */
  conflist: { name: string; [k: string]: unknown };
  /** Per podman command; default 60 s. */
  timeoutMs?: number;
}

export interface Podman {
  /** The harness's temp dir (podman state lives below it). */
  readonly dir: string;
  /** Name of the node network namespace (under /run/netns). */
  readonly nodeNetns: string;
  /** The podman network name (conflist.name). */
  readonly network: string;
  /** Any podman command with the harness's global flags and environment. */
  podman(args: string[], opts?: { timeoutMs?: number }): Promise<CmdResult>;
  /** Starts a long-running busybox container (sleep) on the network; returns its ID. */
  run(name: string, extraArgs?: string[]): Promise<string>;
  /** `podman exec name cmd...`; does not throw on a non-zero exit. */
  exec(name: string, cmd: string[], opts?: { timeoutMs?: number }): Promise<CmdResult>;
  /** The container's eth0 IPv4 address, read from inside the container. */
  ip(name: string): Promise<string>;
  /** `podman rm -f -t 0 name`; throws when podman fails. */
  rm(name: string): Promise<void>;
  /** Runs a command in the node network namespace (e.g. `ip -j link`). */
  node(cmd: string[], opts?: { timeoutMs?: number }): Promise<CmdResult>;
  /** The command line and environment podman() runs, for a script that runs podman itself
   *  (scripts/image takes it in $PODMAN): it lands in this harness's private store. */
  commandLine(): { argv: string[]; env: NodeJS.ProcessEnv };
}

// ---------------------------------------------------------------- availability

function which(cmd: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const d of dirs) {
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** True when the ELF file has no program interpreter (a static binary). */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const hdr = Buffer.alloc(64);
    readSync(fd, hdr, 0, 64, 0);
    if (hdr.readUInt32BE(0) !== 0x7f454c46 || hdr[4] !== 2 || hdr[5] !== 1) return false; // ELF64 LE only
    const phoff = Number(hdr.readBigUInt64LE(32));
    const phentsize = hdr.readUInt16LE(54);
    const phnum = hdr.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Why the harness cannot run here, or null when it can. */
export function podmanUnavailableReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const cmd of ['podman', 'runc', 'conmon', 'nsenter', 'unshare', 'ip', 'tar', 'mount']) {
    if (!which(cmd)) return `${cmd} is not installed (scripts/install-podman.sh)`;
  }
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt package busybox-static)`;
  try {
    if (!isStaticElf(BUSYBOX)) return `${BUSYBOX} is not static (install busybox-static)`;
  } catch (e) {
    return `${BUSYBOX}: ${(e as Error).message}`;
  }
  if (!existsSync('/proc/self/ns/mnt')) return 'no mount namespaces';
  return null;
}

/** Whether podman, runc and the rest of the harness's tools are installed (and we are root). */
export function podmanAvailable(): boolean {
  return podmanUnavailableReason() === null;
}

// ---------------------------------------------------------------- processes

/** Runs a command to its end, its output collected; at the timeout it gets `killSignal`
 *  (SIGKILL unless a script should run its own clean-up trap first). */
export function runCmd(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; killSignal?: NodeJS.Signals } = {},
): Promise<CmdResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, opts.killSignal ?? 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(e.message), timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

export function explain(cmd: string, r: CmdResult): string {
  const how = r.timedOut ? 'timed out' : r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`;
  const out = (r.stderr.trim() || r.stdout.trim()).slice(-2000);
  return `${cmd}: ${how}${out ? `\n${out}` : ''}`;
}

async function mustRun(file: string, args: string[], opts: Parameters<typeof runCmd>[2] = {}): Promise<CmdResult> {
  const r = await runCmd(file, args, opts);
  if (r.code !== 0) throw new Error(explain(`${file} ${args.join(' ')}`, r));
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs in mount namespace `mntns` (e.g. "mnt:[4026532…]"), and all their descendants. */
function processesOf(mntns: string): number[] {
  const parent = new Map<number, number>();
  const roots = new Set<number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      const stat = readProcStat(pid);
      if (!stat) continue; // exited meanwhile
      parent.set(pid, stat.ppid);
      if (readlinkSync(`/proc/${pid}/ns/mnt`) === mntns) roots.add(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

// ---------------------------------------------------------------- setup pieces

function hardLimit(name: string): number {
  // "Max open files            20000                20000                files"
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
}

function writeConfigs(dir: string, pluginDirs: string[]): Record<string, string> {
  const q = (s: string) => JSON.stringify(s); // TOML basic strings accept JSON escapes
  // podman's default nofile (1048576) is above this machine's hard limit and runc then
  // fails to start the container: stay at or below the limits we run under.
  const nofile = Math.min(hardLimit('Max open files'), 20000);
  const nproc = Math.min(hardLimit('Max processes'), 32768);
  const containersConf = `# podnet test harness: podman 4.3, CNI backend, all state in ${dir}
[containers]
default_ulimits = [${q(`nofile=${nofile}:${nofile}`)}, ${q(`nproc=${nproc}:${nproc}`)}]

[network]
network_backend = "cni"
network_config_dir = ${q(join(dir, 'net.d'))}
cni_plugin_dirs = [${pluginDirs.map(q).join(', ')}]
default_network = "podnet-harness-none"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q(join(dir, 'events.log'))}
tmp_dir = ${q(join(dir, 'libpod-tmp'))}
static_dir = ${q(join(dir, 'storage', 'libpod'))}
volume_path = ${q(join(dir, 'volumes'))}
image_copy_tmp_dir = ${q(join(dir, 'image-tmp'))}
# file locks under tmp_dir, not the machine-wide /dev/shm/libpod_lock
lock_type = "file"
`;
  const storageConf = `[storage]
driver = "vfs"
graphroot = ${q(join(dir, 'storage'))}
runroot = ${q(join(dir, 'run'))}
`;
  for (const d of ['net.d', 'libpod-tmp', 'storage', 'run', 'volumes', 'image-tmp', 'varlib-upper', 'varlib-work']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  writeFileSync(join(dir, 'containers.conf'), containersConf);
  writeFileSync(join(dir, 'storage.conf'), storageConf);
  writeFileSync(join(dir, 'registries.conf'), '# nothing to search, nothing to pull\n');
  return {
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    TMPDIR: join(dir, 'image-tmp'),
  };
}

/** A busybox rootfs tarball from the host's static busybox. */
async function buildImageTar(dir: string): Promise<string> {
  const root = join(dir, 'rootfs');
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'run', 'root', 'var']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  const list = (await mustRun(BUSYBOX, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of list) symlinkSync('busybox', join(root, 'bin', applet));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  const tar = join(dir, 'busybox.tar');
  await mustRun('tar', ['-C', root, '-cf', tar, '.']);
  rmSync(root, { recursive: true, force: true });
  return tar;
}

// Runs in the node netns, in a new private mount namespace; $1 is the harness dir.
// It stays until its stdin (a pipe from this process) closes or it is killed, so the
// mount namespace cannot outlive a crashed test runner by much.
const HELPER_SCRIPT = `
set -eu
dir=$1
mkdir -p "$dir/cgroup-move"
mount --rbind /sys/fs/cgroup "$dir/cgroup-move"
mount -t sysfs sysfs /sys
mount --move "$dir/cgroup-move" /sys/fs/cgroup
rmdir "$dir/cgroup-move"
mount -t tmpfs -o mode=0755 podnet-harness-run /run
mkdir -p /run/netns /run/lock
mount -t overlay -o "lowerdir=/var/lib,upperdir=$dir/varlib-upper,workdir=$dir/varlib-work" podnet-harness-varlib /var/lib
echo ready
read -r _ || true
`;

interface Helper {
  pid: number;
  mntns: string;
  stop(): void;
}

function startHelper(nsPath: string, dir: string): Promise<Helper> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'nsenter',
      [
        `--net=${nsPath}`,
        '--',
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        HELPER_SCRIPT,
        'sh',
        dir,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' },
    );
    let out = '';
    let err = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      reject(new Error(`podman harness helper: ${why}${err.trim() ? `\n${err.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail('not ready after 15 s'), 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!settled && out.includes('ready\n')) {
        settled = true;
        clearTimeout(timer);
        const pid = child.pid!;
        let mntns: string;
        try {
          mntns = readlinkSync(`/proc/${pid}/ns/mnt`);
        } catch (e) {
          reject(e);
          return;
        }
        resolve({
          pid,
          mntns,
          stop() {
            child.stdin.end();
            if (pidAlive(pid)) {
              try {
                process.kill(pid, 'SIGTERM');
              } catch {
                /* gone */
              }
            }
          },
        });
      }
    });
    child.stdin.on('error', () => {
      /* EPIPE after the helper exited */
    });
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      fail(`exited early (${code ?? sig})`);
    });
  });
}

// ---------------------------------------------------------------- cleanup

const TAG_RE = /^podnet-tpm[0-9a-f]{8}$/;

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** The cgroup directories of a harness (one per v1 hierarchy, or the v2 one), leaves first. */
function cgroupDirs(tag: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      return;
    }
    out.push(d);
  };
  if (existsSync(join('/sys/fs/cgroup', tag))) walk(join('/sys/fs/cgroup', tag));
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup');
  } catch {
    /* no cgroupfs */
  }
  for (const h of hierarchies) {
    const top = join('/sys/fs/cgroup', h, tag);
    if (existsSync(top)) walk(top);
  }
  return out;
}

/** "(comm) state" of a process, for messages. */
function procInfo(pid: number): string {
  const stat = readProcStat(pid);
  return stat ? `(${stat.comm}) ${stat.state}` : '(gone)';
}

function cgroupProcs(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {
      /* gone */
    }
  }
  return [...pids];
}

/**
 * Removes what a harness run named `tag` made outside its mount namespace: processes
 * still in its cgroups (containers, conmon), the cgroups, the node netns, the temp dir.
 * Returns what could not be removed.
 */
async function removeTag(tag: string, netns: boolean, graceMs = 0): Promise<string[]> {
  const problems: string[] = [];
  let dirs = cgroupDirs(tag);
  let stray = cgroupProcs(dirs);
  // A conmon that is still exiting has left its namespaces but not yet its cgroup.
  for (const until = Date.now() + graceMs; stray.length && Date.now() < until;) {
    await sleep(100);
    dirs = cgroupDirs(tag);
    stray = cgroupProcs(dirs);
  }
  if (stray.length) {
    problems.push(`processes left in cgroup /${tag}: ${stray.map((p) => `${p} ${procInfo(p)}`).join(', ')}`);
    killAll(stray);
  }
  for (let i = 0; dirs.length; i++) {
    const failed: string[] = [];
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') failed.push(`${d}: ${(e as Error).message}`);
      }
    }
    if (!failed.length) break;
    if (i >= 30) {
      problems.push(`cgroups not removed: ${failed.join('; ')}`);
      break;
    }
    await sleep(100); // a killed conmon leaves its cgroup a moment later
    dirs = cgroupDirs(tag);
    killAll(cgroupProcs(dirs));
  }
  if (netns && existsSync(`/run/netns/${tag}-node`)) {
    const r = await runCmd('ip', ['netns', 'del', `${tag}-node`]);
    if (r.code !== 0) problems.push(explain(`ip netns del ${tag}-node`, r));
  }
  try {
    rmSync(join('/tmp', tag), { recursive: true, force: true });
  } catch (e) {
    problems.push(`rm -r /tmp/${tag}: ${(e as Error).message}`);
  }
  return problems;
}

/**
 * Cleans up after harness runs whose test runner died (killed, timed out) before their
 * teardown: a run is stale when the process recorded in its owner file is gone.
 */
async function reapStale(): Promise<void> {
  const tags = new Set<string>();
  for (const name of readdirSync('/tmp')) if (TAG_RE.test(name)) tags.add(name);
  for (const name of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
    if (name.endsWith('-node') && TAG_RE.test(name.slice(0, -5))) tags.add(name.slice(0, -5));
  }
  for (const tag of tags) {
    const dir = join('/tmp', tag);
    let owner: string | null = null;
    try {
      owner = readFileSync(join(dir, 'owner'), 'utf8').trim();
    } catch {
      /* no dir, or not written yet */
    }
    if (owner) {
      if (stillRunning(readPidFile(owner))) continue; // its runner is alive
    } else if (existsSync(dir)) {
      let young = true;
      try {
        young = Date.now() - statSync(dir).mtimeMs < 60_000;
      } catch {
        /* vanished */
      }
      if (young) continue; // being set up right now
    }
    // The dir is made before the netns and removed after it: a netns without its dir is stale.
    await removeTag(tag, true);
  }
}

// ---------------------------------------------------------------- the harness

/**
 * Runs fn with a private podman whose only network is `opts.conflist`, driving the CNI
 * plugins in `opts.pluginDir` inside a fresh node network namespace. Everything is torn
 * down afterwards; a teardown that leaves something behind fails the call.
 */
export async function withPodman<T>(opts: PodmanOptions, fn: (pm: Podman) => Promise<T>): Promise<T> {
  const reason = podmanUnavailableReason();
  if (reason) throw new Error(`podman harness unavailable: ${reason}`);
  const id = randomBytes(4).toString('hex');
  const tag = `podnet-tpm${id}`;
  const dir = join('/tmp', tag);
  const nodeNetns = `${tag}-node`;
  const nsPath = `/run/netns/${nodeNetns}`;
  const cgroupParent = `/${tag}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const network = opts.conflist.name;
  const pluginDirs = Array.isArray(opts.pluginDir) ? opts.pluginDir : [opts.pluginDir];

  let dirCreated = false;
  let netnsCreated = false;
  let helper: Helper | null = null;
  let env: NodeJS.ProcessEnv = process.env;
  const globalFlags = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];

  const podman = (args: string[], o: { timeoutMs?: number } = {}): Promise<CmdResult> => {
    if (!helper) throw new Error('podman harness is not running');
    return runCmd(
      'nsenter',
      ['--target', String(helper.pid), '--mount', '--net', '--', 'podman', ...globalFlags, ...args],
      { env, timeoutMs: o.timeoutMs ?? timeoutMs },
    );
  };
  const mustPodman = async (args: string[]): Promise<CmdResult> => {
    const r = await podman(args);
    if (r.code !== 0) throw new Error(explain(`podman ${args.join(' ')}`, r));
    return r;
  };

  const pm: Podman = {
    dir,
    nodeNetns,
    network,
    podman,
    async run(name, extraArgs = []) {
      const r = await mustPodman([
        'run',
        '-d',
        '--name',
        name,
        '--hostname',
        name,
        '--network',
        network,
        '--pull',
        'never',
        '--cgroup-parent',
        cgroupParent,
        ...extraArgs,
        IMAGE,
        'sleep',
        '3600',
      ]);
      return r.stdout.trim();
    },
    exec(name, cmd, o) {
      return podman(['exec', name, ...cmd], o);
    },
    async ip(name) {
      const r = await podman(['exec', name, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      if (r.code !== 0) throw new Error(explain(`ip addr in ${name}`, r));
      const m = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout);
      if (!m) throw new Error(`${name} has no IPv4 address on eth0:\n${r.stdout}`);
      return m[1]!;
    },
    async rm(name) {
      await mustPodman(['rm', '-f', '-t', '0', name]);
    },
    node(cmd, o) {
      return runCmd('nsenter', [`--net=${nsPath}`, '--', ...cmd], { timeoutMs: o?.timeoutMs ?? timeoutMs });
    },
    commandLine() {
      if (!helper) throw new Error('podman harness is not running');
      return {
        argv: ['nsenter', '--target', String(helper.pid), '--mount', '--net', '--', 'podman', ...globalFlags],
        env,
      };
    },
  };

  let result: T;
  let failure: unknown = null;
  try {
    await reapStale();
    mkdirSync(dir, { mode: 0o700 });
    dirCreated = true;
    writeFileSync(join(dir, 'owner'), formatPidFile(recordProcess(process.pid)));
    env = { ...process.env, ...writeConfigs(dir, pluginDirs) };
    writeFileSync(join(dir, 'net.d', `${network}.conflist`), JSON.stringify(opts.conflist, null, 2));
    const tar = await buildImageTar(dir);
    await mustRun('ip', ['netns', 'add', nodeNetns]);
    netnsCreated = true;
    await mustRun('ip', ['-n', nodeNetns, 'link', 'set', 'lo', 'up']);
    helper = await startHelper(nsPath, dir);
    await mustPodman(['import', '--quiet', tar, IMAGE]);
    result = await fn(pm);
  } catch (e) {
    failure = e;
  }

  // ---- teardown: every step runs; what fails is reported after the rest ran.
  const problems: string[] = [];
  if (helper) {
    const r = await podman(['rm', '--all', '--force', '--time', '0']);
    if (r.code !== 0) problems.push(explain('podman rm --all --force', r));
    helper.stop();
    // conmon and anything else podman left in our mount namespace, with their children
    // (the containers): processes this harness started, ended by PID.
    const deadline = Date.now() + 5000;
    let left = processesOf(helper.mntns);
    while (left.length && Date.now() < deadline) {
      await sleep(100);
      left = processesOf(helper.mntns);
    }
    if (left.length) {
      problems.push(`processes left in the harness mount namespace: ${left.join(' ')}`);
      killAll(left);
      await sleep(200);
    }
  }
  if (dirCreated) problems.push(...(await removeTag(tag, netnsCreated, 5000)));

  if (failure) {
    if (problems.length && failure instanceof Error) failure.message += `\n(teardown: ${problems.join('; ')})`;
    throw failure;
  }
  if (problems.length) throw new Error(`podman harness teardown: ${problems.join('; ')}`);
  return result!;
}
