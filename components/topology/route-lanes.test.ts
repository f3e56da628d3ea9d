import { describe, expect, it } from 'vitest';
import { routerLanes, rowLanes } from './route-lanes';

/** every directed pair of boxes in a row of n */
const pairs = (n: number) =>
  Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => [a, b] as const))
    .flat()
    .filter(([a, b]) => a !== b);
/** the open span a route's lane covers, in box units: it leaves a box's side facing the other */
const span = (a: number, b: number) => [Math.min(a, b) + 0.5, Math.max(a, b) - 0.5] as const;
const overlap = (x: readonly [number, number], y: readonly [number, number]) => x[0] <= y[1] && y[0] <= x[1];

describe('rowLanes', () => {
  it('needs no lane for one box, two for a pair, four for the reference lab', () => {
    expect(rowLanes(1).count).toBe(0);
    expect(rowLanes(2).count).toBe(2);
    expect(rowLanes(3).count).toBe(4);
    expect(rowLanes(4).count).toBe(8);
  });

  for (const n of [2, 3, 4]) {
    it(`gives routes that run side by side (${n} boxes) lanes of their own, within the count`, () => {
      const l = rowLanes(n);
      for (const [a, b] of pairs(n)) {
        expect(l.lane(a, b)).toBeGreaterThanOrEqual(0);
        expect(l.lane(a, b)).toBeLessThan(l.count);
        for (const [c, d] of pairs(n)) {
          if ((a === c && b === d) || !overlap(span(a, b), span(c, d))) continue;
          expect(l.lane(a, b), `${a}>${b} and ${c}>${d}`).not.toBe(l.lane(c, d));
        }
      }
    });

    it(`attaches routes to a box's side in distinct places, the deeper nearer its middle (${n} boxes)`, () => {
      const l = rowLanes(n);
      for (let at = 0; at < n; at++) {
        for (const right of [true, false]) {
          const here = pairs(n).filter(([a, b]) => (a === at || b === at) && (a === at ? b : a) > at === right);
          const ranks = here.map(([a, b]) => l.attachment(a, b, at));
          expect(new Set(ranks).size).toBe(here.length);
          const byRank = here
            .map(([a, b], i) => ({ lane: l.lane(a, b), rank: ranks[i]! }))
            .sort((x, y) => x.rank - y.rank);
          for (let i = 1; i < byRank.length; i++) expect(byRank[i]!.lane).toBeLessThan(byRank[i - 1]!.lane);
        }
      }
    });
  }

  it('lets no route cross another in a row of three (a wire from a box to a deeper lane never cuts a shallower one)', () => {
    const n = 3;
    const l = rowLanes(n);
    // where a route meets a box: box centre ± (1 + rank) / 10 (less than half a box)
    const x = (a: number, b: number, at: number) =>
      at + (Math.sign((at === a ? b : a) - at) * (1 + l.attachment(a, b, at))) / 10;
    for (const [a, b] of pairs(n)) {
      const [lo, hi] = [Math.min(x(a, b, a), x(a, b, b)), Math.max(x(a, b, a), x(a, b, b))];
      for (const [c, d] of pairs(n)) {
        if (l.lane(c, d) <= l.lane(a, b)) continue; // only deeper routes' wires pass this lane
        for (const at of [c, d])
          expect(x(c, d, at) > lo && x(c, d, at) < hi, `${c}>${d} crosses ${a}>${b}`).toBe(false);
      }
    }
  });
});

describe('routerLanes', () => {
  it('gives the nearest box the lane under the LAN, further ones deeper', () => {
    expect(routerLanes([300, 0, 300])).toEqual([1, 0, 2]);
    expect(routerLanes([450, 150, 150, 450])).toEqual([2, 0, 1, 3]);
  });
});
