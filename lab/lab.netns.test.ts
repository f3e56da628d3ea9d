// The lab, built for real with a lab id of the test's own: the kernel's view of every
// pod, the network model under `podnet check`, idempotent up and down, faults that check
// must report, and growing and shrinking the cluster.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, Listeners } from '../test/tcp.js';
import { runCheck } from './check.js';
import { readInventory } from './inventory.js';
import { labDown, labUp } from './lab.js';
import { nodeAdd, nodeDel } from './nodes.js';
import { labPaths } from './paths.js';
import { podAdd, podDel } from './pods.js';

const quiet = () => {};
const ipj = (ns: string, args: string[]) =>
  JSON.parse(spawnSync('ip', ['-n', ns, '-j', ...args], { encoding: 'utf8' }).stdout || '[]');
const labNamespaces = (prefix: string) =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix));

describe.each(['host-gw', 'router'] as const)('the lab in %s mode', (routing) => {
  const p = labPaths(`t${randomBytes(3).toString('hex')}`);
  afterAll(async () => {
    await labDown(p); // also when a test failed half-way
    expect(labNamespaces(p.prefix)).toEqual([]);
  });

  it('builds the reference topology: addresses, routes and bridges as the kernel has them', async () => {
    const { inventory: lab } = await labUp(p, { nodes: 3, podsPerNode: 2, routing }, quiet);
    expect(lab.nodes.map((n) => [n.name, n.ip, n.podCIDR])).toEqual([
      ['node1', '192.168.1.11', '10.244.1.0/24'],
      ['node2', '192.168.1.12', '10.244.2.0/24'],
      ['node3', '192.168.1.13', '10.244.3.0/24'],
    ]);
    expect(lab.pods.map((x) => [x.name, x.node, x.ip])).toEqual([
      ['web-1', 'node1', '10.244.1.2'],
      ['web-2', 'node1', '10.244.1.3'],
      ['web-3', 'node2', '10.244.2.2'],
      ['web-4', 'node2', '10.244.2.3'],
      ['web-5', 'node3', '10.244.3.2'],
      ['web-6', 'node3', '10.244.3.3'],
    ]);
    for (const pod of lab.pods) {
      const node = lab.nodes.find((n) => n.name === pod.node)!;
      const eth0 = ipj(pod.netns, ['-4', 'addr', 'show', 'dev', 'eth0'])[0];
      expect(eth0.addr_info[0].local).toBe(pod.ip);
      expect(ipj(pod.netns, ['route', 'show', 'default'])[0]).toMatchObject({ gateway: node.gateway, dev: 'eth0' });
    }
    for (const node of lab.nodes) {
      const bridge = ipj(node.netns, ['-4', 'addr', 'show', 'dev', 'v-net-0'])[0];
      expect(bridge.addr_info[0]).toMatchObject({ local: node.gateway, prefixlen: 24 });
      expect(ipj(node.netns, ['link', 'show', 'master', 'v-net-0'])).toHaveLength(2);
      const routes = ipj(node.netns, ['route', 'show']).map((r: { dst: string; gateway?: string }) =>
        `${r.dst} ${r.gateway ?? ''}`.trim(),
      );
      if (routing === 'host-gw') {
        for (const other of lab.nodes.filter((n) => n !== node))
          expect(routes).toContain(`${other.podCIDR} ${other.ip}`);
      } else {
        expect(routes).toContain('default 192.168.1.1');
      }
    }
    if (routing === 'router') {
      const table = ipj(lab.router!.netns, ['route', 'show']).map((r: { dst: string; gateway?: string }) =>
        `${r.dst} ${r.gateway ?? ''}`.trim(),
      );
      for (const n of lab.nodes) expect(table).toContain(`${n.podCIDR} ${n.ip}`);
    }
  });

  it('podnet check: every pod reaches every other without NAT; the outside host sees the node', async () => {
    const report = await runCheck(readInventory(p)!, quiet);
    expect(report.failures).toEqual([]);
    expect(report.pairs).toHaveLength(30);
    expect(report.pairs.every((r) => r.seenAs === r.expected && r.expected.startsWith('10.244.'))).toBe(true);
    expect(report.outside.map((r) => r.seenAs)).toEqual([
      '192.168.1.11',
      '192.168.1.11',
      '192.168.1.12',
      '192.168.1.12',
      '192.168.1.13',
      '192.168.1.13',
    ]);
  });

  it.runIf(routing === 'host-gw')(
    "firewall: FORWARD policy drop on every node, pods still talk through podnet's rules; input is restricted",
    async () => {
      const lab = readInventory(p)!;
      const policy = (v: string) =>
        lab.nodes.forEach((n) =>
          spawnSync('nsenter', [`--net=/run/netns/${n.netns}`, '--', 'iptables', '-P', 'FORWARD', v]),
        );
      const listeners = new Listeners();
      policy('DROP');
      try {
        expect((await runCheck(lab, quiet)).failures).toEqual([]);
        const [node1, node2] = [lab.nodes[0]!, lab.nodes[1]!];
        await listeners.listen(node1.netns, [6443, 22, 8080]);
        expect(connect(node2.netns, node1.ip, 6443).ok).toBe(true); // API server port, from a peer node
        expect(connect(node2.netns, node1.ip, 22).ok).toBe(true);
        expect(connect(node2.netns, node1.ip, 8080).ok).toBe(false); // not a control-plane port
        expect(connect(lab.outside.netns, node1.ip, 6443).ok).toBe(false); // not a peer
      } finally {
        policy('ACCEPT');
        await listeners.closeAll();
      }
    },
  );

  it('lab up again with the same flags changes nothing; with other flags it refuses', async () => {
    const before = readInventory(p)!;
    const again = await labUp(p, { nodes: 3, podsPerNode: 2, routing }, quiet);
    expect(again.changed).toBe(false);
    expect(readInventory(p)).toEqual(before);
    await expect(labUp(p, { nodes: 4, podsPerNode: 2, routing }, quiet)).rejects.toThrow(
      /the lab is up with --nodes 3 .*run "podnet lab down" first/,
    );
  });

  it('check fails, naming the pairs, when a node stops forwarding; and passes again when healed', async () => {
    const lab = readInventory(p)!;
    const node2 = lab.nodes[1]!;
    const sysctl = (v: string) =>
      spawnSync('nsenter', [`--net=/run/netns/${node2.netns}`, '--', 'sysctl', '-qw', `net.ipv4.ip_forward=${v}`]);
    sysctl('0');
    try {
      const report = await runCheck(lab, quiet);
      expect(report.ok).toBe(false);
      expect(report.failures).toContain(
        'web-1 → web-3 (10.244.2.2): unreachable: no reply to ping, TCP connection failed',
      );
      expect(report.failures).toContain(
        'web-3 → web-5 (10.244.3.2): unreachable: no reply to ping, TCP connection failed',
      );
      // Same-node traffic does not need forwarding between interfaces: it still flows.
      expect(report.pairs.find((r) => r.from === 'web-3' && r.to === 'web-4')?.ok).toBe(true);
    } finally {
      sysctl('1');
    }
    expect((await runCheck(lab, quiet)).ok).toBe(true);
  });

  it('pod add appears with a fresh address and is reachable; pod del removes it', async () => {
    const pod = await podAdd(p, 'team-a/api', 'node3');
    expect(pod.ip).toBe('10.244.3.4');
    expect((await runCheck(readInventory(p)!, quiet)).ok).toBe(true);
    await expect(podAdd(p, 'team-a/api', 'node1')).rejects.toThrow(/already exists/);
    await expect(podAdd(p, 'x', 'node9')).rejects.toThrow(/no node node9 in the lab/);
    await podDel(p, 'team-a/api');
    expect(existsSync(`/run/netns/${pod.netns}`)).toBe(false);
    expect(readInventory(p)!.pods.map((x) => x.name)).not.toContain('api');
  });

  it('node add grows the cluster (check passes with four nodes); node del leaves no route to its subnet', async () => {
    const node4 = await nodeAdd(p, undefined);
    expect([node4.name, node4.ip, node4.podCIDR]).toEqual(['node4', '192.168.1.14', '10.244.4.0/24']);
    await podAdd(p, 'web-7', 'node4');
    const report = await runCheck(readInventory(p)!, quiet);
    expect(report.failures).toEqual([]);
    expect(report.pods).toHaveLength(7);

    await nodeDel(p, 'node4');
    const lab = readInventory(p)!;
    const holders = routing === 'host-gw' ? lab.nodes.map((n) => n.netns) : [lab.router!.netns];
    for (const ns of holders) expect(ipj(ns, ['route', 'show', '10.244.4.0/24'])).toEqual([]);
    expect(lab.pods.map((x) => x.name)).not.toContain('web-7');
    expect(existsSync(`/run/netns/${node4.netns}`)).toBe(false);
  });

  it('lab down removes every namespace and file, and a second down is fine', async () => {
    const first = await labDown(p);
    expect(first.wasUp).toBe(true);
    expect(labNamespaces(p.prefix)).toEqual([]);
    expect(existsSync(p.stateDir)).toBe(false);
    expect(await labDown(p)).toEqual({ removed: [], wasUp: false });
  });
});

describe('lab up next to a namespace that is not its own', () => {
  it('refuses, names it, and leaves it alone', async () => {
    const p = labPaths(`t${randomBytes(3).toString('hex')}`);
    const foreign = `${p.prefix}node2`;
    spawnSync('ip', ['netns', 'add', foreign]);
    try {
      await expect(labUp(p, { nodes: 3, podsPerNode: 1, routing: 'host-gw' }, quiet)).rejects.toThrow(
        `namespace ${foreign} already exists but is not part of this lab`,
      );
      expect(labNamespaces(p.prefix)).toEqual([foreign]);
      expect(readInventory(p)).toBeNull();
    } finally {
      spawnSync('ip', ['netns', 'del', foreign]);
      await labDown(p);
    }
  });
});

describe('a lab whose build died', () => {
  it('is rebuilt by lab up and removed by lab down', async () => {
    const p = labPaths(`t${randomBytes(3).toString('hex')}`);
    try {
      await labUp(p, { nodes: 2, podsPerNode: 1, routing: 'host-gw' }, quiet);
      // Simulate a builder killed half-way: phase "building", a dead PID, a namespace gone.
      const inv = readInventory(p)!;
      const { writeInventory } = await import('./inventory.js');
      writeInventory(p, { ...inv, phase: 'building', builder: { pid: 999_999, start: 'gone' } });
      spawnSync('ip', ['netns', 'del', inv.pods[0]!.netns]);
      const r = await labUp(p, { nodes: 2, podsPerNode: 1, routing: 'host-gw' }, quiet);
      expect(r.rebuilt).toBe('its build did not finish');
      expect((await runCheck(r.inventory, quiet)).ok).toBe(true);
    } finally {
      await labDown(p);
      expect(labNamespaces(p.prefix)).toEqual([]);
    }
  });
});
