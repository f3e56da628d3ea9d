// `podnet cni install`: the way flannel's install-cni works — put the plugin executables
// into the runtime's bin dir and, optionally, a conflist into its conf dir.
//
// Each executable is one file that is both a POSIX sh script and the bundled JavaScript
// (a polyglot): sh runs its first lines, which exec the absolute node binary on the same
// file with an environment holding only the CNI variables; node skips those lines, which
// are a string and a comment to it. So the plugin needs no repository, no PATH lookup
// of node, and nothing from the runtime's environment (NODE_OPTIONS, or
// NODE_EXTRA_CA_CERTS, which slows Node's start: bench/README.md) but the CNI variables.
// The JavaScript is the bundle `npm run build` made when podnet runs built, or one made
// now from the sources when it runs from them (cni/bundles.ts).
//
// The fast path: when the C shim is built (.build/podnet-shim, scripts/build-shim.sh; built
// here on the fly when missing and a C compiler exists), `podnet` is the shim and the Node
// plugin is installed next to it as `podnet-node`. The shim hands the verb to the node
// agent when the config names `agentSocket` and the agent answers, and otherwise execs
// `podnet-node` (cni/shim/podnet-shim.c). Without a shim, `podnet` is the Node plugin.
//
// A host without Node.js (a Kubernetes node, installed from the DaemonSet's init container):
// with `nodeRuntime`, the node binary running this install is copied to
// <bin-dir>/podnet.d/node and the launchers run that copy, found from their own path ("$0"),
// not from an absolute one: the init container writes into the host's bin dir through a
// mount (/host/opt/cni/bin), so no path seen here is the host's. The shim is linked static
// (scripts/build-shim.sh); the copied node needs the host's glibc, as on any Linux node.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatCidr, parseCidr } from '../lib/model/ipv4.js';
import { bundleCode, bundleEntry, repoRoot, type BundleName } from './bundles.js';
import { CNI_VARS, PATH_FOR_PLUGINS } from './env.js';

/** The plugin executables install writes, each from its bundle (cni/bundles.ts). */
export const PLUGINS = ['podnet', 'podnet-ipam'] as const satisfies readonly BundleName[];
export type PluginName = (typeof PLUGINS)[number];
export const MARKER = 'podnet-cni-launcher';
export const CONFLIST_NAME = '10-podnet.conflist';
/** The Node podnet plugin's name when the shim is `podnet` (the shim's FALLBACK_NAME). */
export const FALLBACK_NAME = 'podnet-node';
/** A string compiled into the shim, by which uninstall knows the binary is podnet's. */
export const SHIM_MARKER = 'podnet-cni-shim';
export const SHIM_SOURCE = 'cni/shim/podnet-shim.c';
export const SHIM_BUILD = '.build/podnet-shim';
/** Built with the shim by the same script: the agent's spawn helper (agent/cni-socket/). */
const SPAWN_SOURCE = 'cni/shim/podnet-spawn.c';
const SPAWN_BUILD = '.build/podnet-spawn';

// Where they lived before cni/bundles.ts: the lab, the agent and the tests import them from here.
export { bundleEntry, repoRoot };

/** The directory beside the plugins holding what they need from podnet (the node runtime). */
export const RUNTIME_DIR = 'podnet.d';
/** The node binary's name in RUNTIME_DIR. */
export const RUNTIME_NODE = 'node';

/** The sh lines in front of each plugin's bundle. `nodePath`: the absolute node binary to
 *  run; or `{ besideSelf: true }`: the copy in podnet.d/ next to the launcher itself. */
export function launcher(nodePath: string | { besideSelf: true }): string {
  // every line is also JavaScript: the string ':' and a comment
  const node =
    typeof nodePath === 'string'
      ? [`':' //; exec /usr/bin/env -i PATH=${PATH_FOR_PLUGINS} "$@" '${nodePath}' "$0"`]
      : [
          // a runtime execs a plugin by its path, so "$0" holds a slash; "./podnet" keeps working too
          `':' //; case "$0" in */*) d="\${0%/*}" ;; *) d=. ;; esac`,
          `':' //; exec /usr/bin/env -i PATH=${PATH_FOR_PLUGINS} "$@" "$d/${RUNTIME_DIR}/${RUNTIME_NODE}" "$0"`,
        ];
  return [
    '#!/bin/sh',
    `':' //; # ${MARKER}: keep only the CNI variables, then run this same file with node`,
    `':' //; set --; for v in ${CNI_VARS.join(' ')}; do eval "[ -z \\"\\\${$v+x}\\" ] || set -- \\"\\$@\\" \\"$v=\\$$v\\""; done`,
    ...node,
    '',
  ].join('\n');
}

function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.podnet-tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path); // a runtime running the old plugin meanwhile keeps its inode
}

export interface ConflistOptions {
  name: string;
  subnet: string;
  clusterNetwork: string | undefined;
  bridge: string;
  stateDir: string;
  dataDir: string;
  /** default true; the lab sets false: there the firewall table owns masquerading */
  ipMasq?: boolean;
  /** the node agent's CNI socket (agent/cni-socket/): the fast path, when the shim is installed */
  agentSocket?: string;
}

export function conflist(o: ConflistOptions): Record<string, unknown> {
  const subnet = parseCidr(o.subnet);
  if (!subnet) throw new Error(`--subnet "${o.subnet}" is not a CIDR such as 10.244.1.0/24`);
  const cluster = o.clusterNetwork === undefined ? null : parseCidr(o.clusterNetwork);
  if (o.clusterNetwork !== undefined && !cluster)
    throw new Error(`--cluster-network "${o.clusterNetwork}" is not a CIDR such as 10.244.0.0/16`);
  return {
    cniVersion: '1.0.0',
    name: o.name,
    plugins: [
      {
        type: 'podnet',
        bridge: o.bridge,
        isGateway: true,
        isDefaultGateway: true,
        ipMasq: o.ipMasq ?? true,
        ...(cluster ? { clusterNetwork: formatCidr(cluster) } : {}),
        hairpinMode: true,
        stateDir: o.stateDir,
        ...(o.agentSocket ? { agentSocket: o.agentSocket } : {}),
        ipam: { type: 'podnet-ipam', ranges: [[{ subnet: formatCidr(subnet) }]], dataDir: o.dataDir },
      },
    ],
  };
}

export interface InstallReport {
  binDir: string;
  executables: string[];
  /** the node binary the plugins run, as seen from here (with nodeRuntime: the copy in podnet.d/) */
  node: string;
  /** true: the plugins run the node copied beside them, not this machine's */
  nodeRuntime: boolean;
  conflist: string | null;
  /** true: `podnet` is the C shim and the Node plugin is `podnet-node` (the fast path is available) */
  shim: boolean;
  /** why `podnet` is the Node plugin itself, when it is */
  noShim?: string;
  /** files of an earlier install that this layout no longer has (a `podnet-node` without a shim) */
  removed: string[];
}

export interface InstallOptions {
  /** 'auto' (default): install the shim when it is built or can be built; 'never': the Node plugin is `podnet` */
  shim?: 'auto' | 'never';
  /** copy the node binary running this into <binDir>/podnet.d/ and have the plugins run it
   *  (a host without Node.js); default false: the plugins run this machine's node, by its path */
  nodeRuntime?: boolean;
}

function hasCompiler(): boolean {
  return spawnSync('sh', ['-c', 'command -v "${CC:-cc}"'], { stdio: 'ignore' }).status === 0;
}

/** The compiled shim, built first (with the spawn helper) when either is missing or older
 *  than its source: its path, or why there is none. */
export function shimBinary(): { path: string } | { missing: string } {
  const binary = join(repoRoot, SHIM_BUILD);
  const source = join(repoRoot, SHIM_SOURCE);
  const fresh = () =>
    [
      [SHIM_BUILD, SHIM_SOURCE],
      [SPAWN_BUILD, SPAWN_SOURCE],
    ].every(([b, src]) => {
      const bin = join(repoRoot, b!);
      const c = join(repoRoot, src!);
      return existsSync(bin) && (!existsSync(c) || statSync(bin).mtimeMs >= statSync(c).mtimeMs);
    });
  if (fresh()) return { path: binary };
  if (existsSync(binary) && !hasCompiler()) return { path: binary }; // stale, but what there is
  if (!existsSync(source)) return { missing: `no ${SHIM_BUILD} and no ${SHIM_SOURCE} to build it from` };
  if (!hasCompiler())
    return {
      missing: `no ${SHIM_BUILD} and no C compiler (cc) to build it: install gcc and run scripts/build-shim.sh`,
    };
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'build-shim.sh')], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(binary))
    return { missing: `scripts/build-shim.sh failed: ${(r.stderr || r.stdout || '').trim()}` };
  return { path: binary };
}

function copyAtomic(from: string, path: string, mode: number): void {
  const tmp = `${path}.podnet-tmp-${process.pid}`;
  copyFileSync(from, tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** An ELF64 executable without a PT_INTERP program header: no dynamic loader, no shared libc. */
export function isStaticElf(path: string): boolean {
  const bytes = readFileSync(path);
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return false;
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  const phnum = bytes.readUInt16LE(56);
  if (phoff + phentsize * phnum > bytes.length) return false;
  for (let i = 0; i < phnum; i++) if (bytes.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  return true;
}

/** Is this file one that install wrote: a launcher polyglot, or the shim? */
function writtenByPodnet(file: string): boolean {
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 300).toString('utf8').includes(MARKER)) return true;
  // The shim is an ELF binary (under 1 MB, static) with SHIM_MARKER among its strings.
  return bytes.subarray(0, 4).toString('latin1') === '\x7fELF' && bytes.length < 4 << 20 && bytes.includes(SHIM_MARKER);
}

export async function install(
  binDir: string,
  conf: { confDir: string; options: ConflistOptions } | null,
  opts: InstallOptions = {},
): Promise<InstallReport> {
  mkdirSync(binDir, { recursive: true });
  let shim = opts.shim === 'never' ? { missing: 'not asked for (shim: never)' } : shimBinary();
  // on a host of unknown libc, a dynamic shim could fail to start: the Node plugin is `podnet` then
  if (opts.nodeRuntime && 'path' in shim && !isStaticElf(shim.path))
    shim = {
      missing: `${shim.path} is not linked static, as a host without podnet's libc needs: rebuild it with scripts/build-shim.sh`,
    };
  const removed: string[] = [];
  const written = new Map<string, string>();
  // The runtime before the plugins that run it, the Node plugins before the shim: a runtime
  // calling a plugin meanwhile finds all it execs.
  const node = opts.nodeRuntime ? installNodeRuntime(binDir) : process.execPath;
  const head = launcher(opts.nodeRuntime ? { besideSelf: true } : node);
  for (const plugin of PLUGINS) {
    const name = plugin === 'podnet' && 'path' in shim ? FALLBACK_NAME : plugin;
    const file = join(binDir, name);
    writeAtomic(file, head + (await bundleCode(plugin)), 0o755);
    written.set(name, file);
  }
  // plugins that run this machine's node no longer need an earlier install's copy
  if (!opts.nodeRuntime) removed.push(...removeNodeRuntime(binDir).removed);
  if ('path' in shim) {
    const file = join(binDir, 'podnet');
    copyAtomic(shim.path, file, 0o755);
    written.set('podnet', file);
  } else {
    const stale = join(binDir, FALLBACK_NAME);
    if (existsSync(stale) && writtenByPodnet(stale)) {
      unlinkSync(stale);
      removed.push(stale);
    }
  }
  const executables = ['podnet', FALLBACK_NAME, 'podnet-ipam'].flatMap((n) => written.get(n) ?? []);
  let conflistPath: string | null = null;
  if (conf) {
    const body = conflist(conf.options);
    mkdirSync(conf.confDir, { recursive: true });
    conflistPath = join(conf.confDir, CONFLIST_NAME);
    writeAtomic(conflistPath, JSON.stringify(body, null, 2) + '\n', 0o644);
  }
  return {
    binDir,
    executables,
    node,
    nodeRuntime: opts.nodeRuntime === true,
    conflist: conflistPath,
    shim: 'path' in shim,
    ...('missing' in shim ? { noShim: shim.missing } : {}),
    removed,
  };
}

export interface UninstallReport {
  removed: string[];
  skipped: string[];
}

/** Copies the node binary running this to <binDir>/podnet.d/node, atomically (temp file
 *  and rename: a plugin running the old copy keeps its inode). Returns the copy's path. */
function installNodeRuntime(binDir: string): string {
  const dir = join(binDir, RUNTIME_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, RUNTIME_NODE);
  copyAtomic(process.execPath, file, 0o755);
  return file;
}

/** Removes podnet.d/: the node copy, a temp file of an interrupted copy, then the directory
 *  if that emptied it (anything else put there is someone else's, and stays). */
function removeNodeRuntime(binDir: string): UninstallReport {
  const dir = join(binDir, RUNTIME_DIR);
  const removed: string[] = [];
  const skipped: string[] = [];
  if (!existsSync(dir)) return { removed, skipped };
  for (const name of readdirSync(dir)) {
    if (name !== RUNTIME_NODE && !name.startsWith(`${RUNTIME_NODE}.podnet-tmp-`)) continue;
    unlinkSync(join(dir, name));
    if (name === RUNTIME_NODE) removed.push(join(dir, name));
  }
  const rest = readdirSync(dir);
  if (rest.length === 0) {
    rmdirSync(dir);
    removed.push(dir);
  } else skipped.push(`${dir} (holds files podnet did not write: ${rest.join(', ')})`);
  return { removed, skipped };
}

/** Removes only what install wrote: executables carrying the marker (the launcher's, or
 *  the shim's), the node runtime in podnet.d/, podnet's conflist. */
export function uninstall(binDir: string, confDir: string | undefined): UninstallReport {
  const removed: string[] = [];
  const skipped: string[] = [];
  for (const name of ['podnet', FALLBACK_NAME, 'podnet-ipam']) {
    const file = join(binDir, name);
    if (!existsSync(file)) continue;
    if (writtenByPodnet(file)) {
      unlinkSync(file);
      removed.push(file);
    } else skipped.push(`${file} (not written by podnet cni install)`);
  }
  const runtime = removeNodeRuntime(binDir);
  removed.push(...runtime.removed);
  skipped.push(...runtime.skipped);
  if (confDir) {
    const file = join(confDir, CONFLIST_NAME);
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text.includes('"type": "podnet"')) {
        unlinkSync(file);
        removed.push(file);
      } else skipped.push(`${file} (not a podnet conflist)`);
    }
  }
  return { removed, skipped };
}
