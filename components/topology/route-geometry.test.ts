import { describe, expect, it } from 'vitest';
import type { Topology } from '../../lib/model/topology';
import { bigCluster, referenceLab } from './fixtures';
import { FONT_SIZE, widthOf } from './label-text';
import { layoutTopology, type Point, type Rect } from './layout';
import { segmentsThrough } from './route-geometry';
import { toElements } from './to-elements';

/** Where Cytoscape puts a segments edge's bends (edge-distances: endpoints): at weight w
 *  along S→T, distance d along its normal (−dy, dx)/|ST| — cytoscape's findSegmentsPoints. */
function bends(s: Point, t: Point, sw: number[], sd: number[]): Point[] {
  const dx = t.x - s.x;
  const dy = t.y - s.y;
  const len = Math.hypot(dx, dy);
  return sw.map((w, i) => ({
    x: s.x * (1 - w) + t.x * w + (-dy / len) * sd[i]!,
    y: s.y * (1 - w) + t.y * w + (dx / len) * sd[i]!,
  }));
}

/** "12px -64px" relative to a rect's centre */
const endpoint = (r: { x: number; y: number }, spec: string): Point => {
  const [x, y] = spec.split(' ').map((v) => Number(v.replace('px', ''))) as [number, number];
  return { x: r.x + x, y: r.y + y };
};

const routerMode: Topology = {
  ...referenceLab,
  cluster: { ...referenceLab.cluster, routing: 'router' },
  router: { ip: '192.168.1.1' },
  routes: referenceLab.nodes.map((n) => ({
    key: `router ${n.podCIDR}`,
    from: 'router',
    to: n.name,
    dst: n.podCIDR!,
    via: n.ip,
    dev: null,
    ownedByPodnet: false,
  })),
};

/** each lane route of a topology as drawn: its wire (points) and its label's box */
function wires(t: Topology) {
  const layout = layoutTopology(t);
  const els = toElements(t, { expanded: new Set(), lod: false, layout });
  const rectOf = (id: string): Rect => {
    if (id === 'router') return layout.router!;
    return layout.nodes.get(id.slice('node:'.length))!;
  };
  return {
    layout,
    routes: els
      .filter((e) => e.data.kind === 'route')
      .map((e) => {
        const d = e.data as Record<string, any>;
        const s = endpoint(rectOf(d.source), d.sep);
        const tt = endpoint(rectOf(d.target), d.tep);
        const pts = [s, ...bends(s, tt, d.sw, d.sd), tt];
        const lines = (d.label as string).split('\n');
        const w = widthOf(Math.max(...lines.map((l) => l.length)), FONT_SIZE.route);
        const h = lines.length * FONT_SIZE.route + 4;
        const cx = (pts[1]!.x + pts[2]!.x) / 2 + d.lx;
        return {
          id: d.id as string,
          pts,
          label: { x1: cx - w / 2, x2: cx + w / 2, y1: pts[1]!.y - h / 2, y2: pts[1]!.y + h / 2 },
        };
      }),
  };
}

describe('segmentsThrough', () => {
  it('is the inverse of where Cytoscape puts the bends, for any direction', () => {
    const cases: [Point, Point][] = [
      [
        { x: 0, y: 0 },
        { x: 300, y: 0 },
      ],
      [
        { x: 300, y: 10 },
        { x: -20, y: 10 },
      ],
      [
        { x: 500, y: 400 },
        { x: 100, y: 50 },
      ],
    ];
    for (const [s, t] of cases) {
      const want = [
        { x: s.x, y: 250 },
        { x: t.x, y: 250 },
      ];
      const { sw, sd } = segmentsThrough(s, t, want);
      const got = bends(s, t, sw, sd);
      for (let i = 0; i < want.length; i++) {
        expect(got[i]!.x).toBeCloseTo(want[i]!.x, 0);
        expect(got[i]!.y).toBeCloseTo(want[i]!.y, 0);
      }
    }
  });
});

describe('routes along the LAN (host-gw, the reference lab)', () => {
  const { layout, routes } = wires(referenceLab);
  const lanes = layout.lanes!;
  const laneYs = Array.from({ length: lanes.count }, (_, k) => lanes.top + k * lanes.step);

  it('drop from the bottom of the box that holds them to a lane, run along it, rise into the next box', () => {
    expect(routes).toHaveLength(6);
    for (const r of routes) {
      const [s, a, b, t] = r.pts as [Point, Point, Point, Point];
      const from = layout.nodes.get(r.id.split(/[: ]/)[1]!)!;
      expect(s.y, r.id).toBeCloseTo(from.y + from.h / 2, 0);
      expect(a.x).toBeCloseTo(s.x, 0);
      expect(b.x).toBeCloseTo(t.x, 0);
      expect(a.y).toBeCloseTo(b.y, 0);
      expect(
        laneYs.some((y) => Math.abs(y - a.y) < 0.5),
        `${r.id} on a lane`,
      ).toBe(true);
      expect(a.y).toBeLessThan(layout.lan.y - layout.lan.h / 2);
    }
  });

  it('never cross one another', () => {
    for (const r of routes) {
      const [, a, b] = r.pts as [Point, Point, Point];
      const [lo, hi] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
      for (const o of routes) {
        if (o === r) continue;
        const [os, oa, ob, ot] = o.pts as [Point, Point, Point, Point];
        // o's two wires from the boxes reach down to its lane: do they pass r's lane inside r's span?
        for (const [top, bottom] of [
          [os, oa],
          [ot, ob],
        ] as const) {
          const passes = bottom.y > a.y && top.x > lo && top.x < hi;
          expect(passes, `${o.id} crosses ${r.id}`).toBe(false);
        }
      }
    }
  });

  it('have labels that overlap neither each other nor the uplinks’ labels', () => {
    const boxes = routes.map((r) => ({ id: r.id, ...r.label }));
    for (const n of layout.nodes.values()) {
      const w = widthOf('192.168.1.11'.length, FONT_SIZE.uplink);
      const y = layout.lan.y - layout.lan.h / 2 - 16;
      boxes.push({ id: `uplink at ${n.x}`, x1: n.x - w / 2, x2: n.x + w / 2, y1: y - 8, y2: y + 8 });
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const p = boxes[i]!;
        const q = boxes[j]!;
        const apart = p.x2 <= q.x1 || q.x2 <= p.x1 || p.y2 <= q.y1 || q.y2 <= p.y1;
        expect(apart, `${p.id} and ${q.id}`).toBe(true);
      }
    }
  });
});

describe('routes along the LAN of a row of six boxes', () => {
  const { layout, routes } = wires(bigCluster(6, 2));

  it('meet every box on its bottom edge, each at a place of its own', () => {
    expect(routes).toHaveLength(30);
    const seen = new Set<string>();
    for (const r of routes) {
      for (const p of [r.pts[0]!, r.pts[3]!]) {
        const box = [...layout.nodes.values()].find(
          (b) => Math.abs(p.y - (b.y + b.h / 2)) < 0.5 && Math.abs(p.x - b.x) < b.w / 2,
        )!;
        expect(box, `${r.id} ends on a box`).toBeDefined();
        expect(Math.abs(p.x - box.x)).toBeLessThanOrEqual(box.w / 2 - 10);
        const key = `${p.x.toFixed(1)},${p.y.toFixed(1)}`;
        expect(seen.has(key), `${r.id} shares ${key}`).toBe(false);
        seen.add(key);
      }
    }
  });
});

describe('routes from the router', () => {
  const { layout, routes } = wires(routerMode);

  it('leave the router’s top, run along a lane under the LAN, and rise into each box', () => {
    expect(routes).toHaveLength(3);
    const lanes = layout.routerLanes!;
    for (const r of routes) {
      const [s, a, b, t] = r.pts as [Point, Point, Point, Point];
      expect(s.y).toBeCloseTo(layout.router!.y - layout.router!.h / 2, 0);
      expect(a.y).toBeCloseTo(b.y, 0);
      expect(a.y).toBeGreaterThanOrEqual(lanes.top - 0.5);
      expect(a.y).toBeLessThan(layout.router!.y - layout.router!.h / 2);
      const to = layout.nodes.get(
        r.id.endsWith('10.244.1.0/24') ? 'node1' : r.id.endsWith('10.244.2.0/24') ? 'node2' : 'node3',
      )!;
      expect(t.y).toBeCloseTo(to.y + to.h / 2, 0);
      expect(Math.abs(t.x - to.x)).toBeLessThan(to.w / 2);
    }
  });

  it('cross neither one another nor the router’s own link up to the LAN (from its middle)', () => {
    const wiresUp = routes.map((r) => ({ id: r.id, x: r.pts[0]!.x, top: r.pts[1]!.y })); // router to lane
    wiresUp.push({ id: 'uplink:router', x: layout.router!.x, top: layout.lan.y });
    expect(new Set(wiresUp.map((w) => w.x)).size).toBe(wiresUp.length);
    for (const r of routes) {
      const [, a, b] = r.pts as [Point, Point, Point];
      const [lo, hi] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
      for (const w of wiresUp) {
        if (w.id === r.id) continue;
        const passes = w.top < a.y && w.x > lo && w.x < hi;
        expect(passes, `${w.id} crosses ${r.id}`).toBe(false);
      }
    }
  });
});
