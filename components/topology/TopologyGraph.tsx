'use client';
// The live topology graph. Cytoscape owns its container: React renders the div once and
// never touches it again; every topology update is diffed by element id against what is
// drawn and applied in one cy.batch(), at positions layout.ts computed (no layout runs,
// so nothing on screen jumps). Big clusters are drawn with level of detail: node boxes
// open pod by pod when clicked, when they hold the selection, or when zoomed in on, and
// close again when zoomed out, so only what can be seen is live. A traced path (the
// `highlight` prop) is drawn with classes on what is already there. Selecting something
// from outside the graph (search, the table, a link) zooms to where its labels read; a
// click in the graph selects in place (the view stays under the pointer), a double-click
// zooms.
import cytoscape, { type Core, type ElementDefinition, type NodeSingular } from 'cytoscape';
import { memo, useEffect, useRef, type JSX, type RefObject } from 'react';
import type { ClusterSummary, NodeSummary } from '../../lib/model/summary';
import type { Selection, Topology } from '../../lib/model/topology';
import { ADD_SLICE, ADD_SLICE_NEAR_INPUT, INPUT_QUIET_MS, sliceAdds, sliceAgain } from './add-slices';
import { afterPaint, nextFrame, whenQuiet } from './frames';
import { skipBlankLayers } from './blank-layers';
import { textureReadableLabelsOnly } from './label-textures';
import { HeldData, looksOnly, nearView, overlaps } from './held-data';
import { HIGHLIGHT_CLASSES, highlightClasses, highlightIds, nodesOnHighlight, type GraphHighlight } from './highlight';
import { FONT_SIZE } from './label-text';
import { layoutTopology, shapeOfSummaries, TITLE_H, type SlotShape, type TopologyLayout } from './layout';
import { backgroundOf, graphStyle, type Theme } from './styles';
import {
  ClosedBoxes,
  LOD_POD_THRESHOLD,
  needsLod,
  nodeOfSelection,
  planUpdate,
  selectionId,
  toElements,
  type GraphFilter,
} from './to-elements';

export type { GraphHighlight } from './highlight';

export interface GraphHandle {
  /** centre on a pod or node (opening its node box first); false when it is not drawn */
  center(sel: Selection): boolean;
  /** the whole graph as a PNG data URL */
  exportPng(): string | null;
  fit(): void;
  /** bring the highlighted path (the `highlight` prop) into view; false when none is drawn */
  showHighlight(): boolean;
}

export interface TopologyGraphProps {
  topology: Topology | null;
  version: number;
  selection: Selection | null;
  onSelect: (sel: Selection | null) => void;
  filter?: { node?: string | null; namespace?: string | null };
  theme: 'light' | 'dark';
  handleRef?: RefObject<GraphHandle | null>;
  className?: string;
  /** A traced path (element ids, lib/model/graph-ids.ts): drawn emphasised, failed ones red,
   *  unverified ones dashed, the rest dimmed; its routes are drawn and its nodes kept open
   *  whatever the level of detail. null or absent: nothing highlighted. */
  highlight?: GraphHighlight | null;
  /** The cluster as summaries (components/data/use-topology.ts), when `topology` holds only
   *  the `loaded` nodes' pods: boxes are sized and counted from it, and always drawn with
   *  level of detail. */
  summary?: ClusterSummary | null;
  loaded?: ReadonlySet<string> | null;
  /** the nodes the graph would draw open (in view when zoomed in, clicked, on the traced
   *  path, holding the selection), called when they change: the page loads their pods */
  onOpenChange?: (nodes: string[]) => void;
}

declare global {
  interface Window {
    /** what the graph has on screen, for the end-to-end tests and the benchmark */
    __podnetGraph?: {
      cy: Core;
      version: number;
      drawMs?: number;
      elements?: number;
      highlight?: (h: GraphHighlight | null) => void;
      /** labels too small to draw get no texture (label-textures.ts) */
      smallLabelsUntextured?: boolean;
      /** the blank drag and selection-box canvases are not cleared again (blank-layers.ts) */
      blankLayersKept?: boolean;
    };
  }
}

/** Boxes in view open pod by pod from this zoom on: a pod is ~30 screen px tall, its
 *  colour reads, and its name does from about twice that. */
export const EXPAND_ZOOM = 0.3;
/** Below this zoom, boxes opened by zooming or clicking close again (not the selection's). */
export const COLLAPSE_ZOOM = 0.18;
/** Zooming opens boxes nearest the centre of the view first, until this many pods are live. */
export const AUTO_EXPAND_POD_BUDGET = 1000;
/** A selection is shown at least this big: its smallest labels this many screen px. */
const READABLE_PX = 14;
/** The zoom at which the smallest labels (12 units) are READABLE_PX on screen. */
export const READABLE_ZOOM = READABLE_PX / Math.min(...Object.values(FONT_SIZE));
/** Framing a selection stops here: a pod's box filling the screen says nothing more. */
const MAX_FOCUS_ZOOM = 1.4;
const FIT_PADDING = 16;
/** under the drawing, room for the legend the page lays over the graph's bottom left */
const FIT_PADDING_BOTTOM = 44;
/** fitting never zooms in further than this: a small lab's box would fill the screen */
const MAX_FIT_ZOOM = 1.2;
const UPLINK_LABEL_H = 50;
const ANIMATION_MS = 250;
/** After a click, wheel or drag on the graph, what it asked for beyond its own frame (the
 *  side panel, pods still to add) waits this long without input (frames.ts' whenQuiet). */
const HOLD_MS = 120;
/** Above this many drawn elements a move of the view jumps instead of gliding: each frame
 *  of the glide redraws everything (software canvas, here: ~60 ms a frame at 1,000 node
 *  boxes), and the glide would hold up the pods the same click asked for. */
const ANIMATE_MAX_ELEMENTS = 1500;
/** exportPng's longest side: a 100-node cluster is ~15,000 model px wide, and a full-size
 *  picture of it takes seconds and megabytes for detail nobody can see in one image */
const PNG_MAX_PX = 4000;

export function TopologyGraph(props: TopologyGraphProps): JSX.Element {
  const { topology, version, selection, filter, theme, handleRef, className, highlight, summary, loaded } = props;
  const host = useRef<HTMLDivElement | null>(null);
  const engine = useRef<GraphEngine | null>(null);
  const onSelect = useRef(props.onSelect);
  const onOpenChange = useRef(props.onOpenChange);
  useEffect(() => {
    onSelect.current = props.onSelect;
    onOpenChange.current = props.onOpenChange;
  });

  useEffect(() => {
    const e = new GraphEngine(
      host.current!,
      theme,
      (sel) => onSelect.current(sel),
      (nodes) => onOpenChange.current?.(nodes),
    );
    engine.current = e;
    return () => {
      e.destroy();
      engine.current = null;
    };
    // the instance is made once; theme changes go through setTheme below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    engine.current?.setTheme(theme);
  }, [theme]);

  const filterNode = filter?.node ?? null;
  const filterNamespace = filter?.namespace ?? null;
  const selKind = selection?.kind ?? null;
  const selKey = selection?.key ?? null;
  useEffect(() => {
    const sel: Selection | null = selKind && selKey ? ({ kind: selKind, key: selKey } as Selection) : null;
    engine.current?.update({
      topology,
      version,
      filter: { node: filterNode, namespace: filterNamespace },
      selection: sel,
      summary: summary ?? null,
      loaded: loaded ?? null,
    });
  }, [topology, version, filterNode, filterNamespace, selKind, selKey, summary, loaded]);

  useEffect(() => {
    engine.current?.setHighlight(highlight ?? null);
  }, [highlight]);

  useEffect(() => {
    if (!handleRef) return;
    handleRef.current = {
      center: (sel) => engine.current?.center(sel) ?? false,
      exportPng: () => engine.current?.exportPng() ?? null,
      fit: () => engine.current?.fit(),
      showHighlight: () => engine.current?.showHighlight() ?? false,
    };
    return () => {
      handleRef.current = null;
    };
  }, [handleRef]);

  return <GraphHost hostRef={host} className={className} />;
}

// The host, and inside it Cytoscape's container: memoised on the class alone, the
// container without React children, so React never reconciles what Cytoscape put inside
// it. What the page publishes (data-version, the counts, a hovered element's title) goes on
// the host: Cytoscape watches every attribute of its container and answers any change
// with a resize and a redraw of the whole view (~60 ms at 1,000 boxes, on every event).
const GraphHost = memo(function GraphHost({
  hostRef,
  className,
}: {
  hostRef: RefObject<HTMLDivElement | null>;
  className: string | undefined;
}) {
  return (
    <div
      ref={hostRef}
      data-testid="graph"
      className={className ?? 'h-full w-full'}
      style={{ position: 'relative', overflow: 'hidden' }}
    >
      <div style={{ position: 'absolute', inset: 0 }} />
    </div>
  );
});

interface Inputs {
  topology: Topology | null;
  version: number;
  filter: GraphFilter;
  selection: Selection | null;
  summary: ClusterSummary | null;
  loaded: ReadonlySet<string> | null;
}

/** Cytoscape keeps (and later mutates) the data and position objects it is given: it gets
 *  copies, so what GraphEngine.drawn remembers stays what was asked for. */
const copyForCytoscape = (e: ElementDefinition): ElementDefinition => ({
  ...e,
  data: { ...e.data },
  ...(e.position ? { position: { ...e.position } } : {}),
});

/**
 * Puts `classes` where `want` says (element id → its classes among them) and takes them
 * off everywhere else, changing only what differs: Cytoscape redraws the whole view for any
 * class change, a class taken off and put back too (~60 ms at 1,000 boxes), and the
 * selection's and a trace's classes are set on every draw.
 */
function syncClasses(cy: Core, classes: readonly string[], want: ReadonlyMap<string, readonly string[]>): void {
  cy.batch(() => {
    cy.elements(classes.map((c) => `.${c}`).join(', ')).forEach((ele) => {
      const keep = want.get(ele.id()) ?? [];
      const off = classes.filter((c) => ele.hasClass(c) && !keep.includes(c));
      if (off.length) ele.removeClass(off.join(' '));
    });
    // adding a class an element has is no change to Cytoscape
    for (const [id, cls] of want) if (cls.length) cy.getElementById(id).addClass(cls.join(' '));
  });
}

const SELECTION_CLASSES = ['selected', 'related'];

/** What a click on a drawn node selects: a pod, or the node of a box or a bridge. */
function selectionOf(node: NodeSingular): Selection | null {
  const kind = node.data('kind') as string;
  if (kind === 'pod') return { kind: 'pod', key: node.data('key') as string };
  if (kind === 'bridge') return { kind: 'node', key: node.data('node') as string };
  if (kind === 'node') return { kind: 'node', key: node.data('name') as string };
  return null;
}

const sameSelection = (a: Selection | null, b: Selection | null) =>
  a === b || (a !== null && b !== null && a.kind === b.kind && a.key === b.key);

/** The imperative side: one Cytoscape instance and what it has drawn. */
class GraphEngine {
  private readonly cy: Core;
  private theme: Theme;
  private inputs: Inputs = { topology: null, version: -1, filter: {}, selection: null, summary: null, loaded: null };
  /** the summary's nodes by name (for the summary the inputs hold) */
  private summaries: { of: ClusterSummary | null; byName: Map<string, NodeSummary> } = { of: null, byName: new Map() };
  /** what onOpenChange was last told */
  private told = '';
  private drawn = new Map<string, ElementDefinition>();
  private layout: TopologyLayout | null = null;
  private laidOut: Topology | null = null;
  /** the slot grid drawn so far: it only grows, so boxes do not shrink under the user */
  private shape: SlotShape | null = null;
  private lod = false;
  private podsPerNode = new Map<string, number>();
  /** boxes opened because they are in view at a close zoom */
  private auto = new Set<string>();
  /** boxes opened by a click (or center()) */
  private pinned = new Set<string>();
  private needsFit = true;
  /** the view is the whole drawing fitted, not where the user or a selection took it:
   *  a resize (the findings list opening) fits it again */
  private fitted = false;
  private viewportTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;
  private resizeObserver: ResizeObserver | null = null;
  private highlight: GraphHighlight | null = null;
  private readonly smallLabelsUntextured: boolean;
  private readonly blankLayersKept: boolean;
  /** a click's selection, drawn until the page's answer (update()) arrives */
  private tappedSel: Selection | null = null;
  /** the last click's selection until the page has made it the selection (or another):
   *  that change is not centred on */
  private clickedSel: Selection | null = null;
  /** what a draw still has to add, a slice a frame (add-slices.ts), and the counts it
   *  publishes on the container once all is there */
  private pending: { slices: ElementDefinition[][]; done: () => void } | null = null;
  /** with level of detail: data changes of elements far out of view, given when the view
   *  nears them (held-data.ts) */
  private readonly held = new HeldData();
  /** closed boxes' elements from the last draw, reused while unchanged (to-elements.ts) */
  private readonly closedBoxes = new ClosedBoxes();
  /** when the user last clicked, wheeled or dragged on the graph (performance.now()) */
  private lastInput = -Infinity;

  constructor(
    private readonly host: HTMLDivElement,
    theme: Theme,
    private readonly onSelect: (sel: Selection | null) => void,
    private readonly onOpenChange: (nodes: string[]) => void,
  ) {
    this.theme = theme;
    host.dataset.ready = 'false';
    this.cy = cytoscape({
      container: host.firstElementChild as HTMLDivElement,
      style: graphStyle(theme),
      elements: [],
      layout: { name: 'preset' },
      minZoom: 0.01,
      maxZoom: 4,
      boxSelectionEnabled: false,
      // positions mean something (a pod's slot is its address): nothing is dragged
      autoungrabify: true,
      // selection is the page's (the selection prop), drawn with a class
      autounselectify: true,
      userZoomingEnabled: true,
      userPanningEnabled: true,
    });
    this.smallLabelsUntextured = textureReadableLabelsOnly(this.cy);
    this.blankLayersKept = skipBlankLayers(this.cy);
    this.cy.on('tap', 'node', (ev) => this.tapped(ev.target as NodeSingular));
    this.cy.on('dbltap', 'node', (ev) => {
      const sel = selectionOf(ev.target as NodeSingular);
      if (sel) afterPaint(() => void (this.destroyed || this.center(sel)));
    });
    this.cy.on('tap', (ev) => {
      if (ev.target === this.cy) this.onSelect(null);
    });
    this.cy.on('viewport', () => {
      this.giveHeld();
      this.viewportChanged();
    });
    // Labels are cut to fit (to-elements.ts); the whole text shows on hover.
    this.cy.on('mouseover', 'node, edge', (ev) => {
      const tip = ev.target.data('tip') as string | undefined;
      if (tip) host.title = tip;
      else host.removeAttribute('title');
    });
    this.cy.on('mouseout', 'node, edge', () => host.removeAttribute('title'));
    // the user's own move wins over a glide still running (a double-click's, a search's): it stops there
    this.cy.on('dragpan scrollzoom pinchzoom', () => {
      this.lastInput = performance.now();
      this.fitted = false;
      this.cy.stop(true, false);
    });
    // A container that was hidden (or laid out after the first draw) has no size to fit
    // to: fit once it has one; and one that changed size while the whole drawing was in
    // view keeps it in view.
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => {
        if (this.destroyed) return;
        this.cy.resize();
        if ((this.needsFit || this.fitted) && this.layout && this.cy.width() > 0) {
          this.needsFit = false;
          this.fit();
        }
      });
      this.resizeObserver.observe(host);
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.pending = null;
    if (this.viewportTimer) clearTimeout(this.viewportTimer);
    this.resizeObserver?.disconnect();
    if (typeof window !== 'undefined' && window.__podnetGraph?.cy === this.cy) delete window.__podnetGraph;
    this.cy.destroy();
  }

  setTheme(theme: Theme): void {
    if (theme === this.theme) return;
    this.theme = theme;
    this.cy.style(graphStyle(theme));
  }

  update(next: Inputs): void {
    const prev = this.inputs;
    this.tappedSel = null;
    const selectionChanged = !sameSelection(prev.selection, next.selection);
    const filterChanged = prev.filter.node !== next.filter.node || prev.filter.namespace !== next.filter.namespace;
    this.inputs = next;
    if (filterChanged) {
      this.needsFit = true;
      this.auto.clear();
      this.pinned.clear();
    }
    this.draw();
    // a click in the graph selects in place: the view stays where the user has it
    if (selectionChanged && next.selection && !sameSelection(next.selection, this.clickedSel))
      this.center(next.selection);
    if (selectionChanged) this.clickedSel = null;
  }

  center(sel: Selection): boolean {
    const { topology } = this.inputs;
    if (!topology || this.destroyed) return false;
    if (sel.kind === 'pod' && this.lod) {
      const node = nodeOfSelection(topology, sel);
      if (node && !this.expanded().has(node)) {
        this.pinned.add(node);
        this.draw();
      }
    }
    const ele = this.cy.getElementById(selectionId(sel));
    if (ele.empty()) return false;
    this.cy.stop(true, true);
    this.fitted = false;
    this.cy.animate(this.focusOn(sel), { duration: this.glideMs() });
    return true;
  }

  private glideMs(): number {
    return this.drawn.size > ANIMATE_MAX_ELEMENTS ? 0 : ANIMATION_MS;
  }

  /**
   * Where a selection reads: its node's box with the title over it (a pod is seen among
   * its neighbours), framed no closer than MAX_FOCUS_ZOOM, when that is at READABLE_ZOOM
   * or closer; else the selection itself at READABLE_ZOOM (a node: its title and first
   * row of pods). Never further out than the view already is: selecting never makes
   * things smaller.
   */
  private focusOn(sel: Selection): { zoom: number; pan: { x: number; y: number } } {
    const l = this.layout;
    const node = nodeOfSelection(this.inputs.topology, sel);
    const box = node ? l?.nodes.get(node) : undefined;
    const floor = Math.max(READABLE_ZOOM, this.cy.zoom());
    if (box) {
      const area = { x: box.x, y: box.y - TITLE_H / 2, w: box.w, h: box.h + TITLE_H };
      const framed = this.viewFor(area, MAX_FOCUS_ZOOM);
      if (framed.zoom >= floor) return framed;
    }
    const pos = this.cy.getElementById(selectionId(sel)).position();
    // a node too big to frame: its top (title, bridge, first row) rather than its middle
    const at =
      sel.kind === 'node' && box ? { x: box.x, y: box.y - box.h / 2 + this.cy.height() / (2 * floor) - TITLE_H } : pos;
    return { zoom: floor, pan: { x: this.cy.width() / 2 - floor * at.x, y: this.cy.height() / 2 - floor * at.y } };
  }

  exportPng(): string | null {
    if (this.destroyed || this.cy.elements().empty()) return null;
    // the picture has the whole drawing: what was held for elements out of view too
    this.giveHeld(true);
    return this.cy.png({
      full: true,
      bg: backgroundOf(this.theme),
      output: 'base64uri',
      maxWidth: PNG_MAX_PX,
      maxHeight: PNG_MAX_PX,
    });
  }

  /** The whole drawing (or the filtered node) in view. From the layout's numbers, not
   *  cy.fit(): that measures every element and label first, which at first draw is the
   *  slowest thing Cytoscape does. */
  fit(): void {
    if (this.destroyed || !this.layout) return;
    const l = this.layout;
    const only = this.inputs.filter.node ? l.nodes.get(this.inputs.filter.node) : undefined;
    // one node: its box with its title above and its uplink's label below (in a grid the
    // LAN can be rows away)
    let area = l.bounds;
    if (only) {
      // in a row the uplink's label sits on the LAN, under the route lanes: down to it
      const top = only.y - only.h / 2 - TITLE_H;
      const bottom = l.row ? l.lan.y + l.lan.h / 2 : only.y + only.h / 2 + UPLINK_LABEL_H;
      area = { x: only.x, y: (top + bottom) / 2, w: only.w, h: bottom - top };
    }
    this.cy.viewport(this.viewFor(area, MAX_FIT_ZOOM));
    this.fitted = true;
  }

  private viewFor(area: { x: number; y: number; w: number; h: number }, maxZoom: number) {
    const w = Math.max(1, this.cy.width() - 2 * FIT_PADDING);
    const h = Math.max(1, this.cy.height() - FIT_PADDING - FIT_PADDING_BOTTOM);
    const zoom = Math.min(maxZoom, Math.max(this.cy.minZoom(), Math.min(w / area.w, h / area.h)));
    return { zoom, pan: { x: this.cy.width() / 2 - zoom * area.x, y: FIT_PADDING + h / 2 - zoom * area.y } };
  }

  /**
   * A click is answered in the frame after it: the element clicked is drawn selected at
   * once; its box opens (the first pods) after that frame is painted, and the rest — the
   * page's panels, the box's other pods — once no input has come for HOLD_MS. Done in the
   * click's own task, that work held the frame (and the next input, often a wheel) back
   * 200–400 ms. The view does not move: a glide redraws everything at each new zoom, and
   * Chromium hands a wheel to the page only after several turns of its main thread (~4
   * frames' time), so a wheel right after a click waited for the glide (bench/README.md).
   */
  private tapped(node: NodeSingular): void {
    const sel = selectionOf(node);
    if (!sel) return;
    const open = node.data('kind') === 'node' && node.data('collapsed') ? sel.key : null;
    this.lastInput = performance.now();
    this.tappedSel = sel;
    this.clickedSel = sel;
    this.markSelection();
    if (open && this.inputs.summary) {
      // the page is told now, so a box whose pods are not loaded asks for them from this
      // task rather than after the click's frame and the box's draw (~100 ms later)
      this.pinned.add(open);
      this.tellOpen(this.expanded());
    }
    afterPaint(() => {
      if (this.destroyed) return;
      if (open) {
        this.pinned.add(open);
        // a box whose pods are not loaded yet draws the same until they are (~40 ms of
        // draw at 1,000 nodes for nothing): they come with the page's update()
        if (!this.inputs.summary || this.inputs.loaded?.has(open)) this.draw();
      }
      this.whenQuiet(() => {
        if (this.destroyed) return;
        this.onSelect(sel);
        // the page answers with update(); one that kept its selection (a click that picked
        // a trace's destination) never does: then the mark goes back to the page's
        afterPaint(() => {
          if (this.destroyed || this.tappedSel !== sel) return;
          this.tappedSel = null;
          this.markSelection();
        });
      });
    });
  }

  private expanded(): Set<string> {
    const { topology, selection } = this.inputs;
    const out = new Set([...this.auto, ...this.pinned, ...nodesOnHighlight(topology, this.highlight)]);
    const own = nodeOfSelection(topology, selection);
    if (own) out.add(own);
    return out;
  }

  setHighlight(h: GraphHighlight | null): void {
    // the same path in a new object (a re-render of the trace panel) changes nothing
    if (this.destroyed || JSON.stringify(h) === JSON.stringify(this.highlight)) return;
    this.highlight = h;
    // its nodes open and its routes appear through a redraw; that applies the classes too
    this.draw(); // applies the classes of a highlight
    if (!h) this.applyHighlight(); // takes them off
  }

  showHighlight(): boolean {
    if (this.destroyed) return false;
    const on = this.cy.elements('.hl-path');
    if (on.empty()) return false;
    const bb = on.boundingBox({ includeLabels: true });
    this.cy.stop(true, true);
    this.fitted = false;
    this.cy.animate(
      this.viewFor({ x: (bb.x1 + bb.x2) / 2, y: (bb.y1 + bb.y2) / 2, w: bb.w, h: bb.h }, MAX_FOCUS_ZOOM),
      { duration: this.glideMs() },
    );
    return true;
  }

  /** The highlight's classes on what is drawn, in one batch: nothing is re-created. With
   *  `added` (a slice just added, which has none yet), on those elements only. */
  private applyHighlight(added?: readonly ElementDefinition[]): void {
    const cy = this.cy;
    if (added) {
      const classes = highlightClasses(
        added.map((e) => e.data.id as string),
        this.highlight,
      );
      cy.batch(() => {
        for (const [id, cls] of classes) cy.getElementById(id).addClass(cls.join(' '));
      });
    } else
      syncClasses(
        cy,
        HIGHLIGHT_CLASSES,
        highlightClasses(
          cy.elements().map((e) => e.id()),
          this.highlight,
        ),
      );
  }

  private draw(): void {
    const { topology, version, filter, selection } = this.inputs;
    if (!topology || this.destroyed) return;
    const t0 = performance.now();
    // slices not added yet are not drawn: this plan adds them (or not) afresh
    if (this.pending) {
      for (const e of this.pending.slices.flat()) this.drawn.delete(e.data.id as string);
      this.pending = null;
    }
    // a redraw for the view alone (boxes opening) reuses the layout of the same topology
    const summary = this.inputs.summary;
    if (summary && this.summaries.of !== summary)
      this.summaries = { of: summary, byName: new Map(summary.nodes.map((n) => [n.name, n])) };
    if (!this.layout || this.laidOut !== topology) {
      // with summaries, the grid every node's pods will need, loaded or not
      const atLeast = summary ? shapeOfSummaries(summary.nodes, this.shape) : this.shape;
      this.layout = layoutTopology(topology, { atLeast });
      this.shape = this.layout.shape;
      this.laidOut = topology;
    }
    // With summaries the page holds some nodes' pods only: by level of detail (but for a
    // page filtered to one node of a few hundred pods: that node open, as it would be), the
    // pods a node would open with counted from its summary (all namespaces: a summary does
    // not split them).
    this.podsPerNode.clear();
    if (summary) for (const n of summary.nodes) this.podsPerNode.set(n.name, n.pods);
    else
      for (const p of topology.pods) {
        if (p.node && (!filter.namespace || p.namespace === filter.namespace))
          this.podsPerNode.set(p.node, (this.podsPerNode.get(p.node) ?? 0) + 1);
      }
    this.lod = summary
      ? !filter.node || (this.podsPerNode.get(filter.node) ?? 0) > LOD_POD_THRESHOLD
      : needsLod(topology, filter);
    const expanded = this.lod ? this.expanded() : new Set<string>();
    this.tellOpen(expanded);
    const next = toElements(topology, {
      expanded,
      filter,
      lod: this.lod,
      focus: nodeOfSelection(topology, selection),
      layout: this.layout,
      alwaysRoutes: highlightIds(this.highlight),
      memo: this.closedBoxes,
      ...(summary ? { summaries: this.summaries.byName, loaded: this.inputs.loaded ?? new Set() } : {}),
    });
    const plan = planUpdate(this.drawn, next);
    // A node that joins or leaves changes the drawing's extent: a view showing the whole
    // drawing is fitted again, so a new node is never drawn off-screen (one the user
    // panned or zoomed stays where they took it).
    const nodesChanged =
      plan.add.some((e) => e.data.kind === 'node') ||
      plan.remove.some((id) => this.drawn.get(id)?.data.kind === 'node');
    const byId = new Map(next.map((e) => [e.data.id as string, e]));
    const cy = this.cy;
    let later: ElementDefinition[][] = [];
    const near = this.lod ? nearView(cy.extent()) : null;
    cy.batch(() => {
      for (const id of plan.remove) {
        this.held.drop(id);
        const ele = cy.getElementById(id);
        if (ele.nonempty()) ele.remove();
      }
      // Removing a node removes its edges: put back what must stay.
      const add = [...plan.add];
      for (const d of plan.data) {
        const ele = cy.getElementById(d.id);
        const before = this.drawn.get(d.id)?.data;
        if (ele.empty()) {
          this.held.drop(d.id);
          add.push(byId.get(d.id)!);
        } else if (near && before && looksOnly(before, d.data) && !overlaps(ele.boundingBox(), near))
          this.held.hold(d.id, d.data);
        else ele.data(this.held.take(d.id, d.data));
      }
      // no level of detail (any more): nothing is held
      if (!near) this.giveHeld(true);
      // the first drawing at once (it is what "ready" means); more on one already shown,
      // a slice a frame
      const sel = this.tappedSel ?? selection;
      const size = this.sliceSize();
      const slices =
        this.drawn.size > 0 && add.length > size
          ? sliceAdds(add, sel?.kind === 'pod' ? selectionId(sel) : null, size)
          : [add];
      if (slices[0]?.length) cy.add(slices[0].map(copyForCytoscape));
      later = slices.slice(1);
      for (const m of plan.move) {
        const ele = cy.getElementById(m.id);
        if (ele.nonempty() && ele.isNode()) ele.position({ ...m.position });
      }
    });
    this.drawn = byId;
    this.markSelection();
    if (this.highlight) this.applyHighlight();

    if ((this.needsFit || (nodesChanged && this.fitted)) && cy.width() > 0 && cy.height() > 0) {
      this.needsFit = false;
      this.fit();
    }
    const d = this.host.dataset;
    d.ready = 'true';
    window.__podnetGraph = {
      cy,
      version,
      drawMs: Math.round(performance.now() - t0),
      elements: next.length,
      highlight: (h) => this.setHighlight(h),
      smallLabelsUntextured: this.smallLabelsUntextured,
      blankLayersKept: this.blankLayersKept,
    };
    // the version and counts say what is on screen: once the last slice is there
    const done = () => {
      let nodes = 0;
      let pods = 0;
      let bridges = 0;
      for (const e of next) {
        if (e.data.kind === 'node') nodes++;
        else if (e.data.kind === 'pod') pods++;
        else if (e.data.kind === 'bridge') bridges++;
      }
      d.version = String(version);
      d.nodes = String(nodes);
      d.pods = String(pods);
      d.bridges = String(bridges);
      d.lod = String(this.lod);
    };
    if (later.length === 0) done();
    else {
      const p = { slices: later, done };
      this.pending = p;
      nextFrame(() => this.addSlice(p));
    }
  }

  /** The next slice of what a draw adds (in a frame no input waits for), the version once
   *  all is there; nothing once a newer draw took over. */
  private addSlice(p: NonNullable<GraphEngine['pending']>): void {
    if (this.pending !== p || this.destroyed) return;
    if (performance.now() - this.lastInput < HOLD_MS) {
      this.whenQuiet(() => nextFrame(() => this.addSlice(p)));
      return;
    }
    // while the user is at it, smaller slices: what is left is cut again at this frame's size
    const size = this.sliceSize();
    if (p.slices[0]!.length !== size) p.slices = sliceAgain(p.slices, size);
    const slice = p.slices.shift()!;
    this.cy.batch(() => this.cy.add(slice.map(copyForCytoscape)));
    // the classes on what this slice brought, not a pass over every element each frame
    const sel = this.tappedSel ?? this.inputs.selection;
    const id = sel ? selectionId(sel) : null;
    if (id && slice.some((e) => e.data.id === id || e.data.source === id || e.data.target === id)) this.markSelection();
    if (this.highlight) this.applyHighlight(slice);
    if (p.slices.length) nextFrame(() => this.addSlice(p));
    else {
      this.pending = null;
      p.done();
    }
  }

  /** Runs `f` once HOLD_MS have passed since the user's last input on the graph. */
  private whenQuiet(f: () => void): void {
    whenQuiet(() => this.lastInput, HOLD_MS, f);
  }

  private sliceSize(): number {
    return performance.now() - this.lastInput < INPUT_QUIET_MS ? ADD_SLICE_NEAR_INPUT : ADD_SLICE;
  }

  /** Tells the page which nodes are drawn open (or would be, once their pods are there),
   *  the selection's node first, when that changes. */
  private tellOpen(expanded: Set<string>): void {
    const own = nodeOfSelection(this.inputs.topology, this.inputs.selection);
    const list = own ? [own, ...[...expanded].filter((n) => n !== own)] : [...expanded];
    const key = list.join('\n');
    if (key === this.told) return;
    this.told = key;
    this.onOpenChange(list);
  }

  /** The selection drawn selected, and its edges (a pod's all, a node's routes) related. */
  private markSelection(): void {
    const cy = this.cy;
    const sel = this.tappedSel ?? this.inputs.selection;
    const want = new Map<string, string[]>();
    const ele = sel ? cy.getElementById(selectionId(sel)) : cy.collection();
    if (ele.nonempty()) {
      want.set(ele.id(), ['selected']);
      const related = sel?.kind === 'pod' ? ele.connectedEdges() : ele.connectedEdges('[kind = "route"]');
      related.forEach((e) => void want.set(e.id(), ['related']));
    }
    syncClasses(cy, SELECTION_CLASSES, want);
  }

  /** Gives the elements the view now nears (`all`: every element) what was held for
   *  them, before the next frame draws. */
  private giveHeld(all = false): void {
    if (this.held.size === 0 || this.destroyed) return;
    const near = all ? null : nearView(this.cy.extent());
    this.cy.batch(() => {
      for (const id of this.held.ids()) {
        const ele = this.cy.getElementById(id);
        if (ele.empty()) this.held.drop(id);
        else if (!near || overlaps(ele.boundingBox(), near)) ele.data(this.held.take(id));
      }
    });
  }

  private viewportChanged(): void {
    if (this.viewportTimer) clearTimeout(this.viewportTimer);
    this.viewportTimer = setTimeout(() => {
      this.viewportTimer = null;
      if (!this.destroyed) this.openWhatIsInView();
    }, 120);
  }

  /** Level of detail follows the view: zoomed in, the boxes in view open (nearest the
   *  centre first, within a pod budget); zoomed out, they close; panned away, they close. */
  private openWhatIsInView(): void {
    if (!this.lod || !this.layout) return;
    const zoom = this.cy.zoom();
    const ext = this.cy.extent();
    const cx = (ext.x1 + ext.x2) / 2;
    const cy = (ext.y1 + ext.y2) / 2;
    const inView: { name: string; d: number }[] = [];
    for (const [name, r] of this.layout.nodes) {
      if (r.x + r.w / 2 < ext.x1 || r.x - r.w / 2 > ext.x2 || r.y + r.h / 2 < ext.y1 || r.y - r.h / 2 > ext.y2)
        continue;
      inView.push({ name, d: Math.hypot(r.x - cx, r.y - cy) });
    }
    inView.sort((a, b) => a.d - b.d);
    const visible = new Set(inView.map((v) => v.name));

    let auto = new Set<string>();
    let pinned = new Set<string>();
    if (zoom >= COLLAPSE_ZOOM) {
      pinned = new Set([...this.pinned].filter((n) => visible.has(n)));
      if (zoom >= EXPAND_ZOOM) {
        let budget = AUTO_EXPAND_POD_BUDGET;
        for (const n of pinned) budget -= this.podsPerNode.get(n) ?? 0;
        for (const { name } of inView) {
          if (pinned.has(name)) continue;
          const cost = this.podsPerNode.get(name) ?? 0;
          if (cost > budget) break;
          budget -= cost;
          auto.add(name);
        }
      } else {
        auto = new Set([...this.auto].filter((n) => visible.has(n)));
      }
    }
    const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
    if (same(auto, this.auto) && same(pinned, this.pinned)) return;
    this.auto = auto;
    this.pinned = pinned;
    this.draw();
  }
}
