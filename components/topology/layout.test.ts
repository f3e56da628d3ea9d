import { describe, expect, it } from 'vitest';
import type { Topology } from '../../lib/model/topology';
import { bigCluster, node, pod, referenceLab } from './fixtures';
import { parseIpv4 } from '../../lib/model/ipv4';
import {
  BOX_PAD,
  layoutTopology,
  MAX_SLOTS,
  naturalCompare,
  POD_H,
  quickIpv4,
  shapeFor,
  SLOT_H,
  slotCell,
  slotOf,
  type TopologyLayout,
} from './layout';

/** node2's third pod: beyond the lab's 2×1 grid of slots */
const podAddedOnNode2: Topology = {
  ...referenceLab,
  pods: [...referenceLab.pods, pod('web-7', 'node2', '10.244.2.4')],
};
const podRemovedFromNode1: Topology = { ...referenceLab, pods: referenceLab.pods.filter((p) => p.name !== 'web-1') };
const podRemovedFromNode2: Topology = { ...referenceLab, pods: referenceLab.pods.filter((p) => p.name !== 'web-4') };
const pendingPodOnNode1: Topology = { ...referenceLab, pods: [...referenceLab.pods, pod('web-7', 'node1', null)] };
const podOutsideItsSubnet: Topology = {
  ...referenceLab,
  pods: [...referenceLab.pods, pod('stray', 'node1', '10.244.9.5')],
};
const podWithAHighAddress: Topology = {
  ...referenceLab,
  pods: [...referenceLab.pods, pod('web-9', 'node3', '10.244.3.40')],
};
const nodeAddedAsNode10: Topology = { ...referenceLab, nodes: [...referenceLab.nodes, node(10), node(4), node(9)] };
const unscheduledPod: Topology = { ...referenceLab, pods: [...referenceLab.pods, pod('web-0', null, null)] };
const routerMode: Topology = {
  ...referenceLab,
  cluster: { ...referenceLab.cluster, routing: 'router' },
  router: { ip: '192.168.1.1' },
  routes: [],
};

/** every position in `a` that `b` also has, compared */
function unchanged(a: TopologyLayout, b: TopologyLayout, except: string[] = []) {
  unmovedInBoxes(a, b, except);
  for (const [name, r] of a.nodes) expect(b.nodes.get(name), `box ${name}`).toEqual(r);
  expect(b.lan).toEqual(a.lan);
  expect(b.box).toEqual(a.box);
}

/** When the grid steps up a row, boxes grow downwards: no pod, bridge or box top moves. */
function unmovedInBoxes(a: TopologyLayout, b: TopologyLayout, except: string[] = []) {
  for (const [name, r] of a.nodes) {
    const q = b.nodes.get(name)!;
    expect({ left: q.x - q.w / 2, top: q.y - q.h / 2, w: q.w }, `box ${name}`).toEqual({
      left: r.x - r.w / 2,
      top: r.y - r.h / 2,
      w: r.w,
    });
  }
  for (const [name, r] of a.bridges) expect(b.bridges.get(name), `bridge ${name}`).toEqual(r);
  for (const [key, p] of a.pods)
    if (!except.includes(key) && b.pods.has(key)) expect(b.pods.get(key), `pod ${key}`).toEqual(p);
}

describe('slots', () => {
  it('puts the first pod address of a subnet in slot 0', () => {
    expect(slotOf('10.244.1.2', '10.244.1.0/24')).toBe(0);
    expect(slotOf('10.244.1.3', '10.244.1.0/24')).toBe(1);
    expect(slotOf('10.244.1.254', '10.244.1.0/24')).toBe(252);
  });

  it('has no slot for no IP, the network, gateway and broadcast addresses, or another subnet', () => {
    expect(slotOf(null, '10.244.1.0/24')).toBeNull();
    expect(slotOf('10.244.1.2', null)).toBeNull();
    expect(slotOf('10.244.1.0', '10.244.1.0/24')).toBeNull();
    expect(slotOf('10.244.1.1', '10.244.1.0/24')).toBeNull();
    expect(slotOf('10.244.1.255', '10.244.1.0/24')).toBeNull();
    expect(slotOf('10.244.2.2', '10.244.1.0/24')).toBeNull();
    // a larger per-node subnet: its higher addresses overflow rather than make every box huge
    expect(slotOf('10.244.0.200', '10.244.0.0/22')).toBe(198);
    expect(slotOf('10.244.2.10', '10.244.0.0/22')).toBeNull();
    expect(MAX_SLOTS).toBe(256);
  });

  it('reads addresses as lib/model/ipv4 does, only faster', () => {
    for (const t of [
      '10.244.1.2',
      '0.0.0.0',
      '255.255.255.255',
      '10.244.1.256',
      '10.244.01.2',
      '10.244.1',
      '10.244.1.2.3',
      '',
      '1..2.3',
      'a.b.c.d',
      '10.244.1.2 ',
      '1.2.3.4/24',
      '100.200.10.0',
      '1.2.3.',
    ]) {
      expect(quickIpv4(t), t).toBe(parseIpv4(t));
    }
  });

  it('numbers slots in Z-order, so a bigger grid holds the smaller one unchanged in its corner', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(slotCell)).toEqual([
      { col: 0, row: 0 },
      { col: 1, row: 0 },
      { col: 0, row: 1 },
      { col: 1, row: 1 },
      { col: 2, row: 0 },
      { col: 3, row: 0 },
      { col: 2, row: 1 },
      { col: 3, row: 1 },
    ]);
    for (const cap of [8, 16, 32, 64, 128, 256]) {
      const s = shapeFor(cap, 1);
      expect(s.cols * s.rows).toBe(cap);
      for (let i = 0; i < cap; i++) {
        const c = slotCell(i);
        expect(c.col).toBeLessThan(s.cols);
        expect(c.row).toBeLessThan(s.rows);
      }
    }
  });

  it('grows the grid in steps of powers of two, from 2 to 256, with no overflow row until one is needed', () => {
    expect(shapeFor(0, 0)).toEqual({ capacity: 2, cols: 2, rows: 1, overflowRows: 0 });
    expect(shapeFor(3, 0)).toEqual({ capacity: 4, cols: 2, rows: 2, overflowRows: 0 });
    expect(shapeFor(9, 1)).toEqual({ capacity: 16, cols: 4, rows: 4, overflowRows: 1 });
    expect(shapeFor(100, 1)).toEqual({ capacity: 128, cols: 16, rows: 8, overflowRows: 1 });
    expect(shapeFor(10_000, 1).capacity).toBe(256);
  });
});

describe('layoutTopology', () => {
  const base = layoutTopology(referenceLab);

  it('orders node boxes by natural name order: node2 before node10', () => {
    expect(naturalCompare('node2', 'node10')).toBeLessThan(0);
    expect(naturalCompare('node10', 'node9')).toBeGreaterThan(0);
    expect(naturalCompare('a', 'a')).toBe(0);
    const l = layoutTopology(nodeAddedAsNode10);
    const xs = ['node1', 'node2', 'node3', 'node4', 'node9', 'node10'].map((n) => l.nodes.get(n)!);
    // 6 nodes: a grid; read in rows, left to right
    const order = [...l.nodes.entries()].sort(([, a], [, b]) => a.y - b.y || a.x - b.x).map(([n]) => n);
    expect(order).toEqual(['node1', 'node2', 'node3', 'node4', 'node9', 'node10']);
    expect(xs.every(Boolean)).toBe(true);
  });

  it('draws the reference lab as one row of boxes over the LAN, its two pods on top of the bridge in each', () => {
    const [a, b, c] = ['node1', 'node2', 'node3'].map((n) => base.nodes.get(n)!);
    expect(a!.y).toBe(b!.y);
    expect(b!.y).toBe(c!.y);
    expect(a!.x).toBeLessThan(b!.x);
    expect(b!.x).toBeLessThan(c!.x);
    expect(base.lan.y - base.lan.h / 2).toBeGreaterThan(a!.y + a!.h / 2);
    expect(base.lan.w).toBeGreaterThanOrEqual(c!.x + c!.w / 2 - (a!.x - a!.w / 2));
    for (const n of ['node1', 'node2', 'node3']) {
      const br = base.bridges.get(n)!;
      const box = base.nodes.get(n)!;
      for (const p of referenceLab.pods.filter((p) => p.node === n)) {
        const at = base.pods.get(p.key)!;
        expect(at.y + POD_H / 2).toBeLessThan(br.y - br.h / 2);
        expect(Math.abs(at.x - box.x)).toBeLessThan(box.w / 2);
        expect(Math.abs(at.y - box.y)).toBeLessThan(box.h / 2);
      }
    }
    expect(base.router).toBeNull();
    // a box fits its two pods: one row of two slots, nothing under the bridge
    expect(base.shape).toEqual({ capacity: 2, cols: 2, rows: 1, overflowRows: 0 });
    const box = base.nodes.get('node1')!;
    const bridge = base.bridges.get('node1')!;
    expect(box.y + box.h / 2 - (bridge.y + bridge.h / 2)).toBe(BOX_PAD);
    // routes run in lanes between the boxes and the LAN
    expect(base.row).toEqual(['node1', 'node2', 'node3']);
    expect(base.lanes!.count).toBe(4);
    expect(base.lanes!.top).toBeGreaterThan(box.y + box.h / 2);
    expect(base.lanes!.top + (base.lanes!.count - 1) * base.lanes!.step).toBeLessThan(base.lan.y - base.lan.h / 2);
  });

  it('places web-1 (10.244.1.2) in slot 0 and web-2 right of it', () => {
    expect(base.slots.get('default/web-1')).toBe(0);
    expect(base.slots.get('default/web-2')).toBe(1);
    const p1 = base.pods.get('default/web-1')!;
    const p2 = base.pods.get('default/web-2')!;
    expect(p2.y).toBe(p1.y);
    expect(p2.x).toBeGreaterThan(p1.x);
  });

  it('moves nothing else when a pod is added into the grid drawn', () => {
    const without = layoutTopology(podRemovedFromNode2);
    unchanged(without, base);
    expect(without.pods.has('default/web-4')).toBe(false);
  });

  it('grows every box downwards when a pod needs a slot beyond the grid: no pod or bridge moves', () => {
    const l = layoutTopology(podAddedOnNode2);
    unmovedInBoxes(base, l);
    expect(l.shape.capacity).toBe(4);
    expect(l.box.h).toBe(base.box.h + SLOT_H);
    // under the bridge, in the first column (Z-order: slot 2 is column 0, row 1)
    const at = l.pods.get('default/web-7')!;
    expect(at.x).toBe(l.pods.get('default/web-3')!.x);
    expect(at.y).toBeGreaterThan(l.bridges.get('node2')!.y);
    expect(l.lan.y).toBe(base.lan.y + SLOT_H);
  });

  it('moves nothing else when a pod is removed', () => {
    const l = layoutTopology(podRemovedFromNode1);
    unchanged(base, l);
    expect(l.pods.has('default/web-1')).toBe(false);
  });

  it('puts a pod without an IP, or outside its node subnet, in an overflow row under the slots', () => {
    for (const t of [pendingPodOnNode1, podOutsideItsSubnet]) {
      const l = layoutTopology(t);
      unmovedInBoxes(base, l);
      expect(l.shape.overflowRows).toBe(1);
      const extra = t.pods.at(-1)!;
      expect(l.slots.get(extra.key)).toBeNull();
      const at = l.pods.get(extra.key)!;
      const lowestSlot = Math.max(...[...l.pods.entries()].filter(([k]) => k !== extra.key).map(([, p]) => p.y));
      expect(at.y).toBeGreaterThan(lowestSlot);
      const box = l.nodes.get('node1')!;
      expect(at.y).toBeLessThan(box.y + box.h / 2);
    }
  });

  it('orders the overflow row by key, and gives a doubly claimed address to the first key only', () => {
    const t: Topology = {
      ...referenceLab,
      pods: [
        ...referenceLab.pods,
        pod('zz', 'node1', null),
        pod('aa', 'node1', null),
        pod('dup', 'node1', '10.244.1.2'),
      ],
    };
    const l = layoutTopology(t);
    expect(l.slots.get('default/dup')).toBe(0); // "default/dup" < "default/web-1"
    expect(l.slots.get('default/web-1')).toBeNull();
    // read like text: two a row (the grid's width), in key order
    const [aa, web1, zz] = ['default/aa', 'default/web-1', 'default/zz'].map((k) => l.pods.get(k)!);
    expect(l.shape.overflowRows).toBe(2);
    expect(aa!.y).toBe(web1!.y);
    expect(aa!.x).toBeLessThan(web1!.x);
    expect(zz!.y).toBeGreaterThan(web1!.y);
    expect(zz!.x).toBe(aa!.x);
  });

  it('keeps the box size whatever the number of pods, until the grid steps up', () => {
    const onePod: Topology = { ...referenceLab, pods: [pod('web-1', 'node1', '10.244.1.2')] };
    const noPods: Topology = { ...referenceLab, pods: [] };
    expect(layoutTopology(onePod).box).toEqual(base.box);
    expect(layoutTopology(noPods).box).toEqual(base.box);
    const stepped = layoutTopology(podWithAHighAddress);
    expect(stepped.shape.capacity).toBe(64); // slot 38
    expect(stepped.box.h).toBeGreaterThan(base.box.h);
    // inside its box, a pod keeps its place across the step
    const rel = (l: TopologyLayout, key: string, n: string) => ({
      x: l.pods.get(key)!.x - (l.nodes.get(n)!.x - l.box.w / 2),
      y: l.pods.get(key)!.y - (l.nodes.get(n)!.y - l.box.h / 2),
    });
    expect(rel(stepped, 'default/web-3', 'node2')).toEqual(rel(base, 'default/web-3', 'node2'));
  });

  it('never shrinks below the grid it is told it drew before', () => {
    const big = layoutTopology(podWithAHighAddress);
    const after = layoutTopology(referenceLab, { atLeast: big.shape });
    expect(after.shape).toEqual(big.shape);
    expect(after.box).toEqual(big.box);
  });

  it('puts the router under the LAN in router mode, its route lanes between the two', () => {
    const l = layoutTopology(routerMode);
    expect(l.router).not.toBeNull();
    expect(l.router!.x).toBe(l.lan.x);
    expect(l.lanes).toBeNull();
    const lanes = l.routerLanes!;
    expect(lanes.top).toBeGreaterThan(l.lan.y + l.lan.h / 2);
    expect(lanes.top + (lanes.count - 1) * lanes.step).toBeLessThan(l.router!.y - l.router!.h / 2);
    // the box over the router takes the lane nearest the LAN
    expect(lanes.of.get('node2')).toBe(0);
    expect(new Set(lanes.of.values()).size).toBe(3);
  });

  it('puts pods on no known node in a row of their own under the LAN', () => {
    const l = layoutTopology(unscheduledPod);
    unchanged(base, l);
    expect(l.pods.get('default/web-0')!.y).toBeGreaterThan(l.lan.y);
  });

  it('lays out 100 nodes × 100 pods as a grid wider than it is high', () => {
    const t = bigCluster(100, 100);
    const l = layoutTopology(t);
    expect(l.pods.size).toBe(10_000);
    expect(l.shape.capacity).toBe(128);
    expect(l.bounds.w).toBeGreaterThan(l.bounds.h * 0.9);
    // no two boxes overlap
    const boxes = [...l.nodes.values()];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const apart = Math.abs(a.x - b.x) >= a.w || Math.abs(a.y - b.y) >= a.h;
        expect(apart).toBe(true);
      }
    }
  });
});
