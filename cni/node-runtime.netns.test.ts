// `podnet cni install --node-runtime` for a host without Node.js: the plugins it installs run
// on a root filesystem that holds only what their launcher needs — a static busybox for
// /bin/sh and /usr/bin/env (Debian's busybox-static, as test/podman.ts uses) and the glibc
// libraries the node binary links (from ldd) — and no node but the copy in podnet.d/. The
// runtime's view is a chroot into that root (with /proc, which the shim reads its own path
// from, mounted in a private mount namespace). Needs root.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../test/cni.js';

const BUSYBOX = '/bin/busybox';
const unavailable =
  process.getuid?.() !== 0
    ? 'needs root (chroot, mount namespace)'
    : !existsSync(BUSYBOX)
      ? `${BUSYBOX} is missing (apt package busybox-static)`
      : null;

/** The shared libraries `ldd` says a binary loads, as absolute paths (the loader included). */
function sharedLibraries(binary: string): string[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${binary}: ${r.stderr}`);
  return [...r.stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

/** A root with busybox as /bin/sh and /usr/bin/env, the libraries `node` needs, and /proc. */
function minimalRoot(root: string, node: string): void {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  mkdirSync(join(root, 'proc'));
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  symlinkSync('busybox', join(root, 'bin', 'sh'));
  symlinkSync('/bin/busybox', join(root, 'usr', 'bin', 'env'));
  for (const lib of sharedLibraries(node)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib)); // follows the symlink: the library itself
  }
}

/** Runs a plugin of the root as a runtime on that host would: by its path, in a chroot. */
function runInRoot(root: string, plugin: string, env: Record<string, string>, stdin: string) {
  return spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t proc proc "$1/proc" && exec chroot "$1" "$2"',
      'sh',
      root,
      plugin,
    ],
    { input: stdin, encoding: 'utf8', env: { PATH: process.env.PATH!, ...env }, timeout: 30_000 },
  );
}

const VERSION_ENV = { CNI_COMMAND: 'VERSION' };
const CONF = JSON.stringify({ cniVersion: '1.0.0', name: 'podnet-test', type: 'podnet' });

describe.skipIf(unavailable !== null)('podnet cni install --node-runtime on a host without Node.js', () => {
  let dirs: ReturnType<typeof tempDirs>;
  beforeEach(() => {
    dirs = tempDirs();
  });
  afterEach(() => dirs.remove());

  it('installs the plugins with their own node and a static shim, and they answer VERSION in a root without Node', () => {
    const root = join(dirs.root, 'root');
    const bin = join(root, 'opt', 'cni', 'bin');
    const r = spawnSync('bin/podnet', ['cni', 'install', '--bin-dir', bin, '--node-runtime', '--json'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const runtime = join(bin, 'podnet.d', 'node');
    expect(report).toMatchObject({ nodeRuntime: true, node: runtime, shim: true });
    expect(statSync(runtime).size).toBe(statSync(process.execPath).size);
    // the shim the runtime execs as `podnet` is static (scripts/build-shim.sh): no loader, no libc needed
    expect(spawnSync('file', ['-L', join(bin, 'podnet')], { encoding: 'utf8' }).stdout).toContain('statically linked');

    minimalRoot(root, runtime);
    // no node in the root but podnet's copy
    const nodes = spawnSync('find', [root, '-name', 'node*', '-type', 'f'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    expect(nodes).toEqual([runtime]);

    for (const plugin of ['/opt/cni/bin/podnet-ipam', '/opt/cni/bin/podnet', '/opt/cni/bin/podnet-node']) {
      const v = runInRoot(root, plugin, VERSION_ENV, CONF);
      expect(v.status, `${plugin}: ${v.stderr}`).toBe(0);
      expect(JSON.parse(v.stdout)).toEqual({
        cniVersion: '1.0.0',
        supportedVersions: expect.arrayContaining(['0.3.1', '0.4.0', '1.0.0']),
      });
    }
  });

  it('the control: plugins installed for this machine’s node do not run in that root', () => {
    const root = join(dirs.root, 'root');
    const bin = join(root, 'opt', 'cni', 'bin');
    expect(spawnSync('bin/podnet', ['cni', 'install', '--bin-dir', bin, '--node-runtime']).status).toBe(0);
    minimalRoot(root, join(bin, 'podnet.d', 'node'));
    const plain = join(root, 'opt', 'plain');
    const r = spawnSync('bin/podnet', ['cni', 'install', '--bin-dir', plain, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ nodeRuntime: false, node: process.execPath });
    expect(existsSync(join(plain, 'podnet.d'))).toBe(false);
    const v = runInRoot(root, '/opt/plain/podnet-ipam', VERSION_ENV, CONF);
    expect(v.status).not.toBe(0);
    expect(v.stdout).toBe('');
  });
});
