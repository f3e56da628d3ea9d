// Where everything sits on the graph, as a pure function of the topology: the same
// cluster always draws the same picture, and a pod that comes or goes moves nothing
// else. Node boxes form a grid in natural name order (node2 before node10); a handful
// stand in one row on the LAN, like the textbook drawing. Inside a box the bridge is a
// bar across it: the first row of pod slots sits on top of it, further rows hang below
// it (so in a box of one or two rows every veth is a short straight wire to the bridge),
// one slot per address of the node's pod subnet. Under a row of boxes run the lanes
// their routes follow (route-lanes.ts), then the LAN bar; the router (router mode) sits
// under the LAN.
//
// Why a pod's place comes from its IP and not from its index in a list: an index moves
// every later pod when one earlier pod goes away. The address never changes for the
// life of a pod, and host-local/podnet-ipam hand them out from the bottom of the range,
// so a node with 30 pods fills the first 30 slots.
import { parseCidr } from '../../lib/model/ipv4';
import { MAX_SLOTS, slotIn } from '../../lib/model/pod-slot';
import type { NodeSummary } from '../../lib/model/summary';
import type { Topology, TopoPod } from '../../lib/model/topology';
import { routerLanes, rowLanes } from './route-lanes';

export { MAX_SLOTS, quickIpv4, slotOf } from '../../lib/model/pod-slot';

// World units (Cytoscape model pixels). Sized so that the reference lab (three boxes of
// two slots in a row) fits a 1024 px wide graph at about zoom 1, where the 12-unit labels
// of styles.ts are 12 screen px: the row is what limits the zoom, so every width here is
// what its text needs and no more (LABEL_CHARS characters of 12-unit monospace).
/** a pod's label: its name, its namespace (when not "default") and its IP, 15 characters a line */
export const POD_W = 122;
export const POD_H = 48;
/** the wire between a pod and the bridge: its host veth's name is written on it */
export const VETH_GAP = 34;
/** a slot is a pod and its veth's wire */
export const SLOT_W = 136;
export const SLOT_H = POD_H + VETH_GAP;
export const BRIDGE_H = 22;
/** between a box's edge and its slots */
export const BOX_PAD = 12;
/** between boxes: titles are cut to their box's width, so this is only air */
export const BOX_GAP_X = 44;
/** between rows of a grid of boxes: the next row's titles and the arcs of its routes */
export const BOX_GAP_Y = 110;
export const LAN_H = 16;
/** the height a box's title (two lines: name, then IP and pod subnet) takes above it */
export const TITLE_H = 52;
/** a grid's LAN is this far under the last row of boxes */
const LAN_GAP = 90;
/** the LAN bar reaches this far past the outer boxes */
const LAN_OVERHANG = 8;
export const ROUTER_W = 150;
export const ROUTER_H = 44;
/** Up to this many boxes stand in one row on the LAN and their routes run in lanes along
 *  it; more form a grid (and their routes arc, or fan from the focused node). */
export const ROW_MAX = 6;
/** route lanes: one every LANE_H (a 12-unit label and its background fit between two) */
export const LANE_H = 32;
/** the first lane under the boxes (room for the arrow heads rising into them) */
const LANE_TOP = 28;
/** under the last lane, room for the uplink's label (the node IP) over the LAN */
const UPLINK_LABEL_ROOM = 44;
/** where routes meet a box's bottom: the first this far from the middle (the uplink),
 *  then one every ATTACH_STEP outwards */
export const ATTACH_MIN = 36;
export const ATTACH_STEP = 18;

/**
 * The slot grid's size. It must not follow the number of pods a node has right now,
 * or every box (and so every other box and pod) would move with each pod. So it grows
 * in steps: the smallest power of two (at least 2, at most 256) that holds the highest
 * slot any node uses, laid out in Z-order (Morton order). Z-order is what makes the
 * steps harmless inside a box: the first 2 slots are a 2×1 block, the first 8 a 4×2
 * block with those 2 unchanged in its corner, and so on — a slot's cell never depends
 * on the capacity, and since the grid grows right and down from the bridge, a step
 * moves no pod within its box. The minimum is 2, not more, because a box should fit
 * its pods: the lab's two pods per node fill a 2×1 grid exactly, where a grid of 8
 * left three quarters of every box empty. 256 holds a whole /24 (253 pod addresses; kubelet's default
 * limit is 110 pods, but IPAM's round-robin walks the whole range over time); a larger
 * per-node subnet spills its higher addresses into the overflow rows instead of making
 * every box enormous (there are none until a pod needs one). The caller may pass the shape
 * it drew last (`atLeast`) so the grid only ever grows while the page is open.
 */
export const MIN_SLOTS = 2;

export interface SlotShape {
  /** slots in the grid: a power of two between MIN_SLOTS and MAX_SLOTS */
  capacity: number;
  cols: number;
  rows: number;
  /** rows under the slots for pods without a slot (no IP yet, or outside the subnet) */
  overflowRows: number;
}

/** Lanes along the LAN, by their y: lane k is at top + k × step. */
export interface Lanes {
  top: number;
  step: number;
  count: number;
}

/** Centre and size, in world units. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface TopologyLayout {
  shape: SlotShape;
  /** every node box has this size, expanded or collapsed */
  box: { w: number; h: number };
  /** box centre by node name */
  nodes: Map<string, Rect>;
  bridges: Map<string, Rect>;
  /** by pod key: pods on a node in the topology, and pods without one (in a row under the LAN) */
  pods: Map<string, Point>;
  /** by pod key: its slot index, or null for the overflow row / no node */
  slots: Map<string, number | null>;
  lan: Rect;
  router: Rect | null;
  /** node names of a single row of boxes on the LAN (at most ROW_MAX), in order; null for a grid */
  row: string[] | null;
  /** host-gw routes between the boxes of `row`, between them and the LAN */
  lanes: Lanes | null;
  /** the router's routes to the boxes of `row`, under the LAN; lane of each box by name */
  routerLanes: (Lanes & { of: Map<string, number> }) | null;
  /** the whole drawing */
  bounds: Rect;
}

/** node2 < node10: digit runs compare as numbers. Deterministic (no locale). */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue; // "007" vs "7": equal value, fall through to the next token
    }
    return x < y ? -1 : 1;
  }
  if (ta.length !== tb.length) return ta.length - tb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const byKey = (a: TopoPod, b: TopoPod) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A slot's cell in Z-order: x takes the even bits, y the odd ones. */
export function slotCell(slot: number): { col: number; row: number } {
  let col = 0;
  let row = 0;
  for (let bit = 0; bit < 16; bit++) {
    const b = (slot >> bit) & 1;
    if (bit % 2 === 0) col |= b << (bit >> 1);
    else row |= b << (bit >> 1);
  }
  return { col, row };
}

export function shapeFor(capacity: number, overflowRows: number): SlotShape {
  let cap = MIN_SLOTS;
  while (cap < capacity && cap < MAX_SLOTS) cap *= 2;
  const bits = Math.log2(cap);
  return {
    capacity: cap,
    cols: 2 ** Math.ceil(bits / 2),
    rows: 2 ** Math.floor(bits / 2),
    overflowRows: Math.max(0, overflowRows),
  };
}

/** The slot grid every node's pods fit in, from the nodes' summaries (their highest slot
 *  and pods without one): the boxes of a page that has not loaded the pods are the size
 *  the pods will need, so opening a node moves no box. */
export function shapeOfSummaries(nodes: readonly NodeSummary[], atLeast?: SlotShape | null): SlotShape {
  let highest = -1;
  let unslotted = 0;
  for (const n of nodes) {
    highest = Math.max(highest, n.slots.highest);
    unslotted = Math.max(unslotted, n.slots.unslotted);
  }
  const grid = shapeFor(Math.max(highest + 1, atLeast?.capacity ?? 0), 0);
  return shapeFor(grid.capacity, Math.max(Math.ceil(unslotted / grid.cols), atLeast?.overflowRows ?? 0));
}

export interface LayoutOptions {
  /** never draw a smaller grid than this (the one drawn before): boxes only grow */
  atLeast?: SlotShape | null;
}

export function layoutTopology(topology: Topology, opts: LayoutOptions = {}): TopologyLayout {
  const nodes = [...topology.nodes].sort((a, b) => naturalCompare(a.name, b.name));
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));

  // Slots first: they decide the grid's shape.
  const podsByNode = new Map<string, TopoPod[]>();
  const unplaced: TopoPod[] = [];
  for (const p of topology.pods) {
    if (!p.node || !nodeByName.has(p.node)) {
      unplaced.push(p);
      continue;
    }
    const list = podsByNode.get(p.node);
    if (list) list.push(p);
    else podsByNode.set(p.node, [p]);
  }
  const slots = new Map<string, number | null>();
  const overflowByNode = new Map<string, TopoPod[]>();
  let highest = -1;
  let mostOverflow = 0;
  for (const n of nodes) {
    const holder = new Map<number, TopoPod>();
    const overflow: TopoPod[] = [];
    const net = n.podCIDR ? parseCidr(n.podCIDR) : null;
    for (const p of podsByNode.get(n.name) ?? []) {
      const s = slotIn(p.ip, net);
      const other = s === null ? undefined : holder.get(s);
      if (s === null) overflow.push(p);
      else if (!other) holder.set(s, p);
      else if (p.key < other.key) {
        // two pods claim one address (a finding of its own): the first by key keeps the slot
        holder.set(s, p);
        overflow.push(other);
      } else overflow.push(p);
    }
    for (const [s, p] of holder) {
      slots.set(p.key, s);
      if (s > highest) highest = s;
    }
    overflow.sort(byKey);
    for (const p of overflow) slots.set(p.key, null);
    overflowByNode.set(n.name, overflow);
    mostOverflow = Math.max(mostOverflow, overflow.length);
  }
  const grid = shapeFor(Math.max(highest + 1, opts.atLeast?.capacity ?? 0), 0);
  const shape = shapeFor(grid.capacity, Math.max(Math.ceil(mostOverflow / grid.cols), opts.atLeast?.overflowRows ?? 0));

  const innerW = shape.cols * SLOT_W;
  // the first row of slots, the bridge, then the other rows and the overflow rows
  const innerH = SLOT_H + BRIDGE_H + (shape.rows - 1 + shape.overflowRows) * SLOT_H;
  const box = { w: innerW + 2 * BOX_PAD, h: innerH + 2 * BOX_PAD };

  // A handful of nodes stand in one row on the LAN, like the reference drawing; more
  // form a grid about 1.6 times as wide as it is high (a landscape screen).
  const n = nodes.length;
  const inRow = n <= ROW_MAX;
  const cols = inRow
    ? Math.max(1, n)
    : Math.min(n, Math.max(1, Math.ceil(Math.sqrt((n * (box.h + BOX_GAP_Y) * 1.6) / (box.w + BOX_GAP_X)))));
  const rows = Math.ceil(n / cols);
  const gridW = Math.max(box.w, cols * box.w + (cols - 1) * BOX_GAP_X);
  const gridH = rows > 0 ? rows * box.h + (rows - 1) * BOX_GAP_Y : box.h;

  const nodeRects = new Map<string, Rect>();
  const bridges = new Map<string, Rect>();
  const pods = new Map<string, Point>();
  nodes.forEach((node, i) => {
    const col = i % cols;
    const row = Math.floor(i / cols);
    const left = col * (box.w + BOX_GAP_X);
    const top = row * (box.h + BOX_GAP_Y);
    nodeRects.set(node.name, { x: left + box.w / 2, y: top + box.h / 2, w: box.w, h: box.h });
    const innerLeft = left + BOX_PAD;
    const innerTop = top + BOX_PAD;
    bridges.set(node.name, { x: innerLeft + innerW / 2, y: innerTop + SLOT_H + BRIDGE_H / 2, w: innerW, h: BRIDGE_H });
    // row 0: the pod on top, its wire under it; below the bridge: the wire, then the pod
    const belowBridge = innerTop + SLOT_H + BRIDGE_H;
    const at = (col: number, row: number): Point => ({
      x: innerLeft + col * SLOT_W + SLOT_W / 2,
      y: row === 0 ? innerTop + POD_H / 2 : belowBridge + (row - 1) * SLOT_H + VETH_GAP + POD_H / 2,
    });
    for (const p of podsByNode.get(node.name) ?? []) {
      const s = slots.get(p.key);
      if (s === null || s === undefined) continue;
      const c = slotCell(s);
      pods.set(p.key, at(c.col, c.row));
    }
    (overflowByNode.get(node.name) ?? []).forEach((p, k) =>
      pods.set(p.key, at(k % shape.cols, shape.rows + Math.floor(k / shape.cols))),
    );
  });

  const hasRouter = topology.router !== null || topology.routes.some((r) => r.from === 'router');
  // host-gw routes run in lanes between a row of boxes and the LAN; the router's under it.
  // Lanes are kept for every pair whether its route is there or not (a missing one is drawn
  // in its lane), but not where no node routes to another at all (no agents, another CNI).
  const nodeRoutes = topology.cluster.routing === 'host-gw' || topology.routes.some((r) => r.from !== 'router');
  const pairLanes = inRow && !hasRouter && nodeRoutes && n >= 2 ? rowLanes(n).count : 0;
  const lanes: Lanes | null = pairLanes ? { top: gridH + LANE_TOP, step: LANE_H, count: pairLanes } : null;
  const lanTop = lanes
    ? lanes.top + (lanes.count - 1) * LANE_H + UPLINK_LABEL_ROOM
    : gridH + (inRow ? UPLINK_LABEL_ROOM + LANE_TOP : LAN_GAP);
  const lanW = gridW + 2 * LAN_OVERHANG;
  const lan: Rect = { x: gridW / 2, y: lanTop + LAN_H / 2, w: lanW, h: LAN_H };
  let router: Rect | null = null;
  let routerLaneSet: TopologyLayout['routerLanes'] = null;
  if (hasRouter && inRow && n > 0) {
    const byLane = routerLanes(nodes.map((nd) => Math.abs(nodeRects.get(nd.name)!.x - lan.x)));
    const laneTop = lanTop + LAN_H + LANE_TOP;
    routerLaneSet = { top: laneTop, step: LANE_H, count: n, of: new Map(nodes.map((nd, i) => [nd.name, byLane[i]!])) };
    router = { x: lan.x, y: laneTop + (n - 1) * LANE_H + LANE_TOP + ROUTER_H / 2, w: ROUTER_W, h: ROUTER_H };
  } else if (hasRouter) {
    router = { x: lan.x, y: lan.y + LAN_H / 2 + ROUTER_H / 2 + 6, w: ROUTER_W, h: ROUTER_H };
  }

  // Pods the control plane has not put on a known node: a row of their own, by key.
  let bottom = (router ? router.y + ROUTER_H / 2 : lan.y + LAN_H / 2) + 60;
  const perRow = Math.max(1, Math.floor(gridW / SLOT_W));
  unplaced.sort(byKey).forEach((p, k) => {
    slots.set(p.key, null);
    pods.set(p.key, { x: (k % perRow) * SLOT_W + SLOT_W / 2, y: bottom + Math.floor(k / perRow) * SLOT_H + POD_H / 2 });
  });
  if (unplaced.length) bottom += Math.ceil(unplaced.length / perRow) * SLOT_H;
  else bottom -= 40; // nothing under the LAN: keep the margin small

  const minX = Math.min(0, lan.x - lanW / 2);
  const maxX = Math.max(gridW, lan.x + lanW / 2);
  return {
    shape,
    box,
    nodes: nodeRects,
    bridges,
    pods,
    slots,
    lan,
    router,
    row: inRow ? nodes.map((nd) => nd.name) : null,
    lanes,
    routerLanes: routerLaneSet,
    // from the box titles above the first row (TITLE_H) to the last row of pods on no node
    bounds: { x: (minX + maxX) / 2, y: (bottom - TITLE_H) / 2, w: maxX - minX, h: bottom + TITLE_H },
  };
}
