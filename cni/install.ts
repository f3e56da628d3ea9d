// `podnet cni install`: the way flannel's install-cni works — put the plugin executables
// into the runtime's bin dir and, optionally, a conflist into its conf dir.
//
// Each executable is one file that is both a POSIX sh script and the bundled JavaScript
// (a polyglot): sh runs its first lines, which exec the absolute node binary on the same
// file with an environment holding only the CNI variables; node skips those lines, which
// are a string and a comment to it. So the plugin needs no repository, no PATH lookup
// of node, and nothing from the runtime's environment (NODE_OPTIONS, or
// NODE_EXTRA_CA_CERTS, which costs Node ~60 ms at start) but the CNI variables.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCidr, parseCidr } from '../lib/model/ipv4.js';

export const PLUGINS = { podnet: 'cni/podnet/main.ts', 'podnet-ipam': 'cni/ipam/main.ts' } as const;
export type PluginName = keyof typeof PLUGINS;
export const MARKER = 'podnet-cni-launcher';
export const CONFLIST_NAME = '10-podnet.conflist';
const CNI_VARS = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'];

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function launcher(nodePath: string): string {
  return [
    '#!/bin/sh',
    `':' //; # ${MARKER}: keep only the CNI variables, then run this same file with node`,
    `':' //; set --; for v in ${CNI_VARS.join(' ')}; do eval "[ -z \\"\\\${$v+x}\\" ] || set -- \\"\\$@\\" \\"$v=\\$$v\\""; done`,
    `':' //; exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" '${nodePath}' "$0"`,
    '',
  ].join('\n');
}

/** Bundles one plugin into a single CommonJS file (no TypeScript at run time). */
export async function bundle(plugin: PluginName): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(repoRoot, PLUGINS[plugin])],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
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
}

export function conflist(o: ConflistOptions): Record<string, unknown> {
  const subnet = parseCidr(o.subnet);
  if (!subnet) throw new Error(`--subnet "${o.subnet}" is not a CIDR such as 10.244.1.0/24`);
  const cluster = o.clusterNetwork === undefined ? null : parseCidr(o.clusterNetwork);
  if (o.clusterNetwork !== undefined && !cluster) throw new Error(`--cluster-network "${o.clusterNetwork}" is not a CIDR such as 10.244.0.0/16`);
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
}

export async function install(binDir: string, conf: { confDir: string; options: ConflistOptions } | null): Promise<InstallReport> {
  const node = process.execPath;
  mkdirSync(binDir, { recursive: true });
  const executables: string[] = [];
  for (const plugin of Object.keys(PLUGINS) as PluginName[]) {
    const file = join(binDir, plugin);
    writeAtomic(file, launcher(node) + (await bundle(plugin)), 0o755);
    executables.push(file);
  }
  let conflistPath: string | null = null;
  if (conf) {
    const body = conflist(conf.options);
    mkdirSync(conf.confDir, { recursive: true });
    conflistPath = join(conf.confDir, CONFLIST_NAME);
    writeAtomic(conflistPath, JSON.stringify(body, null, 2) + '\n', 0o644);
  }
  return { binDir, executables, node, conflist: conflistPath };
}

export interface UninstallReport {
  removed: string[];
  skipped: string[];
}

/** Removes only what install wrote: executables carrying the marker, podnet's conflist. */
export function uninstall(binDir: string, confDir: string | undefined): UninstallReport {
  const removed: string[] = [];
  const skipped: string[] = [];
  for (const plugin of Object.keys(PLUGINS)) {
    const file = join(binDir, plugin);
    if (!existsSync(file)) continue;
    if (readFileSync(file, 'utf8').slice(0, 300).includes(MARKER)) {
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
