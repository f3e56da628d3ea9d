// Where route edges run when the node boxes stand in one row on the LAN: along the LAN,
// each in a lane of its own between the boxes and the LAN bar (host-gw), or under the LAN
// from the router (router mode). A route leaves the bottom of the box that holds it,
// drops to its lane, runs along it and rises into the box it leads to — a wire a person
// can follow, instead of arcs over the boxes.
//
// Lanes are a function of the number of boxes alone (every directed pair has one whether
// or not its route exists), so a route coming, going or going missing moves nothing.
// Nesting keeps crossings to what cannot be avoided: a pair of neighbours takes the lanes
// nearest the boxes; a pair further apart runs deeper and attaches nearer the middle of
// each box, so its wire encloses the shorter ones instead of cutting through them.

/** Index of a node box in its row (0 = leftmost). */
type Idx = number;

export interface RowLanes {
  /** lanes between the boxes and the LAN */
  count: number;
  /** lane of the route from box a to box b (0 = nearest the boxes) */
  lane(a: Idx, b: Idx): number;
  /** where the route a→b meets box `at` (a or b): rank among the attachments on that side
   *  of the box, 0 nearest the box's middle */
  attachment(a: Idx, b: Idx, at: Idx): number;
  /** attachments on one side of box i (the most any side has) */
  perSide: number;
}

/**
 * Pairs i<j are grouped by distance d = j - i: two pairs at the same distance overlap when
 * their starts differ by less than d, so d colours (i mod d) keep overlapping ones apart,
 * and only min(d, n - d) of them are ever used. Each colour takes two lanes: i→j, then j→i.
 */
export function rowLanes(n: number): RowLanes {
  const width = (d: number) => 2 * Math.min(d, n - d); // lanes the pairs at distance d need
  const base: number[] = [0, 0];
  for (let d = 2; d < n; d++) base[d] = base[d - 1]! + width(d - 1);
  const count = n < 2 ? 0 : base[n - 1]! + width(n - 1);
  const lane = (a: Idx, b: Idx) => {
    const i = Math.min(a, b);
    const d = Math.abs(b - a);
    return base[d]! + 2 * (i % d) + (a < b ? 0 : 1);
  };
  // On each side of a box, the deepest lane attaches nearest the middle (it encloses the others).
  const sides = new Map<string, number[]>();
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      for (const at of [a, b]) {
        const other = at === a ? b : a;
        const key = `${at}${other > at ? '>' : '<'}`;
        const list = sides.get(key) ?? [];
        list.push(lane(a, b));
        sides.set(key, list);
      }
    }
  }
  for (const list of sides.values()) list.sort((x, y) => y - x);
  let perSide = 0;
  for (const list of sides.values()) perSide = Math.max(perSide, list.length);
  const attachment = (a: Idx, b: Idx, at: Idx) => {
    const other = at === a ? b : a;
    return sides.get(`${at}${other > at ? '>' : '<'}`)!.indexOf(lane(a, b));
  };
  return { count, lane, attachment, perSide };
}

/** Router mode: the router sits under the LAN; its route to the nearest box takes the lane
 *  just under the LAN, further boxes run deeper. `distances` are |box x − router x|, in row
 *  order; the answer is each box's lane (ties: leftmost first). */
export function routerLanes(distances: number[]): number[] {
  const order = distances.map((d, i) => ({ d, i })).sort((x, y) => x.d - y.d || x.i - y.i);
  const lanes = new Array<number>(distances.length);
  order.forEach((o, k) => (lanes[o.i] = k));
  return lanes;
}
