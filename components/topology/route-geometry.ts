// How a route edge is drawn, as edge data the stylesheet reads (curve, endpoints, bends,
// where its label sits). Pure: from the layout alone.
//
// - lane: a row of boxes on the LAN (route-lanes.ts). The wire leaves the bottom of the box
//   whose table holds the route, runs along its lane and rises into the box it leads to;
//   the label (subnet, then gateway) starts just past the box that holds the route, so it
//   reads as "node1: 10.244.2.0/24 via 192.168.1.12".
// - router lane: from the router under the LAN, along a lane under it, up into the box.
// - arc: a grid of boxes; arcs over the boxes (few enough nodes to draw every route).
// - fan: one node's routes to many; straight lines, the subnet at the far end.
import { ATTACH_MIN, ATTACH_STEP, ROUTER_H, type Point, type Rect, type TopologyLayout } from './layout';
import { FONT_SIZE, widthOf } from './label-text';
import { rowLanes, type RowLanes } from './route-lanes';

export type RouteCurve = 'lane' | 'arc' | 'fan' | 'straight';

export interface RouteGeometry {
  curve: RouteCurve;
  /** source and target endpoints, relative to the ends' centres ("12px 64px") */
  sep: string;
  tep: string;
  /** unbundled-bezier: control point distance (arc) */
  cpd?: number;
  /** segments (lane): the bends, as Cytoscape's weights and distances along source→target */
  sw?: number[];
  sd?: number[];
  /** the label's shift from the middle of the lane */
  lx?: number;
}

/** where the router's routes leave its top, one every ROUTER_ATTACH_STEP */
const ROUTER_ATTACH_STEP = 30;
/** where the router's routes meet a box: right of the uplink and clear of its label */
const ROUTER_ATTACH_X = 60;
/** air between a lane label and the wire it starts from */
const LABEL_GAP = 10;

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

  constructor(private readonly layout: TopologyLayout) {
    this.lanes = layout.row && layout.lanes ? rowLanes(layout.row.length) : null;
    this.index = new Map((layout.row ?? []).map((name, i) => [name, i]));
  }

  /** A node's route to another node. `labelChars`: the longest line of its label. */
  nodeRoute(from: string, to: string, many: boolean, labelChars: number): RouteGeometry {
    if (many) return FAN;
    const a = this.index.get(from);
    const b = this.index.get(to);
    const l = this.layout;
    if (this.lanes && l.lanes && a !== undefined && b !== undefined) {
      const ra = l.nodes.get(from)!;
      const rb = l.nodes.get(to)!;
      const dxa = Math.sign(b - a) * (ATTACH_MIN + this.lanes.attachment(a, b, a) * ATTACH_STEP);
      const dxb = Math.sign(a - b) * (ATTACH_MIN + this.lanes.attachment(a, b, b) * ATTACH_STEP);
      const y = l.lanes.top + this.lanes.lane(a, b) * l.lanes.step;
      return laneRoute(ra, dxa, ra.h / 2, rb, dxb, y, labelChars);
    }
    return arcGeometry(l.nodes.get(from)!, l.nodes.get(to)!, a !== undefined && b !== undefined ? a > b : from > to);
  }

  /** The router's route to a node. */
  routerRoute(to: string, many: boolean, labelChars: number): RouteGeometry {
    if (many) return FAN;
    const l = this.layout;
    const k = this.index.get(to);
    const lane = l.routerLanes?.of.get(to);
    if (l.router && l.routerLanes && k !== undefined && lane !== undefined) {
      const n = l.row!.length;
      const dxr = (k - (n - 1) / 2) * ROUTER_ATTACH_STEP;
      const y = l.routerLanes.top + lane * l.routerLanes.step;
      const box = l.nodes.get(to)!;
      return laneRoute(l.router, dxr, -ROUTER_H / 2, box, ROUTER_ATTACH_X, y, labelChars);
    }
    // the router's routes run straight up to the bottom of each box, right of the uplink
    return { curve: 'straight', sep: '0px 0px', tep: '25% 50%' };
  }
}

/** From (source + dxs, its edge at dys) down or up to lane y, along it, and up into the
 *  target's bottom at dxt. */
function laneRoute(src: Rect, dxs: number, dys: number, dst: Rect, dxt: number, y: number, labelChars: number): RouteGeometry {
  const s = { x: src.x + dxs, y: src.y + dys };
  const t = { x: dst.x + dxt, y: dst.y + dst.h / 2 };
  return { curve: 'lane', sep: px(dxs, dys), tep: px(dxt, dst.h / 2), ...segmentsThrough(s, t, [{ x: s.x, y }, { x: t.x, y }]), lx: labelShift(s.x, t.x, labelChars) };
}

/** Routes in a grid of boxes are arcs over them, from the top of one box to the top of
 *  the other: outgoing routes leave right of centre, incoming ones arrive left of it, and
 *  the route back (b→a) arcs higher than a→b so the two never lie on one another. */
function arcGeometry(a: Rect, b: Rect, back: boolean): RouteGeometry {
  const sx = a.x + a.w / 8;
  const tx = b.x - b.w / 8;
  const sy = a.y - a.h / 2;
  const ty = b.y - b.h / 2;
  const chord = Math.hypot(tx - sx, ty - sy);
  const apex = 40 + 0.12 * chord + (back ? 36 : 0);
  // Cytoscape's control-point distance is measured to the left of travel (positive is
  // +y, down, for an edge going right); a quadratic curve peaks at half of it.
  const up = tx - sx >= 0 ? -1 : 1;
  return { curve: 'arc', sep: '12.5% -50%', tep: '-12.5% -50%', cpd: round(up * 2 * apex) };
}

/** one node's routes to many: straight lines box to box, a fan with the subnet written
 *  at the far end, by the box that owns it */
const FAN: RouteGeometry = { curve: 'fan', sep: 'outside-to-node', tep: 'outside-to-node' };
