// The graph's stylesheet, a pure function of the theme. Colour carries one meaning
// everywhere: green/neutral is as it should be, amber is a warning, red is a finding
// (the kernel differs from the intent), grey and dashed is a node whose agent does not
// answer (what is drawn is its last snapshot). LEGEND says the same in words.
import type { StylesheetJson } from 'cytoscape';
import { FONT_SIZE } from './label-text';
import { POD_H, POD_W, ROUTER_H, ROUTER_W, VETH_GAP } from './layout';

export type Theme = 'light' | 'dark';

interface Palette {
  text: string;
  muted: string;
  boxFill: string;
  boxBorder: string;
  podFill: string;
  healthy: string;
  healthyFill: string;
  warning: string;
  warningFill: string;
  error: string;
  errorFill: string;
  unreachable: string;
  unreachableFill: string;
  bridgeFill: string;
  lan: string;
  route: string;
  wire: string;
  selected: string;
  /** a traced path */
  path: string;
  background: string;
}

const PALETTES: Record<Theme, Palette> = {
  light: {
    text: '#0f172a',
    muted: '#475569',
    boxFill: '#f8fafc',
    boxBorder: '#94a3b8',
    podFill: '#ffffff',
    healthy: '#16a34a',
    healthyFill: '#f0fdf4',
    warning: '#d97706',
    warningFill: '#fffbeb',
    error: '#dc2626',
    errorFill: '#fef2f2',
    unreachable: '#9ca3af',
    unreachableFill: '#f3f4f6',
    bridgeFill: '#e2e8f0',
    lan: '#64748b',
    route: '#4f46e5',
    wire: '#94a3b8',
    selected: '#2563eb',
    path: '#0369a1',
    background: '#ffffff',
  },
  dark: {
    text: '#e2e8f0',
    muted: '#94a3b8',
    boxFill: '#111827',
    boxBorder: '#475569',
    podFill: '#0f172a',
    healthy: '#22c55e',
    healthyFill: '#052e16',
    warning: '#f59e0b',
    warningFill: '#451a03',
    error: '#f87171',
    errorFill: '#450a0a',
    unreachable: '#6b7280',
    unreachableFill: '#1f2937',
    bridgeFill: '#1e293b',
    lan: '#94a3b8',
    route: '#818cf8',
    wire: '#64748b',
    selected: '#60a5fa',
    path: '#38bdf8',
    background: '#020617',
  },
};

/** The canvas colour behind the graph (exportPng's background). */
export const backgroundOf = (theme: Theme) => PALETTES[theme].background;

export interface LegendEntry {
  key: 'healthy' | 'warning' | 'finding' | 'unreachable' | 'missing' | 'route' | 'selected' | 'path' | 'path-failed';
  label: string;
  colour: string;
  /** the dark theme's shade of the same meaning */
  darkColour: string;
  /** drawn as a dashed outline or line */
  dashed: boolean;
  /** a box (node, pod) or a line (route, veth) */
  mark: 'box' | 'line';
  description: string;
  /** only while a traced path is drawn */
  trace?: boolean;
}

export const LEGEND: LegendEntry[] = [
  {
    key: 'healthy',
    label: 'Healthy',
    colour: PALETTES.light.healthy,
    darkColour: PALETTES.dark.healthy,
    dashed: false,
    mark: 'box',
    description: 'what the kernel has matches what the node should have',
  },
  {
    key: 'warning',
    label: 'Warning',
    colour: PALETTES.light.warning,
    darkColour: PALETTES.dark.warning,
    dashed: false,
    mark: 'box',
    description: 'works, but something is off: a leaked lease, a node not Ready, an attachment no pod accounts for',
  },
  {
    key: 'finding',
    label: 'Finding',
    colour: PALETTES.light.error,
    darkColour: PALETTES.dark.error,
    dashed: false,
    mark: 'box',
    description: 'the kernel differs from the intent: a route missing, a veth down, another IP than the API says',
  },
  {
    key: 'unreachable',
    label: 'Agent unreachable',
    colour: PALETTES.light.unreachable,
    darkColour: PALETTES.dark.unreachable,
    dashed: true,
    mark: 'box',
    description: "the node's agent does not answer: what is drawn is its last snapshot",
  },
  {
    key: 'missing',
    label: 'Missing',
    colour: PALETTES.light.error,
    darkColour: PALETTES.dark.error,
    dashed: true,
    mark: 'line',
    description: 'a route or veth that should exist and does not',
  },
  {
    key: 'route',
    label: 'Route',
    colour: PALETTES.light.route,
    darkColour: PALETTES.dark.route,
    dashed: false,
    mark: 'line',
    description:
      'a route that carries pod traffic to another node, from the node whose table holds it along the LAN to the node it leads to; labelled with the pod subnet and the gateway',
  },
  {
    key: 'selected',
    label: 'Selected',
    colour: PALETTES.light.selected,
    darkColour: PALETTES.dark.selected,
    dashed: false,
    mark: 'box',
    description: 'the pod or node the panels show',
  },
  {
    key: 'path',
    label: 'Traced path',
    colour: PALETTES.light.path,
    darkColour: PALETTES.dark.path,
    dashed: false,
    mark: 'line',
    trace: true,
    description:
      'what the traced packet crosses: pods, veths, bridges, nodes, the route it took; dashed where no agent could check it; the rest is dimmed',
  },
  {
    key: 'path-failed',
    label: 'Where it breaks',
    colour: PALETTES.light.error,
    darkColour: PALETTES.dark.error,
    dashed: false,
    mark: 'line',
    trace: true,
    description: 'the hop where the traced path breaks',
  },
];

const FONT = 'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

type Block = { selector: string; style: Record<string, string | number | number[]> };

export function graphStyle(theme: Theme): StylesheetJson {
  const c = PALETTES[theme];
  const sheet: Block[] = [
    { selector: 'core', style: { 'active-bg-opacity': 0, 'selection-box-opacity': 0 } },
    // Draw order: boxes are plain nodes (to-elements.ts), so it is set here — uplinks under
    // the boxes (in a grid they pass behind the rows below), boxes, wires, bridges and pods.
    { selector: 'node, edge', style: { 'z-index-compare': 'manual', 'z-index': 3 } },
    { selector: 'node[kind = "node"]', style: { 'z-index': 1 } },
    { selector: 'edge', style: { 'z-index': 2 } },
    { selector: 'edge[kind = "uplink"]', style: { 'z-index': 0 } },
    {
      selector: 'node',
      style: {
        'font-family': FONT,
        color: c.text,
        'text-wrap': 'wrap',
        'overlay-padding': 4,
        'overlay-opacity': 0,
        'border-width': 1,
        'border-color': c.boxBorder,
        'background-color': c.boxFill,
      },
    },
    {
      selector: 'edge',
      style: {
        'font-family': MONO,
        color: c.muted,
        width: 1.5,
        'line-color': c.wire,
        'curve-style': 'straight',
        'overlay-opacity': 0,
        'text-background-color': c.boxFill,
        'text-background-opacity': 1,
        'text-background-padding': 2,
      },
    },
    // Names and addresses are monospace: label-text.ts cuts them to their box by arithmetic.
    {
      selector: 'node[kind = "node"], node[kind = "bridge"], node[kind = "pod"], node[kind = "router"]',
      style: { 'font-family': MONO },
    },

    // Node boxes: open (its bridge and pods drawn over it, its title above it), or one collapsed box of the same size.
    {
      selector: 'node[kind = "node"]',
      style: {
        shape: 'round-rectangle',
        'corner-radius': 10,
        'border-width': 2,
        width: 'data(w)',
        height: 'data(h)',
        label: 'data(label)',
        'font-size': FONT_SIZE.title,
        'font-weight': 700,
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -6,
        'line-height': 1.25,
      },
    },
    {
      selector: 'node[kind = "node"][?collapsed]',
      style: {
        'text-valign': 'center',
        'text-margin-y': 0,
        'font-size': 'data(fontSize)',
        'font-weight': 600,
        'text-max-width': 'data(w)',
        'border-width': 3,
        // at 1,000 boxes in view a title is ~3 px high: not drawn, and not made into a
        // texture either (label-textures.ts)
        'min-zoomed-font-size': 4,
      },
    },
    {
      selector: 'node[kind = "bridge"]',
      style: {
        shape: 'rectangle',
        width: 'data(w)',
        height: 'data(h)',
        'background-color': c.bridgeFill,
        'border-color': c.wire,
        label: 'data(label)',
        'font-size': FONT_SIZE.bridge,
        'text-valign': 'center',
        'text-halign': 'center',
        'min-zoomed-font-size': 5,
      },
    },
    {
      selector: 'node[kind = "pod"]',
      style: {
        shape: 'round-rectangle',
        width: POD_W,
        height: POD_H,
        'border-width': 2,
        'background-color': c.healthyFill,
        'border-color': c.healthy,
        label: 'data(label)',
        'font-size': FONT_SIZE.pod,
        'line-height': 1.2,
        'text-valign': 'center',
        'text-halign': 'center',
        // to-elements.ts cuts every line to fit; this only keeps a surprise inside the box
        'text-max-width': POD_W - 4,
        'text-overflow-wrap': 'anywhere',
        'min-zoomed-font-size': 5,
      },
    },
    { selector: 'node[kind = "pod"][?hostNetwork]', style: { 'border-style': 'double', 'border-width': 4 } },
    {
      selector: 'node[kind = "unplaced"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(w)',
        height: POD_H,
        label: 'data(label)',
        'font-size': 12,
        'text-valign': 'center',
        'border-style': 'dashed',
      },
    },
    {
      selector: 'node[kind = "lan"]',
      style: {
        shape: 'rectangle',
        width: 'data(w)',
        height: 'data(h)',
        'background-color': c.lan,
        'border-width': 0,
        label: 'data(label)',
        'font-size': FONT_SIZE.lan,
        'font-weight': 700,
        color: c.background,
        'text-valign': 'center',
        'text-halign': 'center',
      },
    },
    {
      selector: 'node[kind = "router"]',
      style: {
        shape: 'round-rectangle',
        width: ROUTER_W,
        height: ROUTER_H,
        'border-width': 2,
        'border-color': c.route,
        label: 'data(label)',
        'font-size': FONT_SIZE.router,
        'text-valign': 'center',
        'text-halign': 'center',
        'text-wrap': 'wrap',
      },
    },

    // Health: the same three meanings on every kind of element.
    { selector: 'node[kind = "node"][health = "healthy"]', style: { 'border-color': c.boxBorder } },
    { selector: 'node[kind = "node"][health = "healthy"][?collapsed]', style: { 'border-color': c.healthy } },
    { selector: 'node[health = "finding"]', style: { 'border-color': c.error, 'background-color': c.errorFill } },
    {
      selector: 'node[health = "finding"][severity = "warning"]',
      style: { 'border-color': c.warning, 'background-color': c.warningFill },
    },
    { selector: 'node[kind = "node"][health = "finding"]', style: { 'background-color': c.boxFill } },
    { selector: 'node[kind = "node"][health = "finding"][?collapsed]', style: { 'background-color': c.errorFill } },
    {
      selector: 'node[kind = "node"][health = "finding"][severity = "warning"][?collapsed]',
      style: { 'background-color': c.warningFill },
    },
    {
      selector: 'node[health = "unreachable"]',
      style: {
        'border-color': c.unreachable,
        'border-style': 'dashed',
        'background-color': c.unreachableFill,
        color: c.muted,
      },
    },

    // Wires.
    {
      selector: 'edge[kind = "veth"]',
      // its name written across the middle of the wire between the pod and the bridge
      style: {
        'target-endpoint': 'data(tep)',
        'source-label': 'data(label)',
        'source-text-offset': VETH_GAP / 2,
        'font-size': FONT_SIZE.veth,
        'text-background-padding': 1,
        'min-zoomed-font-size': 5,
      },
    },
    {
      selector: 'edge[kind = "uplink"]',
      // under every box: in a grid of boxes an uplink from an upper row passes behind the rows below
      style: {
        width: 3,
        'line-color': c.lan,
        'source-endpoint': 'data(sep)',
        'target-endpoint': 'data(tep)',
        'source-label': 'data(label)',
        'source-text-offset': 26,
        'font-size': FONT_SIZE.uplink,
        'font-weight': 600,
        color: c.text,
        'text-background-color': c.background,
      },
    },
    {
      selector: 'edge[kind = "uplink"][?labelAtLan]',
      style: { 'source-label': '', 'target-label': 'data(label)', 'target-text-offset': 16 },
    },
    {
      selector: 'edge[kind = "route"]',
      style: {
        width: 2,
        'line-color': c.route,
        'target-arrow-shape': 'triangle',
        'target-arrow-color': c.route,
        'arrow-scale': 1,
        'source-endpoint': 'data(sep)',
        'target-endpoint': 'data(tep)',
        label: 'data(label)',
        'font-size': FONT_SIZE.route,
        'text-wrap': 'wrap',
        color: c.route,
        'text-background-color': c.background,
        'min-zoomed-font-size': 5,
      },
    },
    {
      // along the LAN (route-geometry.ts): down from the box that holds it, along its lane, up into the next
      selector: 'edge[kind = "route"][curve = "lane"]',
      style: {
        'curve-style': 'round-segments',
        'edge-distances': 'endpoints',
        'segment-weights': 'data(sw)',
        'segment-distances': 'data(sd)',
        'segment-radii': 6,
        'text-margin-x': 'data(lx)',
      },
    },
    {
      selector: 'edge[kind = "route"][curve = "fan"]',
      style: {
        'curve-style': 'straight',
        width: 1.5,
        opacity: 0.55,
        label: '',
        'target-label': 'data(label)',
        'target-text-offset': 70,
      },
    },
    { selector: 'edge[kind = "route"][curve = "fan"][health != "healthy"]', style: { opacity: 1, width: 2.5 } },
    {
      selector: 'edge[health = "finding"]',
      style: { 'line-color': c.error, 'target-arrow-color': c.error, color: c.error },
    },
    // a veth's wire is short: thicker, so its colour shows
    { selector: 'edge[kind = "veth"][health != "healthy"]', style: { width: 3 } },
    {
      selector: 'edge[health = "finding"][severity = "warning"]',
      style: { 'line-color': c.warning, 'target-arrow-color': c.warning, color: c.warning },
    },
    {
      selector: 'edge[health = "unreachable"]',
      style: {
        'line-color': c.unreachable,
        'target-arrow-color': c.unreachable,
        'line-style': 'dashed',
        color: c.muted,
      },
    },
    {
      selector: 'edge[?missing]',
      style: {
        'line-color': c.error,
        'target-arrow-color': c.error,
        'line-style': 'dashed',
        'line-dash-pattern': [6, 4],
        color: c.error,
      },
    },

    // A traced path (highlight.ts): emphasised, red where it breaks, dashed where nothing
    // checked it, everything else dimmed. After health, so a trace reads over the colours.
    { selector: '.hl-dim', style: { opacity: 0.25 } },
    // (dashes stay: a missing route or an unreachable agent is still that on the path)
    { selector: 'node.hl-path', style: { 'border-color': c.path, 'border-width': 4 } },
    {
      selector: 'edge.hl-path',
      style: { 'line-color': c.path, 'target-arrow-color': c.path, color: c.path, width: 4, opacity: 1, 'z-index': 5 },
    },
    { selector: 'node.hl-failed', style: { 'border-color': c.error } },
    {
      selector: 'node[kind = "pod"].hl-failed, node[kind = "bridge"].hl-failed',
      style: { 'background-color': c.errorFill },
    },
    { selector: 'edge.hl-failed', style: { 'line-color': c.error, 'target-arrow-color': c.error, color: c.error } },
    { selector: 'node.hl-unverified', style: { 'border-style': 'dashed' } },
    { selector: 'edge.hl-unverified', style: { 'line-style': 'dashed', 'line-dash-pattern': [8, 5] } },

    // Selection last, so it wins over health.
    { selector: 'node.selected', style: { 'border-color': c.selected, 'border-width': 4, 'border-style': 'solid' } },
    {
      selector: 'edge.related',
      style: { 'line-color': c.selected, 'target-arrow-color': c.selected, width: 3, color: c.selected, 'z-index': 10 },
    },
  ];
  return sheet as unknown as StylesheetJson;
}
