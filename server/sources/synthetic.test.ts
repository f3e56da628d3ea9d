// The synthetic cluster: its shape, its determinism, that the merge finds nothing wrong
// with it, live changes, and the benchmark's largest shape (counts only, no timing).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diffTopology } from '../../lib/model/diff';
import { mergeTopology } from '../topology/merge';
import { addressPlan, parseShape, SyntheticSource } from './synthetic';

const T0 = new Date('2026-11-26T00:00:00.000Z');
const make = (shape: string, churnMs: number | null = null) => new SyntheticSource(shape, { startedAt: T0, churnMs });

describe('SyntheticSource', () => {
  afterEach(() => vi.useRealTimers());

  it('3x6: nodes, subnets, pods spread evenly, one veth and attachment per pod', () => {
    const inputs = make('3x6').read();
    expect(inputs.info).toEqual({ source: 'synthetic', name: '3x6', routing: 'host-gw', podNetwork: '10.244.0.0/16' });
    expect(inputs.problems).toEqual([]);
    expect(inputs.plane.nodes.map((n) => [n.name, n.ip, n.podCIDR, n.ready])).toEqual([
      ['node1', '192.168.1.11', '10.244.1.0/24', true],
      ['node2', '192.168.1.12', '10.244.2.0/24', true],
      ['node3', '192.168.1.13', '10.244.3.0/24', true],
    ]);
    expect(inputs.plane.pods.map((p) => [`${p.namespace}/${p.name}`, p.node, p.ip])).toEqual([
      ['default/pod-1', 'node1', '10.244.1.2'],
      ['default/pod-2', 'node2', '10.244.2.2'],
      ['default/pod-3', 'node3', '10.244.3.2'],
      ['web/pod-4', 'node1', '10.244.1.3'],
      ['web/pod-5', 'node2', '10.244.2.3'],
      ['web/pod-6', 'node3', '10.244.3.3'],
    ]);
    const snap = inputs.agents.get('node1')!.snapshot!;
    expect(inputs.agents.get('node1')!.status.state).toBe('live');
    expect(snap.node).toMatchObject({
      name: 'node1',
      podCIDR: '10.244.1.0/24',
      gateway: '10.244.1.1',
      bridge: 'v-net-0',
      ipForward: true,
    });
    expect(snap.addresses).toContainEqual({
      link: 'v-net-0',
      family: 'inet',
      address: '10.244.1.1',
      prefixLen: 24,
      scope: 'global',
    });
    const veths = snap.links.filter((l) => l.kind === 'veth');
    expect(veths).toHaveLength(2);
    for (const v of veths) expect(v.name).toMatch(/^veth[0-9a-f]{11}$/);
    expect(veths.every((v) => v.master === 'v-net-0' && v.up)).toBe(true);
    expect(snap.pods.map((p) => [p.namespace, p.name, p.ip])).toEqual([
      ['default', 'pod-1', '10.244.1.2'],
      ['web', 'pod-4', '10.244.1.3'],
    ]);
    expect(snap.pods.map((p) => p.hostVeth)).toEqual(veths.map((v) => v.name));
    expect(snap.pods.every((p) => /^[0-9a-f]{64}$/.test(p.containerID))).toBe(true);
    expect(snap.routes.filter((r) => r.ownedByPodnet).map((r) => [r.dst, r.gateway])).toEqual([
      ['10.244.2.0/24', '192.168.1.12'],
      ['10.244.3.0/24', '192.168.1.13'],
    ]);
    expect(snap.findings).toEqual([]);
  });

  it('the same shape gives the same inputs and the same topology', () => {
    const a = make('7x100').read();
    const b = make('7x100').read();
    expect(b).toEqual(a);
    expect(mergeTopology(b, false)).toEqual(mergeTopology(a, false));
    expect(make('7x101').read().plane.pods).toHaveLength(101);
  });

  it('the merge finds nothing wrong: every pod joined to its veth, a route between every two nodes', () => {
    const t = mergeTopology(make('5x23').read(), false);
    expect(t.findings).toEqual([]);
    expect(t.nodes.every((n) => n.health === 'healthy' && n.bridge?.addresses.length === 1 && n.firewall?.table)).toBe(
      true,
    );
    expect(t.pods).toHaveLength(23);
    expect(
      t.pods.every(
        (p) => p.health === 'healthy' && p.seenBy.api && p.seenBy.agent && p.veth !== null && p.agentIp === p.ip,
      ),
    ).toBe(true);
    const perNode = t.nodes.map((n) => t.pods.filter((p) => p.node === n.name).length);
    expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
    expect(t.routes).toHaveLength(5 * 4);
    expect(t.routes.every((r) => r.ownedByPodnet && r.to !== null && r.to !== r.from)).toBe(true);
  });

  it('larger shapes: more than 253 pods per node, or more than 255 nodes, get bigger blocks of 10.0.0.0/8', () => {
    expect(addressPlan(parseShape('2x1000'))).toMatchObject({ podNetwork: '10.0.0.0/8', podPrefix: 22, lanPrefix: 24 });
    const t = mergeTopology(make('2x1000').read(), false);
    expect(t.findings).toEqual([]);
    expect(t.nodes.map((n) => n.podCIDR)).toEqual(['10.0.4.0/22', '10.0.8.0/22']);
    expect(t.pods.at(-1)).toMatchObject({ node: 'node2', ip: '10.0.9.245' });

    const wide = make('300x300').read();
    expect(wide.info.podNetwork).toBe('10.0.0.0/8');
    expect(wide.plane.nodes.at(-1)).toMatchObject({ name: 'node300', ip: '192.168.2.110', podCIDR: '10.1.44.0/24' });
    expect(wide.agents.get('node300')!.snapshot!.addresses[0]!.prefixLen).toBe(16);
    expect(() => make('0x5')).toThrow(/at least one node/);
    expect(() => make('ten')).toThrow(/NODESxPODS/);
  });

  it('addPod and removePod change the inputs and signal it; the diff is that pod', async () => {
    const src = make('3x6');
    const changed = vi.fn();
    await src.start(changed);
    const before = mergeTopology(src.read(), false);
    const key = src.addPod('node2');
    expect(key).toBe('data/pod-7');
    expect(changed).toHaveBeenCalledTimes(1);
    const after = mergeTopology(src.read(), false);
    expect(after.findings).toEqual([]);
    expect(after.pods.find((p) => p.key === key)).toMatchObject({ node: 'node2', ip: '10.244.2.4', health: 'healthy' });
    const changes = diffTopology(before, after);
    expect(changes.filter((c) => c.collection === 'pods').map((c) => [c.op, c.key])).toEqual([['added', key]]);

    expect(src.addPod('node1', { namespace: 'default', name: 'web-1' })).toBe('default/web-1');
    expect(src.removePod('web/pod-4')).toBe(true);
    expect(src.removePod('web/pod-4')).toBe(false);
    expect(changed).toHaveBeenCalledTimes(3);
    // The freed address is the next one given out on that node.
    const again = src.addPod('node1');
    expect(src.read().plane.pods.find((p) => `${p.namespace}/${p.name}` === again)!.ip).toBe('10.244.1.3');
    expect(mergeTopology(src.read(), false).findings).toEqual([]);
    expect(() => src.addPod('node9')).toThrow(/no node node9/);
    await src.close();
  });

  it('churn adds and removes pods at its interval, staying near the shape', async () => {
    vi.useFakeTimers();
    const src = make('4x40', 10);
    const changed = vi.fn();
    await src.start(changed);
    vi.advanceTimersByTime(1000);
    expect(changed).toHaveBeenCalledTimes(100);
    expect(Math.abs(src.podCount - 40)).toBeLessThanOrEqual(2);
    expect(mergeTopology(src.read(), false).findings).toEqual([]);
    await src.close();
    vi.advanceTimersByTime(1000);
    expect(changed).toHaveBeenCalledTimes(100);
  });

  it('100x10000, the benchmark shape: builds and merges with the counts it should have', () => {
    const src = make('100x10000');
    const inputs = src.read();
    expect(inputs.plane.nodes).toHaveLength(100);
    expect(inputs.plane.pods).toHaveLength(10_000);
    expect(
      [...inputs.agents.values()].every((a) => a.snapshot!.pods.length === 100 && a.snapshot!.links.length === 103),
    ).toBe(true);
    const t = mergeTopology(inputs, false);
    expect(t.findings).toEqual([]);
    expect(t.pods).toHaveLength(10_000);
    expect(new Set(t.pods.map((p) => p.ip)).size).toBe(10_000);
    expect(t.routes).toHaveLength(100 * 99);
  });

  it('a pod added or removed leaves every other ClusterPod, agent view, attachment, link and route table the same object', () => {
    const src = make('4x20');
    const a = src.read();
    const key = src.addPod('node2', { name: 'late-1' });
    const b = src.read();
    expect(b.plane.pods).toHaveLength(21);
    a.plane.pods.forEach((p, i) => expect(b.plane.pods[i]).toBe(p)); // the new one is last
    expect(b.plane.nodes).toBe(a.plane.nodes);
    for (const node of ['node1', 'node3', 'node4']) expect(b.agents.get(node)).toBe(a.agents.get(node));
    const before = a.agents.get('node2')!.snapshot!;
    const after = b.agents.get('node2')!.snapshot!;
    expect(after).not.toBe(before);
    expect(after.routes).toBe(before.routes);
    before.pods.forEach((p, i) => expect(after.pods[i]).toBe(p));
    before.links.forEach((l, i) => expect(after.links[i]).toBe(l));
    expect(src.read()).toBe(b); // no change, the same inputs

    expect(src.removePod(key)).toBe(true);
    expect(src.removePod('default/pod-1')).toBe(true);
    const c = src.read();
    expect(c.plane.pods).toEqual(a.plane.pods.slice(1));
    c.plane.pods.forEach((p, i) => expect(p).toBe(a.plane.pods[i + 1]));
  });
});
