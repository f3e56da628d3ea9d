// `podnet cni install` as a user runs it: the executables work with nothing from the
// environment but the CNI variables, and uninstall removes only what install wrote. With the
// shim built (scripts/build-shim.sh, or by install itself when cc exists), `podnet` is the
// shim and the Node plugin is `podnet-node` next to it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../test/cni.js';
import { conflist, install, MARKER, uninstall } from './install.js';

const isElf = (f: string) => readFileSync(f).subarray(0, 4).toString('latin1') === '\x7fELF';

const podnet = (args: string[]) => spawnSync('bin/podnet', args, { encoding: 'utf8' });

describe('podnet cni install', () => {
  let dirs: ReturnType<typeof tempDirs>;
  beforeEach(() => {
    dirs = tempDirs();
  });
  afterEach(() => dirs.remove());

  it('writes the shim as podnet, the Node plugin as podnet-node, podnet-ipam and a 1.0.0 conflist, and reports them as JSON', () => {
    const bin = join(dirs.root, 'bin');
    const conf = join(dirs.root, 'net.d');
    const r = podnet([
      'cni',
      'install',
      '--bin-dir',
      bin,
      '--conf-dir',
      conf,
      '--subnet',
      '10.244.2.0/24',
      '--cluster-network',
      '10.244.0.0/16',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.executables).toEqual([join(bin, 'podnet'), join(bin, 'podnet-node'), join(bin, 'podnet-ipam')]);
    expect(report.shim).toBe(true);
    expect(report.node).toBe(process.execPath);
    for (const f of report.executables) expect(statSync(f).mode & 0o111).toBe(0o111);
    expect(isElf(join(bin, 'podnet'))).toBe(true);
    for (const f of ['podnet-node', 'podnet-ipam'])
      expect(readFileSync(join(bin, f), 'utf8').slice(0, 300)).toContain(MARKER);
    const conflist = JSON.parse(readFileSync(join(conf, '10-podnet.conflist'), 'utf8'));
    expect(conflist.cniVersion).toBe('1.0.0');
    expect(conflist.plugins[0]).toMatchObject({
      type: 'podnet',
      bridge: 'v-net-0',
      clusterNetwork: '10.244.0.0/16',
      ipMasq: true,
      ipam: { type: 'podnet-ipam', ranges: [[{ subnet: '10.244.2.0/24' }]] },
    });
  });

  it('the executables ignore the runtime environment: NODE_OPTIONS cannot reach them', () => {
    const bin = join(dirs.root, 'bin');
    expect(podnet(['cni', 'install', '--bin-dir', bin]).status).toBe(0);
    const r = spawnSync(join(bin, 'podnet'), [], {
      encoding: 'utf8',
      input: '{"cniVersion":"1.0.0"}',
      env: { CNI_COMMAND: 'VERSION', NODE_OPTIONS: '--require /nonexistent/hook.js', PATH: '/nonexistent' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      cniVersion: '1.0.0',
      supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
    // CNI_ARGS with spaces and semicolons arrives intact through the sh launcher.
    const args = spawnSync(join(bin, 'podnet'), [], {
      encoding: 'utf8',
      input: '{}',
      env: { CNI_COMMAND: 'ADD', CNI_ARGS: 'A=1;B=x y' },
    });
    expect(JSON.parse(args.stdout)).toMatchObject({
      code: 4,
      msg: expect.stringMatching(/CNI_CONTAINERID is not set/),
    });
  });

  it('refuses --conf-dir without --subnet, and a bad subnet, changing nothing', () => {
    const conf = join(dirs.root, 'net.d');
    const r = podnet(['cni', 'install', '--bin-dir', join(dirs.root, 'bin'), '--conf-dir', conf]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--conf-dir needs --subnet/);
    const bad = podnet([
      'cni',
      'install',
      '--bin-dir',
      join(dirs.root, 'bin2'),
      '--conf-dir',
      conf,
      '--subnet',
      '10.244.2.0/99',
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--subnet "10\.244\.2\.0\/99" is not a CIDR/);
    expect(existsSync(join(conf, '10-podnet.conflist'))).toBe(false);
  });

  it('uninstall removes what install wrote and leaves a foreign plugin of the same name', () => {
    const bin = join(dirs.root, 'bin');
    const conf = join(dirs.root, 'net.d');
    expect(podnet(['cni', 'install', '--bin-dir', bin, '--conf-dir', conf, '--subnet', '10.244.1.0/24']).status).toBe(
      0,
    );
    const r = podnet(['cni', 'uninstall', '--bin-dir', bin, '--conf-dir', conf, '--json']);
    expect(JSON.parse(r.stdout).removed.sort()).toEqual(
      [
        join(bin, 'podnet'),
        join(bin, 'podnet-ipam'),
        join(bin, 'podnet-node'),
        join(conf, '10-podnet.conflist'),
      ].sort(),
    );
    expect(existsSync(join(bin, 'podnet'))).toBe(false);
    expect(existsSync(join(bin, 'podnet-node'))).toBe(false);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'podnet'), '#!/bin/sh\necho someone else\n', { mode: 0o755 });
    writeFileSync(join(bin, 'podnet-node'), '#!/bin/sh\necho someone else too\n', { mode: 0o755 });
    // A foreign ELF binary of that name is left too.
    execFileSync('cp', ['/bin/true', join(bin, 'podnet-ipam')]);
    const again = podnet(['cni', 'uninstall', '--bin-dir', bin, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({
      removed: [],
      skipped: ['podnet', 'podnet-node', 'podnet-ipam'].map(
        (n) => `${join(bin, n)} (not written by podnet cni install)`,
      ),
    });
    expect(execFileSync(join(bin, 'podnet'), { encoding: 'utf8' })).toBe('someone else\n');
  });

  it('without a shim, podnet is the Node plugin itself, and a podnet-node of an earlier install goes', async () => {
    const bin = join(dirs.root, 'bin');
    await install(bin, null);
    expect(existsSync(join(bin, 'podnet-node'))).toBe(true);
    const report = await install(bin, null, { shim: 'never' });
    expect(report).toMatchObject({
      shim: false,
      noShim: expect.any(String),
      executables: [join(bin, 'podnet'), join(bin, 'podnet-ipam')],
      removed: [join(bin, 'podnet-node')],
    });
    expect(existsSync(join(bin, 'podnet-node'))).toBe(false);
    expect(readFileSync(join(bin, 'podnet'), 'utf8').slice(0, 300)).toContain(MARKER);
    const r = spawnSync(join(bin, 'podnet'), [], {
      encoding: 'utf8',
      input: '{"cniVersion":"1.0.0","agentSocket":"/nonexistent.sock"}',
      env: { CNI_COMMAND: 'VERSION' },
    });
    expect(JSON.parse(r.stdout).cniVersion).toBe('1.0.0');
    expect(uninstall(bin, undefined).removed.sort()).toEqual([join(bin, 'podnet'), join(bin, 'podnet-ipam')]);
  });

  it('the shim falls back to podnet-node with the same stdin, whatever its size, and the CNI variables only', async () => {
    const bin = join(dirs.root, 'bin');
    await install(bin, null);
    // A config far larger than a pipe holds, with an agentSocket nobody serves.
    const big = JSON.stringify({
      cniVersion: '0.4.0',
      agentSocket: join(dirs.root, 'none.sock'),
      pad: 'x'.repeat(300_000),
    });
    const r = spawnSync(join(bin, 'podnet'), [], {
      encoding: 'utf8',
      input: big,
      env: { CNI_COMMAND: 'VERSION', NODE_OPTIONS: '--require /nonexistent/hook.js' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).cniVersion).toBe('0.4.0');
    // Not JSON, or agentSocket not a string: the plugin runs and reports what is wrong.
    const bad = spawnSync(join(bin, 'podnet'), [], {
      encoding: 'utf8',
      input: '{"agentSocket": 5',
      env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: bin },
    });
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ code: 6 });
  });

  it('--node-runtime: the plugins run the node copied into podnet.d/, found beside themselves; uninstall removes it', async () => {
    const bin = join(dirs.root, 'bin');
    const report = await install(bin, null, { nodeRuntime: true });
    const runtime = join(bin, 'podnet.d', 'node');
    expect(report).toMatchObject({ nodeRuntime: true, node: runtime });
    expect(readFileSync(runtime).equals(readFileSync(process.execPath))).toBe(true);
    expect(statSync(runtime).mode & 0o777).toBe(0o755);
    for (const f of ['podnet-node', 'podnet-ipam']) {
      const head = readFileSync(join(bin, f), 'utf8').slice(0, 600);
      expect(head).toContain('"$d/podnet.d/node" "$0"');
      // the bin dir is the host's seen through a mount: no path of this machine in the launcher
      expect(head).not.toContain(process.execPath);
      expect(head).not.toContain(bin);
    }
    // the bin dir moved (the host's view of an init container's mount): still runs, by any path
    const moved = join(dirs.root, 'host-opt-cni-bin');
    execFileSync('mv', [bin, moved]);
    const input = '{"cniVersion":"0.4.0"}';
    const env = { CNI_COMMAND: 'VERSION' };
    for (const [file, cwd] of [
      [join(moved, 'podnet'), dirs.root],
      [join(moved, 'podnet-ipam'), dirs.root],
      ['./podnet-ipam', moved],
    ] as const) {
      const r = spawnSync(file, [], { encoding: 'utf8', input, env, cwd });
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).cniVersion).toBe('0.4.0');
    }
    // without the copy the launcher has nothing to run: it does use podnet.d/node
    execFileSync('mv', [join(moved, 'podnet.d', 'node'), join(dirs.root, 'away')]);
    expect(spawnSync(join(moved, 'podnet-ipam'), [], { encoding: 'utf8', input, env }).status).not.toBe(0);
    execFileSync('mv', [join(dirs.root, 'away'), join(moved, 'podnet.d', 'node')]);
    const u = podnet(['cni', 'uninstall', '--bin-dir', moved, '--json']);
    expect(u.status, u.stderr).toBe(0);
    expect(JSON.parse(u.stdout).removed).toEqual(
      expect.arrayContaining([join(moved, 'podnet.d', 'node'), join(moved, 'podnet.d')]),
    );
    expect(readdirSync(moved)).toEqual([]);
  });

  it('an install without --node-runtime removes the copy an earlier one left; a foreign file in podnet.d/ stays', async () => {
    const bin = join(dirs.root, 'bin');
    await install(bin, null, { nodeRuntime: true });
    writeFileSync(join(bin, 'podnet.d', 'README'), 'mine\n');
    const report = await install(bin, null);
    expect(report).toMatchObject({ nodeRuntime: false, node: process.execPath });
    expect(report.removed).toEqual([join(bin, 'podnet.d', 'node')]);
    expect(readdirSync(join(bin, 'podnet.d'))).toEqual(['README']);
    expect(uninstall(bin, undefined).skipped).toEqual([
      `${join(bin, 'podnet.d')} (holds files podnet did not write: README)`,
    ]);
  });

  it('conflist names agentSocket when asked', () => {
    const c = conflist({
      name: 'podnet',
      subnet: '10.244.1.0/24',
      clusterNetwork: undefined,
      bridge: 'v-net-0',
      stateDir: '/run/podnet',
      dataDir: '/var/lib/cni/networks',
      agentSocket: '/run/podnet/cni.sock',
    });
    expect((c.plugins as Record<string, unknown>[])[0]!.agentSocket).toBe('/run/podnet/cni.sock');
  });

  it('every command has --help, and unknown options are refused with a pointer to it', () => {
    for (const cmd of [
      ['cni', 'install'],
      ['cni', 'uninstall'],
    ]) {
      const help = podnet([...cmd, '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^usage: podnet /);
      expect(help.stdout).toContain('--json');
    }
    const bad = podnet(['cni', 'install', '--bogus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option --bogus[\s\S]*podnet cni install --help/);
  });
});
