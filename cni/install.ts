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
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
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

export function launcher(nodePath: string): string {
  return [
    '#!/bin/sh',
    `':' //; # ${MARKER}: keep only the CNI variables, then run this same file with node`,
    `':' //; set --; for v in ${CNI_VARS.join(' ')}; do eval "[ -z \\"\\\${$v+x}\\" ] || set -- \\"\\$@\\" \\"$v=\\$$v\\""; done`,
    `':' //; exec /usr/bin/env -i PATH=${PATH_FOR_PLUGINS} "$@" '${nodePath}' "$0"`,
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
  node: string;
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
  const node = process.execPath;
  mkdirSync(binDir, { recursive: true });
  const shim = opts.shim === 'never' ? { missing: 'not asked for (shim: never)' } : shimBinary();
  const removed: string[] = [];
  const written = new Map<string, string>();
  // The Node plugins first, the shim last: a runtime calling `podnet` meanwhile finds its fallback.
  for (const plugin of PLUGINS) {
    const name = plugin === 'podnet' && 'path' in shim ? FALLBACK_NAME : plugin;
    const file = join(binDir, name);
    writeAtomic(file, launcher(node) + (await bundleCode(plugin)), 0o755);
    written.set(name, file);
  }
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

/** Removes only what install wrote: executables carrying the marker (the launcher's, or
 *  the shim's), podnet's conflist. */
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
