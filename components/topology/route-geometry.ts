// How a route edge is drawn, as edge data the stylesheet reads (curve, endpoints, bends,
// where its label sits). Pure: from the layout alone.
//
// - lane: a row of boxes on the LAN (route-lanes.ts). The wire leaves the bottom of the box
//   whose table holds the route, runs along its lane and rises into the box it leads to;
//   the label (subnet, then gateway) starts just past the box that holds the route, so it
//   reads as "node1: 10.244.2.0/24 via 192.168.1.12".
// - router lane: from the router under the LAN, along a lane under it, up into the box.
// - fan: a grid of boxes, where only the focused node's routes are drawn (to-elements.ts
//   ROUTE_NODE_THRESHOLD): straight lines box to box, the subnet at the far end.
import { ATTACH_MIN, ATTACH_STEP, ROUTER_H, type Point, type Rect, type TopologyLayout } from './layout';
import { FONT_SIZE, widthOf } from './label-text';
import { rowLanes, type RowLanes } from './route-lanes';

export type RouteCurve = 'lane' | 'fan';

export interface RouteGeometry {
  curve: RouteCurve;
  /** source and target endpoints, relative to the ends' centres ("12px 64px") */
  sep: string;
  tep: string;
  /** segments (lane): the bends, as Cytoscape's weights and distances along source→target */
  sw?: number[];
  sd?: number[];
  /** the label's shift from the middle of the lane */
  lx?: number;
}

/** where the router's routes leave its top: one every ROUTER_ATTACH_STEP out from its
 *  middle (where its own link rises to the LAN), boxes to the left on the left */
const ROUTER_ATTACH_STEP = 24;
/** where the router's routes meet a box: right of the uplink and clear of its label */
const ROUTER_ATTACH_X = 60;
/** air between a lane label and the wire it starts from */
const LABEL_GAP = 10;
/** routes meet a box's bottom at least this far from its corner (clear of the rounding) */
const EDGE_ROOM = 12;

const round = (n: number) => Math.round(n * 10) / 10;
const px = (x: number, y: number) => `${round(x)}px ${round(y)}px`;

/**
 * Cytoscape places a segments edge's bends at weight w along the line from the source
 * endpoint S to the target endpoint T and distance d along its normal (−dy, dx)/|ST|
 * (edge-distances: endpoints). This is the inverse: the weights and distances that put
 * the bends at `points`.
 */
export function segmentsThrough(s: Point, t: Point, points: Point[]): { sw: number[]; sd: number[] } {
  const dx = t.x - s.x;
  const dy = t.y - s.y;
  const len2 = dx * dx + dy * dy || 1;
  const len = Math.sqrt(len2);
  const sw: number[] = [];
  const sd: number[] = [];
  for (const p of points) {
    const vx = p.x - s.x;
    const vy = p.y - s.y;
    sw.push(Math.round(((vx * dx + vy * dy) / len2) * 1e4) / 1e4);
    sd.push(round((vx * -dy + vy * dx) / len));
  }
  return { sw, sd };
}

/** The label's shift from the lane's middle: start just past the source's wire when it
 *  fits between the two wires, else stay in the middle. */
function labelShift(sx: number, tx: number, labelChars: number): number {
  const w = widthOf(labelChars, FONT_SIZE.route);
  const span = Math.abs(tx - sx);
  if (span < w + 2 * LABEL_GAP) return 0;
  const dir = Math.sign(tx - sx);
  return round(sx + dir * (LABEL_GAP + w / 2) - (sx + tx) / 2);
}

/** Route geometry for one layout; `lanes` is worked out once. */
export class RouteGeometer {
  private readonly lanes: RowLanes | null;
  private readonly index: Map<string, number>;
  /** between two routes on a box's side: closer than ATTACH_STEP when a row of many boxes
   *  brings more routes to a side than fit its half of the box */
  private readonly step: number;

  constructor(private readonly layout: TopologyLayout) {
    this.lanes = layout.row && layout.lanes ? rowLanes(layout.row.length) : null;
    this.index = new Map((layout.row ?? []).map((name, i) => [name, i]));
    const room = layout.box.w / 2 - ATTACH_MIN - EDGE_ROOM;
    this.step =
      this.lanes && this.lanes.perSide > 1 ? Math.min(ATTACH_STEP, room / (this.lanes.perSide - 1)) : ATTACH_STEP;
  }

  /** A node's route to another node. `labelChars`: the longest line of its label. */
  nodeRoute(from: string, to: string, many: boolean, labelChars: number): RouteGeometry {
    const a = this.index.get(from);
    const b = this.index.get(to);
    const l = this.layout;
    if (!many && this.lanes && l.lanes && a !== undefined && b !== undefined) {
      const ra = l.nodes.get(from)!;
      const rb = l.nodes.get(to)!;
      const dxa = Math.sign(b - a) * (ATTACH_MIN + this.lanes.attachment(a, b, a) * this.step);
      const dxb = Math.sign(a - b) * (ATTACH_MIN + this.lanes.attachment(a, b, b) * this.step);
      const y = l.lanes.top + this.lanes.lane(a, b) * l.lanes.step;
      return laneRoute(ra, dxa, ra.h / 2, rb, dxb, y, labelChars);
    }
    return FAN;
  }

  /** The router's route to a node. */
  routerRoute(to: string, many: boolean, labelChars: number): RouteGeometry {
    const l = this.layout;
    const lane = l.routerLanes?.of.get(to);
    if (!many && l.router && l.routerLanes && lane !== undefined) {
      const box = l.nodes.get(to)!;
      // nearest first on each side, so a wire to a further box runs outside a nearer one's
      const right = box.x >= l.router.x;
      const rank = l.row!.filter((name) => {
        const x = l.nodes.get(name)!.x;
        return x >= l.router!.x === right && Math.abs(x - l.router!.x) < Math.abs(box.x - l.router!.x);
      }).length;
      const dxr = (right ? 1 : -1) * (rank + 1) * ROUTER_ATTACH_STEP;
      const y = l.routerLanes.top + lane * l.routerLanes.step;
      return laneRoute(l.router, dxr, -ROUTER_H / 2, box, ROUTER_ATTACH_X, y, labelChars);
    }
    return FAN;
  }
}

/** From (source + dxs, its edge at dys) down or up to lane y, along it, and up into the
 *  target's bottom at dxt. */
function laneRoute(
  src: Rect,
  dxs: number,
  dys: number,
  dst: Rect,
  dxt: number,
  y: number,
  labelChars: number,
): RouteGeometry {
  const s = { x: src.x + dxs, y: src.y + dys };
  const t = { x: dst.x + dxt, y: dst.y + dst.h / 2 };
  return {
    curve: 'lane',
    sep: px(dxs, dys),
    tep: px(dxt, dst.h / 2),
    ...segmentsThrough(s, t, [
      { x: s.x, y },
      { x: t.x, y },
    ]),
    lx: labelShift(s.x, t.x, labelChars),
  };
}

/** one node's routes to many: straight lines box to box, a fan with the subnet written
 *  at the far end, by the box that owns it */
const FAN: RouteGeometry = { curve: 'fan', sep: 'outside-to-node', tep: 'outside-to-node' };
