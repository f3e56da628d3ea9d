// The built agent (scripts/build.mjs → .build/cli/) starts its CNI fast path's verb threads
// from the prebuilt bundle (.build/bundles/cni-worker.cjs), with esbuild and tsx
// unresolvable: the way it runs where only the run-time dependencies are installed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conflist } from '../cni/install.js';
import { Namespaces } from '../test/netns.js';
import { WITHOUT_BUILD_TOOLS } from '../test/no-build-tools.js';

const repo = new URL('..', import.meta.url).pathname;
const bundle = join(repo, '.build', 'cli', 'main.js');

describe('the built agent', () => {
  const ns = new Namespaces('bt');
  let dir = '';
  let pid = 0;
  beforeAll(() => {
    // The same build bin/podnet runs; cli/bundle.test.ts checks it against the sources.
    const build = spawn(process.execPath, [join(repo, 'scripts', 'build.mjs')], { cwd: repo, stdio: 'ignore' });
    return new Promise<void>((resolve, reject) =>
      build.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/build.mjs exited ${code}`)))),
    );
  }, 60_000);
  afterEach(() => {
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited already */
      }
      pid = 0;
    }
    ns.removeAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts its verb threads from the prebuilt bundle, without the build tools', async () => {
    const node = ns.add('node');
    // Under /run, root's: the CNI socket's directory must be one only root can change.
    dir = mkdtempSync('/run/podnet-bt-');
    const conf = join(dir, '10-podnet.conflist');
    writeFileSync(
      conf,
      JSON.stringify(
        conflist({
          name: 'tnet',
          subnet: '10.244.1.0/24',
          clusterNetwork: undefined,
          bridge: 'v-net-0',
          stateDir: join(dir, 'state'),
          dataDir: join(dir, 'leases'),
        }),
      ),
    );
    writeFileSync(join(dir, 'token'), 'a-token-of-enough-length\n', { mode: 0o600 });
    const args = [
      `--net=/run/netns/${node}`,
      '--',
      process.execPath,
      ...WITHOUT_BUILD_TOOLS,
      bundle,
      'agent',
      '--node',
      'node1',
      '--listen',
      `unix:${join(dir, 'agent.sock')}`,
      '--token-file',
      join(dir, 'token'),
      '--conflist',
      conf,
      '--cni-socket',
      join(dir, 'cni.sock'),
      '--no-reconcile',
    ];
    // nsenter execs node: the PID is the agent's own, ended by afterEach.
    const child = spawn('nsenter', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    pid = child.pid!;
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "CNI socket listening" within 30 s: ${log}`)), 30_000);
      const look = () => {
        const line = log.split('\n').find((l) => l.includes('CNI socket listening'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the agent exited (${signal ?? code}): ${log}`));
      });
    });
    // Listening comes after every verb thread has started and said it is ready.
    expect(listening.workers).toBeGreaterThanOrEqual(2);
    expect(log).not.toMatch(/esbuild|made unresolvable/);
  }, 60_000);
});
