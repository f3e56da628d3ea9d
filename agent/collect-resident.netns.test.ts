// The agent's resident `ip -batch` (lib/net/ip-reader.ts) against real namespaces: a node
// with a bridge and veths to pods. It reads what a one-shot `ip -batch` reads; it survives
// its process being killed or stopped (a new one is started, the collection still
// answers); concurrent reads get their own answers; nothing runs after close() or after
// the agent stops.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResidentIp, batchIfname, batchIpv4 } from '../lib/net/ip-reader.js';
import type { NodeSnapshot } from '../lib/model/snapshot.js';
import { readProcStat } from '../lib/proc/stat.js';
import { AttachmentStore } from '../lib/state/attachments.js';
import { call } from '../test/agent-client.js';
import { Namespaces } from '../test/netns.js';
import { DUMPS, collect, ipDump, parseDumps, type CollectInputs } from './collect.js';
import { configFromConflist } from './config.js';
import { NO_INTENT } from './findings.js';

const repo = new URL('..', import.meta.url).pathname;
const ns = new Namespaces('rip');
const cleanups: (() => void | Promise<void>)[] = [];
const PODS = 6;

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  ns.removeAll();
});

const ip = (...args: string[]) => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
};
/** No IPv6 in these namespaces: its addresses and neighbour entries come and go by themselves. */
const noIpv6 = (name: string) =>
  spawnSync('nsenter', [
    `--net=/run/netns/${name}`,
    '--',
    'sh',
    '-c',
    'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6',
  ]);

const alive = (pid: number) => {
  const s = readProcStat(pid);
  return s !== null && s.state !== 'Z';
};

/** A node namespace with bridge v-net-0 (10.244.1.1/24) and PODS pods, each a namespace
 *  with eth0 (10.244.1.(10+i)) on a veth whose host end is on the bridge, a permanent
 *  neighbour entry for it, and its attachment record in a state dir. */
function buildNode(): { node: string; inputs: CollectInputs } {
  const node = ns.add('node');
  noIpv6(node);
  ip('-n', node, 'link', 'add', 'v-net-0', 'type', 'bridge');
  ip('-n', node, 'addr', 'add', '10.244.1.1/24', 'dev', 'v-net-0');
  ip('-n', node, 'link', 'set', 'v-net-0', 'up');
  const stateDir = mkdtempSync(join(tmpdir(), 'podnet-rip-'));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const config = { ...configFromConflist('node1', null), stateDir };
  const store = new AttachmentStore(stateDir, config.network);
  for (let i = 0; i < PODS; i++) {
    const pod = ns.add(`pod${i}`);
    noIpv6(pod);
    const veth = `veth${i}rip`;
    const addr = `10.244.1.${10 + i}`;
    ip('-n', node, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
    ip('-n', node, 'link', 'set', veth, 'master', 'v-net-0', 'up');
    ip('-n', pod, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', pod, 'link', 'set', 'eth0', 'up');
    ip('-n', pod, 'route', 'add', 'default', 'via', '10.244.1.1');
    store.write({
      network: config.network,
      containerID: `c${i}`.padEnd(12, '0'),
      ifname: 'eth0',
      netns: `/run/netns/${pod}`,
      podNamespace: 'default',
      podName: `web-${i}`,
      bridge: 'v-net-0',
      hostVeth: veth,
      ips: [`${addr}/24`],
      result: { cniVersion: '1.0.0' },
      createdAt: new Date(0).toISOString(),
    });
  }
  // After the pods: the bridge's carrier coming up flushes what was there before.
  for (let i = 0; i < PODS; i++)
    ip('-n', node, 'neigh', 'replace', `10.244.1.${10 + i}`, 'lladdr', `02:00:00:00:01:${16 + i}`, 'dev', 'v-net-0');
  return { node, inputs: { config, intent: NO_INTENT, firewall: null } };
}

const comparable = (s: NodeSnapshot) => ({ ...s, collectedAt: '', collectMs: 0 });

function reader(node: string, opts: ConstructorParameters<typeof ResidentIp>[0] = {}): ResidentIp {
  const r = new ResidentIp({ netns: node, ...opts });
  cleanups.push(() => r.close());
  return r;
}

describe('the resident ip -batch', () => {
  it('reads the same snapshot as a one-shot ip -batch, for a node with veths and pods', async () => {
    const { node, inputs } = buildNode();
    const r = reader(node);
    // Links settle (carrier, operstate) just after they are made: compare once both agree
    // on a settled kernel, a one-shot read on each side of the resident one.
    let same = false;
    let resident: NodeSnapshot | null = null;
    let oneShot: NodeSnapshot | null = null;
    for (let i = 0; i < 20 && !same; i++) {
      const before = comparable(await collect({ ...inputs, netns: node }));
      resident = comparable(await collect({ ...inputs, reader: r }));
      oneShot = comparable(await collect({ ...inputs, netns: node }));
      same = JSON.stringify(before) === JSON.stringify(oneShot) && JSON.stringify(resident) === JSON.stringify(oneShot);
      if (!same) await new Promise((res) => setTimeout(res, 200));
    }
    expect(resident).toEqual(oneShot);
    expect(r.started).toBe(1);
    expect(r.fallbacks).toBe(0);
    // The node's view: every pod, its veth's far end named, the routes and neighbours.
    const snap = resident!;
    expect(snap.pods.map((p) => p.name).sort()).toEqual([...Array(PODS).keys()].map((i) => `web-${i}`).sort());
    const veths = snap.links.filter((l) => l.kind === 'veth');
    expect(veths).toHaveLength(PODS);
    for (const v of veths) {
      expect(v.master).toBe('v-net-0');
      expect(v.peer?.netns).toMatch(new RegExp(`^${ns.prefix}pod\\d$`));
      expect(v.peer?.pod).toMatch(/^default\/web-\d$/);
    }
    expect(snap.routes.some((x) => x.dst === '10.244.1.0/24' && x.dev === 'v-net-0')).toBe(true);
    expect(snap.neighbours.filter((n) => n.link === 'v-net-0')).toHaveLength(PODS);
  });

  it('killed by its pid, idle or mid-read, or stopped past the deadline: the read still answers and a new process is started', async () => {
    const { node, inputs } = buildNode();
    const told: string[] = [];
    const r = reader(node, { deadlineMs: 500, onRestart: (why) => told.push(why) });
    const first = await collect({ ...inputs, reader: r });
    const pid1 = r.pid!;
    expect(alive(pid1)).toBe(true);

    // Idle: the next read starts another and answers from it.
    process.kill(pid1, 'SIGKILL');
    await expect.poll(() => alive(pid1)).toBe(false);
    const second = await collect({ ...inputs, reader: r });
    expect(comparable(second).pods).toEqual(comparable(first).pods);
    const pid2 = r.pid!;
    expect(pid2).not.toBe(pid1);
    expect(alive(pid2)).toBe(true);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/killed by SIGKILL/);
    // Told once per run of failures: a resident answer ends the run.
    expect((await r.run(DUMPS)).via).toBe('resident');

    // Mid-read: killed right after the request was written (its answer may beat the signal).
    const during = r.run(DUMPS);
    process.kill(pid2, 'SIGKILL');
    const answer = await during;
    expect(parseDumps(answer.lines).links.filter((l) => l.ifname.startsWith('veth'))).toHaveLength(PODS);
    await expect.poll(() => alive(pid2)).toBe(false);
    const after = await r.run(DUMPS);
    expect(parseDumps(after.lines).links.filter((l) => l.ifname.startsWith('veth'))).toHaveLength(PODS);
    const pid3 = r.pid!;
    expect([pid1, pid2]).not.toContain(pid3);
    expect(alive(pid3)).toBe(true);
    expect((await r.run(DUMPS)).via).toBe('resident');
    expect(told).toHaveLength(2);

    // Hung (stopped): no answer within the deadline, so the one-shot path answers, the
    // stopped process is killed and a new one started.
    process.kill(pid3, 'SIGSTOP');
    const hung = await r.run(DUMPS);
    expect(hung.via).toBe('one-shot');
    expect(parseDumps(hung.lines).links.filter((l) => l.ifname.startsWith('veth'))).toHaveLength(PODS);
    await expect.poll(() => alive(pid3)).toBe(false);
    const pid4 = r.pid!;
    expect([pid1, pid2, pid3]).not.toContain(pid4);
    expect((await r.run(DUMPS)).via).toBe('resident');
    expect(told).toHaveLength(3);
    expect(told[2]).toMatch(/no answer within 500 ms/);
    const last = await collect({ ...inputs, reader: r });
    expect(comparable(last).pods).toEqual(comparable(first).pods);
  });

  it('serialises concurrent reads: each gets the answers to its own commands', async () => {
    const { node, inputs } = buildNode();
    const r = reader(node);
    // The kernel's part of a link that does not tick (-d prints the bridge's timers).
    const stable = (d: ReturnType<typeof parseDumps>) => ({
      ...d,
      links: d.links.map((l) => [l.ifindex, l.ifname, l.master, l.addr_info?.map((a) => a.local)]),
    });
    const expected = {
      dumps: stable(parseDumps(await ipDump(DUMPS, node))),
      routes: JSON.parse((await ipDump(['route show table main'], node))[0]!) as unknown[],
      neigh: JSON.parse((await ipDump(['neigh show dev v-net-0'], node))[0]!) as unknown[],
    };
    const jobs = [...Array(24).keys()].map(async (i) => {
      if (i % 3 === 0) return ['dumps', stable(parseDumps((await r.run(DUMPS)).lines))] as const;
      if (i % 3 === 1)
        return ['routes', JSON.parse((await r.run(['route show table main'])).lines[0]!) as unknown[]] as const;
      const dev = batchIfname('v-net-0');
      return ['neigh', JSON.parse((await r.run([`neigh show dev ${dev}`])).lines[0]!) as unknown[]] as const;
    });
    const snaps = Promise.all([...Array(6).keys()].map(() => collect({ ...inputs, reader: r })));
    for (const [kind, got] of await Promise.all(jobs)) expect(got).toEqual(expected[kind]);
    for (const s of await snaps) expect(s.pods).toHaveLength(PODS);
    expect(r.started).toBe(1);
    expect(r.fallbacks).toBe(0);
  });

  it('refuses batch lines that are not plain commands, and outside names it has not checked', async () => {
    const r = new ResidentIp();
    expect(() => r.run(['link show dev "x"'])).toThrow(/refusing/);
    expect(() => r.run(['addr show\nlink del v-net-0'])).toThrow(/refusing/);
    expect(() => r.run(['link show dev lo'])).toThrow(/refusing/); // the marker
    expect(() => batchIfname('a#b')).toThrow(/refusing/);
    expect(() => batchIfname('x'.repeat(16))).toThrow(/refusing/);
    expect(() => batchIpv4('10.0.0.1; reboot')).toThrow(/refusing/);
    expect(() => batchIpv4('010.0.0.1')).toThrow(/refusing/);
    expect(batchIpv4('10.0.0.1')).toBe('10.0.0.1');
    expect(() => new ResidentIp({ netns: '../x' })).toThrow(/refusing/);
    expect(r.pid).toBe(null);
    await r.close();
  });

  it('close() kills it by its pid; later reads go one-shot', async () => {
    const { node } = buildNode();
    const r = new ResidentIp({ netns: node });
    await r.run(DUMPS);
    const pid = r.pid!;
    expect(alive(pid)).toBe(true);
    await r.close();
    expect(alive(pid)).toBe(false);
    expect(r.pid).toBe(null);
    expect((await r.run(DUMPS)).via).toBe('one-shot');
    expect(r.pid).toBe(null);
  });
});

/** The agent's `ip -batch` children (its resident reader), from /proc. */
function batchChildren(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (readProcStat(Number(entry))?.ppid === pid && argv[0] === 'ip' && argv.includes('-batch'))
        out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));

describe("the agent's resident reader", () => {
  it('one per agent, replaced when killed (logged), gone when the agent stops', async () => {
    const node = ns.add('node');
    ip('-n', node, 'link', 'add', 'v-net-0', 'type', 'bridge');
    const dir = mkdtempSync(join(tmpdir(), 'podnet-rip-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const token = 'rip-' + 'x'.repeat(28);
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
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let log = '';
    agent.stdout!.on('data', (d) => (log += d));
    cleanups.push(async () => {
      if (agent.exitCode !== null || agent.signalCode !== null) return;
      agent.kill('SIGKILL');
      await exited(agent);
    });
    await expect.poll(() => log.includes('"msg":"agent up"'), { timeout: 30_000 }).toBe(true);
    const snapshot = async () => (await call(socket, token, 'GET', '/v1/snapshot')).body.snapshot as NodeSnapshot;
    const [first, ...more] = batchChildren(agent.pid!);
    expect(first, 'the agent keeps one ip -batch').toBeDefined();
    expect(more).toEqual([]);

    process.kill(first!, 'SIGKILL');
    ip('-n', node, 'link', 'add', 'rip-a', 'type', 'veth', 'peer', 'name', 'rip-b');
    // The monitor's notification makes it collect: through a new resident process.
    await expect
      .poll(async () => (await snapshot()).links.some((l) => l.name === 'rip-a'), { timeout: 8_000 })
      .toBe(true);
    const [second] = batchChildren(agent.pid!);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(log.match(/the resident ip -batch failed/g)).toHaveLength(1);

    agent.kill('SIGTERM');
    await exited(agent);
    expect(agent.exitCode).toBe(0);
    expect(alive(second!)).toBe(false);
  });
});
