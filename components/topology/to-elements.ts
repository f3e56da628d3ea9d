// Topology → Cytoscape elements, pure. Ids say what an element is (node:node2,
// pod:default/web-1, veth:default/web-1, route:node1 10.244.2.0/24), so the component
// can diff what it draws by id and tests can find things by name. Positions come from
// layout.ts; nothing here runs a layout.
//
// A node box is a plain node of the layout's size, drawn under its bridge and pods
// (data `box` names it), not a Cytoscape compound: a compound is as big as its children,
// so an empty row, a thicker border on the selected pod or a pod coming would move the
// box — and with it the routes that run from its bottom along the LAN. It is also cheaper
// to draw at 5,000 pods.
//
// Labels are cut to their element (label-text.ts); the whole text is the element's `tip`,
// which the graph shows on hover.
//
// Level of detail: a big cluster is not drawn pod by pod. Above LOD_POD_THRESHOLD pods
// every node not in `expanded` is one box ("node7 · 100 pods · 2 findings") of the
// same size as its expanded self, so expanding it moves nothing. With more than
// ROUTE_NODE_THRESHOLD nodes only the focused node's routes are drawn: host-gw on 100
// nodes holds 9,900 routes, and 9,900 arcs say nothing anyone can read.
import type { ElementDefinition } from 'cytoscape';
import { elementId } from '../../lib/model/graph-ids';
import type { Severity } from '../../lib/model/snapshot';
import type { NodeSummary } from '../../lib/model/summary';
import type { Health, Selection, Topology, TopoNode, TopoPod } from '../../lib/model/topology';
import { charsIn, ellipsize, FONT_SIZE, widthOf } from './label-text';
import {
  BOX_PAD,
  BRIDGE_H,
  LAN_H,
  layoutTopology,
  naturalCompare,
  POD_W,
  ROW_MAX,
  SLOT_W,
  type Rect,
  type TopologyLayout,
} from './layout';
import { RouteGeometer } from './route-geometry';

/** More pods than this (after the filter) and nodes are drawn collapsed unless expanded.
 *  Cytoscape draws this many pods with their veths and compound boxes at once without a
 *  noticeable wait; many thousands take seconds (bench/README.md). */
export const LOD_POD_THRESHOLD = 600;
/** More nodes than this and route edges are drawn only for the focused node's own
 *  routing table (and the router's route to it). Up to this many boxes stand in a row and
 *  their routes run in lanes along the LAN (6 nodes in host-gw: 30 routes in 18 lanes);
 *  beyond it the boxes form a grid, where every route would arc over boxes and pods — a
 *  tangle nobody can follow, growing as n² (12 nodes: 132 routes). */
export const ROUTE_NODE_THRESHOLD = ROW_MAX;
/** A focused node with more routes than this (host-gw beyond ~65 nodes) has only its
 *  routes with findings, and those to nodes drawn open, drawn: 999 arcs from one box at
 *  1,000 nodes are a fan nobody can read, and cost Cytoscape a second to draw. */
export const FOCUS_ROUTES_MAX = 64;
/** More nodes than this and a closed box has no uplink: its title gives its address, the
 *  uplinks of a column of the grid overlap into one line anyway, and at 1,000 nodes they
 *  were half of what Cytoscape styled and drew for the first render. */
export const CLOSED_UPLINKS_MAX_NODES = 64;
/** Pods on no known node (unscheduled, or on a node that went away) beyond this are one
 *  summary element while the level of detail is on. */
export const UNPLACED_MAX = 50;

export type ElementKind = 'node' | 'bridge' | 'pod' | 'unplaced' | 'lan' | 'router' | 'veth' | 'uplink' | 'route';

export interface GraphFilter {
  node?: string | null;
  namespace?: string | null;
}

export interface ElementOptions {
  /** node names drawn pod by pod while `lod` is on */
  expanded: Set<string>;
  filter?: GraphFilter;
  /** draw nodes outside `expanded` collapsed (see needsLod) */
  lod: boolean;
  /** the node whose routes are drawn when there are too many nodes to draw them all */
  focus?: string | null;
  /** a layout computed already (the component keeps its grid from shrinking) */
  layout?: TopologyLayout;
  /** route ids drawn whatever the level of detail (a traced path's routes) */
  alwaysRoutes?: ReadonlySet<string>;
  /** The page holds the cluster as summaries (components/data/use-topology.ts): a node's
   *  pod count and severity come from its summary, and a node is drawn open only once its
   *  pods are `loaded` (until then it stays a box with its counts, not an empty box). */
  summaries?: ReadonlyMap<string, NodeSummary>;
  loaded?: ReadonlySet<string>;
  /** closed boxes from the last call (ClosedBoxes): the same box comes back as the same
   *  objects, which planUpdate passes over without comparing */
  memo?: ClosedBoxes;
}

/**
 * The elements of each closed box (the box and its uplink) by what they are made of. At
 * 1,000 nodes every event drew the whole graph again: toElements and planUpdate took ~40
 * ms of each, most of it building and comparing boxes that had not changed. Treat what
 * it holds as frozen: the graph keeps the same objects as what it drew.
 */
export class ClosedBoxes {
  private byNode = new Map<string, { key: string; els: ElementDefinition[] }>();
  private seen = new Set<string>();

  /** the elements for `key`, built by `make` when the node's key changed */
  get(node: string, key: string, make: () => ElementDefinition[]): ElementDefinition[] {
    this.seen.add(node);
    const had = this.byNode.get(node);
    if (had && had.key === key) return had.els;
    const els = make();
    this.byNode.set(node, { key, els });
    return els;
  }

  /** forgets the nodes not asked for since the last sweep */
  sweep(): void {
    for (const n of this.byNode.keys()) if (!this.seen.has(n)) this.byNode.delete(n);
    this.seen.clear();
  }

  get size(): number {
    return this.byNode.size;
  }
}

/** true when `xs` is in order already: a cluster's nodes usually come sorted */
function inOrder<T>(xs: readonly T[], cmp: (a: T, b: T) => number): boolean {
  for (let i = 1; i < xs.length; i++) if (cmp(xs[i - 1]!, xs[i]!) > 0) return false;
  return true;
}

/** Characters a line of a pod's label holds (its IP, at most 15, always fits). */
export const POD_CHARS = charsIn(POD_W - 10, FONT_SIZE.pod);
/** A veth name is at most 15 characters (IFNAMSIZ); this is what its wire's label holds. */
const VETH_CHARS = charsIn(SLOT_W - 8, FONT_SIZE.veth);

export { elementId };

export const selectionId = (sel: Selection) => (sel.kind === 'pod' ? elementId.pod(sel.key) : elementId.node(sel.key));

/** The node a selection lives on: the node itself, or the pod's node. */
export function nodeOfSelection(topology: Topology | null, sel: Selection | null): string | null {
  if (!sel || !topology) return null;
  if (sel.kind === 'node') return sel.key;
  return topology.pods.find((p) => p.key === sel.key)?.node ?? null;
}

const passes = (p: TopoPod, f: GraphFilter) =>
  (!f.namespace || p.namespace === f.namespace) && (!f.node || p.node === f.node);

export function drawnPodCount(topology: Topology, filter: GraphFilter = {}): number {
  let n = 0;
  for (const p of topology.pods) if (passes(p, filter)) n++;
  return n;
}

export function needsLod(topology: Topology, filter: GraphFilter = {}): boolean {
  return drawnPodCount(topology, filter) > LOD_POD_THRESHOLD;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const worse = (a: Severity | null, b: Severity): Severity => (a === 'error' || b === 'error' ? 'error' : 'warning');
const byKey = (a: TopoPod, b: TopoPod) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function toElements(topology: Topology, opts: ElementOptions): ElementDefinition[] {
  const layout = opts.layout ?? layoutTopology(topology);
  const f = opts.filter ?? {};
  const byName = (a: TopoNode, b: TopoNode) => naturalCompare(a.name, b.name);
  const nodes = topology.nodes.filter((n) => (!f.node || n.name === f.node) && layout.nodes.has(n.name));
  if (!inOrder(nodes, byName)) nodes.sort(byName);
  const drawn = new Set(nodes.map((n) => n.name));

  const podsByNode = new Map<string, TopoPod[]>();
  const unplaced: TopoPod[] = [];
  for (const p of topology.pods) {
    if (!passes(p, f)) continue;
    if (p.node && layout.nodes.has(p.node)) {
      if (!drawn.has(p.node)) continue;
      const list = podsByNode.get(p.node);
      if (list) list.push(p);
      else podsByNode.set(p.node, [p]);
    } else if (!f.node) unplaced.push(p);
  }

  const nodeSeverity = new Map<string, Severity>();
  const podSeverity = new Map<string, Severity>();
  const routeFinding = new Map<string, Severity>();
  const bridgeFinding = new Map<string, Severity>();
  const missingRoutes: { from: string; dst: string }[] = [];
  for (const fd of topology.findings) {
    if (fd.node) {
      nodeSeverity.set(fd.node, worse(nodeSeverity.get(fd.node) ?? null, fd.severity));
      if (fd.object.startsWith('bridge '))
        bridgeFinding.set(fd.node, worse(bridgeFinding.get(fd.node) ?? null, fd.severity));
      if (fd.object.startsWith('route ')) {
        const dst = fd.object.slice('route '.length);
        routeFinding.set(elementId.route(fd.node, dst), fd.severity);
        if (fd.id.includes('/route-missing:')) missingRoutes.push({ from: fd.node, dst });
      }
    }
    if (fd.pod) podSeverity.set(fd.pod, worse(podSeverity.get(fd.pod) ?? null, fd.severity));
  }
  const nodeHealth = new Map<string, Health>(topology.nodes.map((n) => [n.name, n.health]));

  const els: ElementDefinition[] = [];
  const edges: ElementDefinition[] = [];
  const lan = layout.lan;
  const many = drawn.size > ROUTE_NODE_THRESHOLD;
  let focusRoutes = 0;
  if (many && opts.focus != null) for (const r of topology.routes) if (r.from === opts.focus) focusRoutes++;
  const thinned = focusRoutes > FOCUS_ROUTES_MAX;
  // where routes are drawn for the focused node only, say so where they would be
  const hint =
    many && opts.focus == null && topology.routes.length > 0
      ? ' · select a node to draw its routes'
      : thinned
        ? ` · of ${opts.focus}'s ${focusRoutes} routes, those with findings and to open nodes are drawn; all are in its details`
        : '';
  els.push({
    group: 'nodes',
    data: {
      id: elementId.lan,
      kind: 'lan',
      label: `LAN${hint}`,
      health: 'healthy',
      severity: null,
      w: lan.w,
      h: lan.h,
    },
    position: { x: lan.x, y: lan.y },
  });
  if (layout.router) {
    const ip = topology.router?.ip;
    els.push({
      group: 'nodes',
      data: {
        id: elementId.router,
        kind: 'router',
        label: ip ? `router\n${ip}` : 'router',
        health: 'healthy',
        severity: null,
      },
      position: { x: layout.router.x, y: layout.router.y },
    });
    // the router's own link, up from its middle to the LAN over it
    edges.push({
      group: 'edges',
      data: {
        id: elementId.uplink('router'),
        kind: 'uplink',
        source: elementId.router,
        target: elementId.lan,
        label: '',
        tip: `the router's link to the LAN${ip ? `: ${ip}` : ''}`,
        health: 'healthy',
        severity: null,
        missing: false,
        labelAtLan: false,
        sep: '0% -50%',
        tep: `${round(layout.router.x - lan.x)}px ${LAN_H / 2}px`,
      },
    });
  }

  for (const node of nodes) {
    const box = layout.nodes.get(node.name)!;
    const summary = opts.summaries?.get(node.name);
    const collapsed =
      (opts.lod && !opts.expanded.has(node.name)) || (opts.loaded !== undefined && !opts.loaded.has(node.name));
    const pods = podsByNode.get(node.name) ?? [];
    if (!collapsed) pods.sort(byKey);
    const podCount = collapsed && summary ? summary.pods : pods.length;
    const id = elementId.node(node.name);
    const addresses = `${node.ip ?? 'no IP'} · ${node.podCIDR ?? 'no pod subnet'}`;
    const unreachable = node.health === 'unreachable' ? ['agent unreachable'] : [];
    const tip = [node.name, addresses, ...unreachable].join(' · ');
    const base = {
      id,
      kind: 'node',
      name: node.name,
      health: node.health,
      severity: nodeSeverity.get(node.name) ?? summary?.severity ?? null,
      pods: podCount,
      findings: node.findingCount,
      w: box.w,
      h: box.h,
      tip,
    };
    const uplink = (): ElementDefinition => ({
      group: 'edges',
      data: {
        id: elementId.uplink(node.name),
        kind: 'uplink',
        source: id,
        target: elementId.lan,
        label: node.ip ?? '',
        tip: `${node.name}'s uplink to the LAN${node.ip ? `: ${node.ip}` : ''}`,
        // in a row its label sits on the LAN, clear of the route wires under the box; in a
        // grid under its box, as uplinks of a column share their way down to the LAN
        labelAtLan: layout.row !== null,
        sep: '0% 50%',
        health: node.health === 'unreachable' ? 'unreachable' : 'healthy',
        severity: null,
        missing: false,
        tep: `${round(box.x - lan.x)}px ${-LAN_H / 2}px`,
      },
    });
    if (collapsed) {
      const withUplink = nodes.length <= CLOSED_UPLINKS_MAX_NODES;
      // everything the box and its uplink are made of
      const key = [
        node.ip,
        node.podCIDR,
        node.health,
        node.findingCount,
        base.severity,
        podCount,
        box.x,
        box.y,
        box.w,
        box.h,
        withUplink ? `${lan.x} ${layout.row !== null}` : '',
      ].join('\u0000');
      const made = () => {
        const title = [
          node.name,
          plural(podCount, 'pod'),
          ...(node.findingCount ? [plural(node.findingCount, 'finding')] : []),
        ].join(' · ');
        const lines = [title, addresses, ...unreachable];
        // big enough to read when the whole cluster is in view; a line too long for the box is cut
        const inner = box.w - 2 * BOX_PAD;
        const fontSize = Math.floor(
          Math.max(16, Math.min(box.h / 5, inner / widthOf(Math.max(...lines.map((l) => l.length)), 1))),
        );
        const fit = charsIn(inner, fontSize);
        const out: ElementDefinition[] = [
          {
            group: 'nodes',
            data: { ...base, collapsed: true, label: lines.map((l) => ellipsize(l, fit)).join('\n'), fontSize },
            position: { x: box.x, y: box.y },
          },
        ];
        if (withUplink) out.push(uplink());
        return out;
      };
      for (const e of opts.memo ? opts.memo.get(node.name, key, made) : made())
        (e.group === 'edges' ? edges : els).push(e);
      continue;
    }
    // the title over the box: the name on a line of its own, cut to the box's width
    const fit = charsIn(box.w, FONT_SIZE.title);
    const label = [node.name, addresses, ...unreachable].map((l) => ellipsize(l, fit)).join('\n');
    const bridge = layout.bridges.get(node.name)!;
    els.push({
      group: 'nodes',
      data: { ...base, collapsed: false, label, fontSize: FONT_SIZE.title },
      position: { x: box.x, y: box.y },
    });
    els.push(bridgeElement(node, bridge, id, bridgeFinding.get(node.name) ?? null));
    for (const p of pods) {
      const at = layout.pods.get(p.key);
      if (!at) continue;
      els.push(podElement(p, at, id, podSeverity.get(p.key) ?? null));
      if (p.hostNetwork) continue; // it shares the node's namespace: no veth
      const missing = p.veth === null && p.phase === 'Running' && node.agent.state === 'live';
      const health: Health =
        node.health === 'unreachable' ? 'unreachable' : missing || p.veth?.up === false ? 'finding' : p.health;
      edges.push({
        group: 'edges',
        data: {
          id: elementId.veth(p.key),
          kind: 'veth',
          source: elementId.pod(p.key),
          target: elementId.bridge(node.name),
          label: ellipsize(p.veth?.host ?? (missing ? 'no veth' : ''), VETH_CHARS),
          tip: p.veth
            ? `${p.veth.host}: the host end of ${p.key}'s ${p.veth.ifname}${p.veth.up === false ? ' (down)' : ''}`
            : missing
              ? `${p.key} has no veth`
              : p.key,
          health,
          severity: health === 'finding' ? (podSeverity.get(p.key) ?? 'error') : null,
          missing,
          // pods in the first row sit on the bridge's top, the others hang under it
          tep: `${round(at.x - bridge.x)}px ${at.y < bridge.y ? -BRIDGE_H / 2 : BRIDGE_H / 2}px`,
        },
      });
    }
    edges.push(uplink());
  }

  if (unplaced.length) {
    if (opts.lod && unplaced.length > UNPLACED_MAX) {
      const first = layout.pods.get(unplaced.sort(byKey)[0]!.key)!;
      els.push({
        group: 'nodes',
        data: {
          id: elementId.unplaced,
          kind: 'unplaced',
          label: `${plural(unplaced.length, 'pod')} on no node`,
          health: 'healthy',
          severity: null,
          w: 4 * SLOT_W,
          pods: unplaced.length,
        },
        position: { x: first.x - POD_W / 2 + 2 * SLOT_W, y: first.y },
      });
    } else {
      for (const p of unplaced.sort(byKey))
        els.push(podElement(p, layout.pods.get(p.key)!, null, podSeverity.get(p.key) ?? null));
    }
  }

  // Routes: every one when they can be read, else only the focused node's — and of a
  // focused node with more than FOCUS_ROUTES_MAX, those that say something (a finding, a
  // missing one) or lead to a node drawn open.
  const wanted = (from: string, to: string, dst: string) => {
    const fromDrawn = from === 'router' ? layout.router !== null : drawn.has(from);
    if (!fromDrawn || !drawn.has(to)) return false;
    const id = elementId.route(from, dst);
    if (!many || opts.alwaysRoutes?.has(id)) return true;
    // the focused node's own table; in router mode, the router's route to it
    if (opts.focus == null || !(from === opts.focus || (from === 'router' && to === opts.focus))) return false;
    return !thinned || routeFinding.has(id) || opts.expanded.has(to);
  };
  const seen = new Set<string>();
  const geometer = new RouteGeometer(layout);
  const nodeIp = new Map(topology.nodes.map((n) => [n.name, n.ip]));
  const routeEdge = (
    from: string,
    to: string,
    dst: string,
    via: string | null,
    dev: string | null,
    missing: boolean,
  ) => {
    const id = elementId.route(from, dst);
    if (seen.has(id)) return;
    seen.add(id);
    const finding = routeFinding.get(id);
    const health: Health =
      from !== 'router' && nodeHealth.get(from) === 'unreachable'
        ? 'unreachable'
        : missing || finding
          ? 'finding'
          : 'healthy';
    // along the LAN there is room for the gateway under the subnet; a fan says less
    const lines = [missing ? `${dst} missing` : dst, ...(via ? [`via ${via}`] : [])];
    const geometry =
      from === 'router'
        ? geometer.routerRoute(to, many, Math.max(...lines.map((l) => l.length)))
        : geometer.nodeRoute(from, to, many, Math.max(...lines.map((l) => l.length)));
    const label = geometry.curve === 'lane' ? lines.join('\n') : lines[0]!;
    const tip = `${from}: ${dst}${via ? ` via ${via}` : ''}${dev ? ` dev ${dev}` : ''}${missing ? ' (missing)' : ''}`;
    edges.push({
      group: 'edges',
      data: {
        id,
        kind: 'route',
        from,
        to,
        source: from === 'router' ? elementId.router : elementId.node(from),
        target: elementId.node(to),
        label,
        tip,
        health,
        severity: health === 'finding' ? (finding ?? 'error') : null,
        missing,
        ...geometry,
      },
    });
  };
  const routes = topology.routes
    .filter((r) => r.to && wanted(r.from, r.to, r.dst))
    .sort((a, b) => naturalCompare(a.key, b.key));
  for (const r of routes) routeEdge(r.from, r.to!, r.dst, r.via, r.dev, false);
  const ownerOfCidr = new Map(topology.nodes.flatMap((n) => (n.podCIDR ? [[n.podCIDR, n.name] as const] : [])));
  for (const m of missingRoutes) {
    const to = ownerOfCidr.get(m.dst);
    // host-gw: the gateway a missing route should have is the owner's IP
    if (to && wanted(m.from, to, m.dst)) routeEdge(m.from, to, m.dst, nodeIp.get(to) ?? null, null, true);
  }

  opts.memo?.sweep();
  return els.concat(edges);
}

const round = (n: number) => Math.round(n * 10) / 10;

function bridgeElement(node: TopoNode, at: Rect, box: string, finding: Severity | null): ElementDefinition {
  const b = node.bridge;
  let health: Health = 'healthy';
  let severity: Severity | null = null;
  let label: string;
  if (node.health === 'unreachable') health = 'unreachable';
  if (b) {
    label = ellipsize(
      [b.name, ...b.addresses, ...(b.up ? [] : ['down'])].join(' · '),
      charsIn(at.w - 8, FONT_SIZE.bridge),
    );
    if (health !== 'unreachable' && (!b.up || finding)) {
      health = 'finding';
      severity = finding ?? 'error';
    }
  } else if (node.agent.state === 'live') {
    label = 'no bridge';
    if (health !== 'unreachable') {
      health = 'finding';
      severity = finding ?? 'error';
    }
  } else {
    label = node.agent.state === 'none' ? 'bridge (no agent)' : 'bridge (no snapshot)';
  }
  const tip = b
    ? `${node.name}'s bridge ${[b.name, ...b.addresses].join(' · ')}${b.up ? '' : ' (down)'}`
    : `${node.name}: ${label}`;
  return {
    group: 'nodes',
    data: {
      id: elementId.bridge(node.name),
      kind: 'bridge',
      box,
      node: node.name,
      label,
      tip,
      health,
      severity,
      w: at.w,
      h: at.h,
    },
    position: { x: at.x, y: at.y },
  };
}

function podElement(
  p: TopoPod,
  at: { x: number; y: number },
  box: string | null,
  severity: Severity | null,
): ElementDefinition {
  return {
    group: 'nodes',
    data: {
      id: elementId.pod(p.key),
      kind: 'pod',
      ...(box ? { box } : {}),
      key: p.key,
      name: p.name,
      namespace: p.namespace,
      node: p.node,
      ip: p.ip,
      // the name; the namespace under it unless it is "default"; the IP (or the phase)
      label: [p.name, ...(p.namespace === 'default' ? [] : [p.namespace]), p.ip ?? p.phase]
        .map((l) => ellipsize(l, POD_CHARS))
        .join('\n'),
      tip: `${p.key} · ${p.ip ?? p.phase}${p.node ? ` · on ${p.node}` : ' · on no node'}`,
      health: p.health,
      severity: p.health === 'finding' ? (severity ?? 'error') : null,
      hostNetwork: p.hostNetwork,
    },
    position: { x: at.x, y: at.y },
  };
}

/** What the component must do to go from the elements it drew to the next ones. */
export interface ElementPlan {
  remove: string[];
  add: ElementDefinition[];
  /** existing elements whose data changed: the new data (without id, ends and parent) */
  data: { id: string; data: Record<string, unknown> }[];
  /** existing nodes that moved */
  move: { id: string; position: { x: number; y: number } }[];
}

export function planUpdate(drawnNow: Map<string, ElementDefinition>, next: ElementDefinition[]): ElementPlan {
  const plan: ElementPlan = { remove: [], add: [], data: [], move: [] };
  const nextIds = new Set<string>();
  for (const el of next) {
    const id = el.data.id as string;
    nextIds.add(id);
    const old = drawnNow.get(id);
    if (!old) {
      plan.add.push(el);
      continue;
    }
    // the same object (a closed box from ClosedBoxes): nothing changed
    if (old === el) continue;
    const od = old.data as Record<string, unknown>;
    const nd = el.data as Record<string, unknown>;
    // What Cytoscape cannot change in place: group, ends, parent. Those are re-added.
    if (
      old.group !== el.group ||
      od.source !== nd.source ||
      od.target !== nd.target ||
      (od.parent ?? null) !== (nd.parent ?? null)
    ) {
      plan.remove.push(id);
      plan.add.push(el);
      continue;
    }
    if (!sameData(od, nd)) {
      // Cytoscape merges data: a key that went away is set to null, not left behind.
      const data: Record<string, unknown> = {};
      for (const k of Object.keys(od)) if (!(k in nd)) data[k] = null;
      for (const [k, v] of Object.entries(nd)) if (!IMMUTABLE.has(k)) data[k] = v;
      plan.data.push({ id, data });
    }
    const op = old.position;
    const np = el.position;
    if (np && (!op || op.x !== np.x || op.y !== np.y)) plan.move.push({ id, position: np });
  }
  for (const id of drawnNow.keys()) if (!nextIds.has(id)) plan.remove.push(id);
  return plan;
}

const IMMUTABLE = new Set(['id', 'source', 'target', 'parent']);

function sameData(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k] && !sameArray(a[k], b[k])) return false;
  return true;
}

/** a lane route's bends are arrays, made afresh on every call */
const sameArray = (x: unknown, y: unknown) =>
  Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => v === y[i]);
