// The agent's `ip monitor` dies: the agent restarts it and reads the kernel afresh, so a
// change made while no monitor listened still arrives, without waiting for the safety
// recheck (made far longer than the test here, so only the restart can bring it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcStat } from '../lib/proc/stat.js';
import { afterEach, describe, expect, it } from 'vitest';
import { call, subscribe } from '../test/agent-client.js';
import { Namespaces } from '../test/netns.js';

const repo = new URL('..', import.meta.url).pathname;
const ns = new Namespaces('h3a');
const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  ns.removeAll();
});

/** The PIDs of `ip monitor` processes whose parent is `pid`. */
function monitorChildren(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = readProcStat(Number(entry))?.ppid;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === pid && argv[0] === 'ip' && argv.includes('monitor')) out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

describe("the agent's ip monitor", () => {
  it('killed, it is restarted and a bridge set down in the gap shows as a finding without the recheck', async () => {
    const node = ns.add('node');
    spawnSync('ip', ['-n', node, 'link', 'add', 'v-net-0', 'type', 'bridge']);
    spawnSync('ip', ['-n', node, 'link', 'set', 'v-net-0', 'up']);
    const dir = mkdtempSync(join(tmpdir(), 'podnet-h3a-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const token = 'h3a-' + 'x'.repeat(28);
    writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
    const socket = join(dir, 'agent.sock');
    const options = {
      node: 'node1',
      conflist: null,
      labInventory: null,
      listen: `unix:${socket}`,
      tokenFile: join(dir, 'token'),
      reconcile: false,
      recheckMs: 3_600_000,
    };
    const agent = spawn(
      'nsenter',
      [
        `--net=/run/netns/${node}`,
        '--',
        process.execPath,
        '--import',
        join(repo, 'node_modules/tsx/dist/loader.mjs'),
        join(repo, 'test/agent-runner.ts'),
        JSON.stringify(options),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let log = '';
    agent.stdout!.on('data', (d) => (log += d));
    // nsenter execs node: the PID is the agent's own.
    cleanups.push(async () => {
      if (agent.exitCode !== null || agent.signalCode !== null) return;
      agent.kill('SIGTERM');
      const t = setTimeout(() => agent.kill('SIGKILL'), 5_000);
      await exited(agent);
      clearTimeout(t);
    });
    await expect.poll(() => log.includes('"msg":"agent up"'), { timeout: 30_000 }).toBe(true);
    const sub = subscribe(socket, token);
    cleanups.push(() => sub.close());
    await sub.waitFor((v) => v.links.some((l) => l.name === 'v-net-0' && l.up));
    const [first, ...more] = monitorChildren(agent.pid!);
    expect(first, 'the agent runs one ip monitor').toBeDefined();
    expect(more).toEqual([]);

    process.kill(first!, 'SIGKILL');
    spawnSync('ip', ['-n', node, 'link', 'set', 'v-net-0', 'down']);
    // Far sooner than the recheck (an hour here): only the restart's fresh read brings it.
    const seen = await sub.waitFor((v) => v.findings.some((f) => f.id === 'bridge-down'), 8_000);
    expect(seen.findings.find((f) => f.id === 'bridge-down')).toMatchObject({
      expected: 'up',
      actual: 'down',
      fix: 'ip link set v-net-0 up',
    });
    expect(log).toMatch(
      /"msg":"ip monitor exited \(SIGKILL\); restarting it in \d+ ms, then reading the kernel afresh"/,
    );
    const [second] = monitorChildren(agent.pid!);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    // The new monitor reports changes as they happen again.
    spawnSync('ip', ['-n', node, 'link', 'set', 'v-net-0', 'up']);
    await sub.waitFor((v) => !v.findings.some((f) => f.id === 'bridge-down'), 8_000);
    expect((await call(socket, null, 'GET', '/healthz')).status).toBe(200);
  });
});
