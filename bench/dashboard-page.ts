// What bench/dashboard.ts measures inside a page and through the browser's DevTools
// protocol (CDP): the probe injected before the page's own scripts, the network log that
// counts the bytes a page received (Network.* events), the page's JS heap after a
// garbage collection, opening a collapsed node with a real click, frame times while
// panning and zooming with the mouse, and the analysis of a churning cluster's event
// stream against what the graph drew (event to screen, bytes per event). See
// bench/README.md's dashboard section.
import type { CDPSession, Page } from '@playwright/test';
import { stat, type Stat } from './common.js';

// ---------------------------------------------------------------------------------------
// The probe: runs in every measured page (podnet's and the baseline) before its scripts.
// A string: this file is checked without the DOM's types (tsconfig.node.json).

export const PAGE_PROBE = `(() => {
  if (window.__bench) return;
  const B = window.__bench = { readyAt: null, firstFrameAt: null, dataAt: null, dataWhat: null, dataRequestAt: null, dataDecoded: null, streamDataAt: null, version: null, initialView: null, longTasks: [], inputs: [], watch: null, open: null, frames: null, log: null, lastDown: null };
  // The data milestone: the end of the page's first topology.summary or topology.snapshot
  // query (resource timing; a batched URL names every procedure), or a whole topology on
  // its event stream (a listener of ours on tRPC's EventSource, registered before the
  // page's own), whichever comes first.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const m = /topology\\.(summary|snapshot)/.exec(e.name);
        if (!m) continue;
        if (B.dataAt === null || e.responseEnd < B.dataAt) {
          B.dataAt = e.responseEnd; B.dataWhat = m[1]; B.dataRequestAt = e.startTime; B.dataDecoded = e.decodedBodySize || null;
        }
      }
    }).observe({ type: 'resource', buffered: true });
  } catch {}
  const ES = window.EventSource;
  if (ES) {
    window.EventSource = class extends ES {
      constructor(...args) {
        super(...args);
        const url = String(args[0]).split('?')[0];
        this.addEventListener('message', (e) => {
          const d = typeof e.data === 'string' ? e.data : '';
          if (B.streamDataAt === null && /"type":"(snapshot|summary)"/.test(d.slice(0, 200))) B.streamDataAt = performance.now();
          if (B.log) B.log.msgs.push({ at: Date.now(), url, id: e.lastEventId, data: d });
        });
      }
    };
  }
  const graph = () => document.querySelector('[data-testid="graph"]');
  const cyOf = () => (window.__podnetGraph && window.__podnetGraph.cy) || null;
  // The graph's changes, once it exists: a pod of the node being opened (B.open), and while
  // B.log is on, every pod added or removed and every node box whose pod count changed,
  // each with the animation frame after it (one frame callback for a batch).
  let hooked = null;
  let pending = [];
  let scheduled = false;
  const stamp = (rec) => {
    if (B.log) B.log.cy.push(rec);
    pending.push(rec);
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const f = Date.now();
      for (const r of pending) r.frame = f;
      pending = [];
    });
  };
  const hook = () => {
    const cy = cyOf();
    if (!cy || hooked === cy) return;
    hooked = cy;
    cy.on('add', 'node[kind = "pod"]', (ev) => {
      const node = ev.target.data('node');
      const o = B.open;
      if (o && o.added === null && node === o.name) {
        o.added = performance.now();
        requestAnimationFrame(() => { o.at = performance.now(); });
      }
      if (B.log) stamp({ kind: 'add', id: ev.target.id(), node, at: Date.now(), frame: null });
    });
    cy.on('remove', 'node[kind = "pod"]', (ev) => {
      if (B.log) stamp({ kind: 'remove', id: ev.target.id(), node: ev.target.data('node'), at: Date.now(), frame: null });
    });
    cy.on('data', 'node[kind = "node"]', (ev) => {
      if (!B.log) return;
      const e = ev.target;
      const pods = e.data('pods');
      if (B.log.counts[e.id()] === pods) return;
      B.log.counts[e.id()] = pods;
      stamp({ kind: 'count', id: e.id(), pods, collapsed: !!e.data('collapsed'), at: Date.now(), frame: null });
    });
  };
  const check = () => {
    if (B.readyAt !== null) return;
    const g = graph();
    if (g && g.getAttribute('data-ready') === 'true') {
      B.readyAt = performance.now();
      B.version = g.getAttribute('data-version');
      const cy = cyOf();
      if (cy) B.initialView = { zoom: cy.zoom(), pan: { ...cy.pan() } };
      hook();
      requestAnimationFrame(() => { B.firstFrameAt = performance.now(); hook(); });
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) B.longTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  } catch {}
  // Inputs: the time the browser stamped on the event (when it was generated, so time
  // spent queued behind a busy main thread counts) to the next animation frame after the
  // page handled it. A click runs from its mousedown to the frame after its click.
  let down = null;
  addEventListener('mousedown', (e) => { down = e.timeStamp; B.lastDown = e.timeStamp; }, true);
  addEventListener('click', (e) => {
    const t0 = down === null ? e.timeStamp : down;
    down = null;
    requestAnimationFrame(() => B.inputs.push({ kind: 'click', t0, frame: performance.now(), changed: true }));
  }, true);
  addEventListener('wheel', (e) => {
    const cy = cyOf();
    const z0 = cy ? cy.zoom() : NaN;
    const t0 = e.timeStamp;
    requestAnimationFrame(() => B.inputs.push({ kind: 'wheel', t0, frame: performance.now(), changed: cy ? cy.zoom() !== z0 : false }));
  }, { capture: true, passive: true });
  // Opening a node: armed before the click; done at the frame after its first pod is added.
  B.armOpen = (name) => { hook(); B.lastDown = null; B.open = { name, added: null, at: null }; };
  // Frame times: every animation frame's timestamp between start and stop.
  B.startFrames = () => {
    const F = B.frames = { on: true, ts: [] };
    const tick = (t) => { if (!F.on) return; F.ts.push(t); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  };
  B.stopFrames = () => { if (!B.frames) return []; B.frames.on = false; return B.frames.ts; };
  // The stream and the graph's changes, for the event-to-screen window.
  B.startLog = () => {
    hook();
    const cy = cyOf();
    const counts = {};
    if (cy) cy.nodes('[kind = "node"]').forEach((n) => { counts[n.id()] = n.data('pods'); });
    B.log = { msgs: [], cy: [], counts, startedAt: Date.now() };
  };
  B.stopLog = () => {
    const L = B.log;
    B.log = null;
    const cy = cyOf();
    const open = cy ? cy.nodes('[kind = "node"]').filter((n) => !n.data('collapsed')).map((n) => n.data('name')) : [];
    return { msgs: L ? L.msgs : [], cy: L ? L.cy : [], open, startedAt: L ? L.startedAt : 0, stoppedAt: Date.now() };
  };
  // (b): watch for an element to appear (or go) in the graph, checked once per frame;
  // times on Date.now()'s clock (the offset measured as the watch starts).
  B.watchFor = (id, present) => {
    const offset = Date.now() - performance.now();
    B.watch = { id, present, at: null };
    const w = B.watch;
    const tick = () => {
      if (B.watch !== w) return;
      const cy = cyOf();
      if (cy && cy.getElementById(id).nonempty() === present) { w.at = offset + performance.now(); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
})();`;

// ---------------------------------------------------------------------------------------
// The network, as the browser saw it (CDP Network.*): bytes on the wire per request, with
// the time of each chunk, so the bytes received before a moment of the page can be
// counted, an event stream's included.

interface NetRequest {
  url: string;
  type: string;
  /** CDP timestamps (s, the browser's monotonic clock) */
  sentAt: number;
  /** the response's headers: bytes and when */
  headerBytes: number;
  headersAt: number | null;
  /** body chunks: [when, encoded bytes, decoded bytes] */
  chunks: [number, number, number][];
  finishedAt: number | null;
  /** loadingFinished's total (headers and body, as received) */
  total: number | null;
}

export interface BytesUntil {
  /** bytes received (encoded: as on the wire, headers included) */
  wire: number;
  /** the same bodies decoded (what the page's JSON parse sees) */
  decoded: number;
  /** what was counted: [path and procedures, wire bytes, finished (or still streaming)] */
  requests: [string, number, boolean][];
}

export class NetLog {
  readonly requests = new Map<string, NetRequest>();
  /** the page's navigation start on the CDP clock (s) */
  private navStart: number | null = null;

  constructor(private readonly cdp: CDPSession) {
    cdp.on('Network.requestWillBeSent', (e) => {
      this.requests.set(e.requestId, {
        url: e.request.url,
        type: e.type ?? '',
        sentAt: e.timestamp,
        headerBytes: 0,
        headersAt: null,
        chunks: [],
        finishedAt: null,
        total: null,
      });
    });
    cdp.on('Network.responseReceived', (e) => {
      const r = this.requests.get(e.requestId);
      if (!r) return;
      r.headerBytes = e.response.encodedDataLength;
      r.headersAt = e.timestamp;
    });
    cdp.on('Network.dataReceived', (e) => {
      this.requests.get(e.requestId)?.chunks.push([e.timestamp, e.encodedDataLength, e.dataLength]);
    });
    cdp.on('Network.loadingFinished', (e) => {
      const r = this.requests.get(e.requestId);
      if (!r) return;
      r.finishedAt = e.timestamp;
      r.total = e.encodedDataLength;
    });
  }

  static async attach(cdp: CDPSession): Promise<NetLog> {
    const log = new NetLog(cdp);
    await cdp.send('Network.enable');
    await cdp.send('Performance.enable');
    return log;
  }

  /** After the navigation: where the page's performance.now() 0 is on the CDP clock. */
  async sync(): Promise<void> {
    const { metrics } = await this.cdp.send('Performance.getMetrics');
    this.navStart = metrics.find((m) => m.name === 'NavigationStart')?.value ?? null;
  }

  /** CDP seconds → ms from the page's navigation start */
  pageMs(t: number): number {
    return this.navStart === null ? NaN : (t - this.navStart) * 1000;
  }

  /** Bytes received for the requests `which` picks up to `pageMs` (ms from navigation start). */
  bytesUntil(pageMs: number, which: (url: string) => boolean): BytesUntil {
    const out: BytesUntil = { wire: 0, decoded: 0, requests: [] };
    if (this.navStart === null) return { wire: NaN, decoded: NaN, requests: [] };
    const until = this.navStart + pageMs / 1000;
    for (const r of this.requests.values()) {
      if (!which(r.url) || r.sentAt > until) continue;
      const done = r.finishedAt !== null && r.finishedAt <= until;
      let body = 0;
      let decoded = 0;
      for (const [t, enc, dec] of r.chunks)
        if (t <= until) {
          body += enc;
          decoded += dec;
        }
      const headers = r.headersAt !== null && r.headersAt <= until ? r.headerBytes : 0;
      // a finished request's own total (chunks may not each say their encoded size)
      const wire = done && r.total !== null ? Math.max(r.total, headers + body) : headers + body;
      if (wire === 0 && !done) continue;
      out.wire += wire;
      out.decoded += decoded;
      out.requests.push([shortUrl(r.url), wire, done]);
    }
    return out;
  }

  /** Wire bytes of the requests `which` picks between two CDP-clock moments (s). */
  bytesBetween(from: number, to: number, which: (url: string) => boolean): number {
    let n = 0;
    for (const r of this.requests.values()) {
      if (!which(r.url)) continue;
      for (const [t, enc] of r.chunks) if (t > from && t <= to) n += enc;
    }
    return n;
  }

  /** the CDP clock now (s) */
  async now(): Promise<number> {
    const { metrics } = await this.cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'Timestamp')?.value ?? NaN;
  }
}

const shortUrl = (u: string) => {
  try {
    const x = new URL(u);
    return x.pathname.replace(/^\/api\/trpc\//, '');
  } catch {
    return u;
  }
};

export const isTrpc = (url: string) => url.includes('/api/trpc/');

// ---------------------------------------------------------------------------------------
// The heap

export interface Heap {
  /** bytes in use after a full garbage collection (Runtime.getHeapUsage) */
  used: number;
  total: number;
}

export async function heapAfterGc(cdp: CDPSession): Promise<Heap> {
  await cdp.send('HeapProfiler.collectGarbage');
  const h = await cdp.send('Runtime.getHeapUsage');
  return { used: h.usedSize, total: h.totalSize };
}

// ---------------------------------------------------------------------------------------
// Opening a collapsed node with a click

export interface OpenResult {
  /** the node clicked */
  node: string | null;
  /** the mousedown (its event time) → the frame after its first pod was added (ms) */
  ms: number;
  /** → the moment its first pod was added to the graph */
  addedMs: number;
  /** what view it was clicked in: the first render's, or zoomed out below the level that opens boxes */
  view: 'first' | 'zoomed out' | 'none';
  /** why not measured */
  note: string | null;
}

/** COLLAPSE_ZOOM in components/topology/TopologyGraph.tsx: below it, no box stays open */
const COLLAPSE_ZOOM = 0.18;
const OPEN_TIMEOUT_MS = 20_000;

/** A point on a collapsed node box that a click reaches (on the canvas, not under
 *  anything else, and Cytoscape's own hit test says that box: a selected node's routes
 *  arc over other boxes), of the box nearest the canvas's centre; null when none. */
const FIND_COLLAPSED = `(() => {
  const cy = window.__podnetGraph && window.__podnetGraph.cy;
  if (!cy) return null;
  const r = cy.renderer && cy.renderer();
  const c = cy.container().getBoundingClientRect();
  const right = Math.min(c.right, innerWidth) - 4, bottom = Math.min(c.bottom, innerHeight) - 4;
  const cx = (c.left + right) / 2, cyy = (c.top + bottom) / 2;
  const reaches = (n, x, y) => {
    if (x < c.left + 4 || y < c.top + 4 || x > right || y > bottom) return false;
    const under = document.elementFromPoint(x, y);
    if (!under || !cy.container().contains(under)) return false;
    if (!r || !r.findNearestElement || !r.projectIntoViewport) return true;
    const [mx, my] = r.projectIntoViewport(x, y);
    const hit = r.findNearestElement(mx, my, true, false);
    return !!hit && hit.id() === n.id();
  };
  const cands = [];
  cy.nodes('[kind = "node"]').forEach((n) => {
    if (!n.data('collapsed')) return;
    const p = n.renderedPosition();
    const x = c.left + p.x, y = c.top + p.y;
    if (x < c.left || y < c.top || x > right || y > bottom) return;
    cands.push({ n, x, y, d: Math.hypot(x - cx, y - cyy) });
  });
  cands.sort((a, b) => a.d - b.d);
  for (const { n } of cands.slice(0, 50)) {
    const b = n.renderedBoundingBox({ includeLabels: false });
    for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.3], [0.7, 0.3], [0.3, 0.7], [0.7, 0.7], [0.5, 0.2], [0.5, 0.8], [0.2, 0.5], [0.8, 0.5]]) {
      const x = c.left + b.x1 + b.w * fx, y = c.top + b.y1 + b.h * fy;
      if (reaches(n, x, y)) return { x, y, name: n.data('name') };
    }
  }
  return null;
})()`;

/** Wait until the page has settled: no animation, and `ms` with no long task. */
async function quiet(page: Page, ms: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  await page.waitForTimeout(ms);
  while (Date.now() < deadline) {
    const busy = await page.evaluate<boolean>(`(() => {
      const cy = window.__podnetGraph && window.__podnetGraph.cy;
      const now = performance.now();
      return (cy && cy.animated()) || window.__bench.longTasks.some(([s, d]) => s + d > now - ${ms});
    })()`);
    if (!busy) return;
    await page.waitForTimeout(100);
  }
}

/**
 * Back to the view of the first render (set directly, untimed), then a real click on a
 * collapsed node box; if that view has none (every box in it opened), zoomed out below
 * COLLAPSE_ZOOM first. Timed from the click's mousedown to the frame after its node's
 * first pod was added to the graph.
 */
export async function measureOpen(page: Page): Promise<OpenResult> {
  await page.evaluate(`(() => {
    const cy = window.__podnetGraph && window.__podnetGraph.cy, v = window.__bench.initialView;
    if (cy && v) { cy.stop(true, true); cy.viewport({ zoom: v.zoom, pan: v.pan }); }
  })()`);
  await quiet(page, 500);
  // nothing selected (a click on the background): a selected node draws its routes over
  // the other boxes, and the side panel takes part of the canvas
  const bg = await page.evaluate<{ x: number; y: number; background: boolean }>(FIND_BACKGROUND);
  if (bg.background) {
    await page.mouse.click(bg.x, bg.y);
    await quiet(page, 300);
  }
  let view: OpenResult['view'] = 'first';
  let target = await page.evaluate<{ x: number; y: number; name: string } | null>(FIND_COLLAPSED);
  if (!target) {
    view = 'zoomed out';
    await page.evaluate(`(() => {
      const cy = window.__podnetGraph && window.__podnetGraph.cy;
      if (!cy) return;
      const z = Math.min(cy.zoom(), ${COLLAPSE_ZOOM * 0.8});
      cy.zoom({ level: z, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    })()`);
    await quiet(page, 500);
    target = await page.evaluate<{ x: number; y: number; name: string } | null>(FIND_COLLAPSED);
  }
  if (!target) return { node: null, ms: NaN, addedMs: NaN, view: 'none', note: 'no collapsed node box on screen' };
  await page.evaluate(`window.__bench.armOpen(${JSON.stringify(target.name)})`);
  await page.mouse.click(target.x, target.y);
  const ok = await page
    .waitForFunction('window.__bench.open && window.__bench.open.at !== null', undefined, {
      timeout: OPEN_TIMEOUT_MS,
      polling: 20,
    })
    .then(() => true)
    .catch(() => false);
  const o = await page.evaluate<{ down: number | null; added: number | null; at: number | null }>(
    `({ down: window.__bench.lastDown, added: window.__bench.open.added, at: window.__bench.open.at })`,
  );
  if (!ok || o.down === null || o.at === null)
    return {
      node: target.name,
      ms: NaN,
      addedMs: NaN,
      view,
      note:
        o.down === null
          ? 'the click was not seen'
          : `no pod of ${target.name} drawn within ${OPEN_TIMEOUT_MS / 1000} s`,
    };
  return { node: target.name, ms: o.at - o.down, addedMs: (o.added ?? NaN) - o.down, view, note: null };
}

// ---------------------------------------------------------------------------------------
// Frame times while panning and zooming with the mouse

export interface FrameResult {
  /** the zoom it started at (null: the first render's view) */
  zoom: number | null;
  /** the time between consecutive animation frames (ms) */
  deltas: number[];
  /** the view moved (the drag panned, the wheel zoomed) */
  panned: boolean;
  zoomed: boolean;
  /** the drag started on the canvas's background (else its centre: no background in view) */
  background: boolean;
  /** how long the inputs took to send (ms): above ~2 s the page could not keep up */
  ms: number;
}

/** A point of the canvas's background (no node there: a drag on a node does not pan),
 *  nearest the canvas's centre on a grid; the centre itself when there is none. */
const FIND_BACKGROUND = `(() => {
  const cy = window.__podnetGraph && window.__podnetGraph.cy;
  const c = (cy ? cy.container() : document.body).getBoundingClientRect();
  const w = Math.min(c.right, innerWidth) - c.left, h = Math.min(c.bottom, innerHeight) - c.top;
  const centre = { x: c.left + w / 2, y: c.top + h / 2, background: false };
  if (!cy) return centre;
  const r = cy.renderer && cy.renderer();
  const boxes = [];
  cy.nodes().forEach((n) => {
    const b = n.renderedBoundingBox({ includeLabels: false });
    if (b.x2 < 0 || b.y2 < 0 || b.x1 > w || b.y1 > h) return;
    boxes.push(b);
  });
  let best = null;
  for (let i = 1; i < 16; i++)
    for (let j = 1; j < 12; j++) {
      const x = (w * i) / 16, y = (h * j) / 12;
      if (boxes.some((b) => x >= b.x1 - 4 && x <= b.x2 + 4 && y >= b.y1 - 4 && y <= b.y2 + 4)) continue;
      const under = document.elementFromPoint(c.left + x, c.top + y);
      if (!under || !cy.container().contains(under)) continue;
      if (r && r.findNearestElement && r.projectIntoViewport) {
        const [mx, my] = r.projectIntoViewport(c.left + x, c.top + y);
        if (r.findNearestElement(mx, my, true, false)) continue;
      }
      const d = Math.hypot(x - w / 2, y - h / 2);
      if (!best || d < best.d) best = { x: c.left + x, y: c.top + y, d };
    }
  return best ? { x: best.x, y: best.y, background: true } : centre;
})()`;

const VIEW = `(() => { const cy = window.__podnetGraph && window.__podnetGraph.cy; return cy ? { zoom: cy.zoom(), x: cy.pan().x, y: cy.pan().y } : null; })()`;

/** From the view of the first render (or zoomed in from it): about 1 s of dragging
 *  across the canvas from a point of its background, then 1 s of wheel steps there (in,
 *  then as many out), every frame's timestamp recorded meanwhile. */
export async function measureFrames(page: Page, zoom: number | null): Promise<FrameResult> {
  // from the view of the first render (set directly, untimed): the whole drawing, with
  // background between the boxes (a view filled by one box has none to drag); or zoomed
  // from there to `zoom` around the canvas's centre, and the boxes that opens loaded
  await page.evaluate(`(() => {
    const cy = window.__podnetGraph && window.__podnetGraph.cy, v = window.__bench.initialView;
    if (!cy || !v) return;
    cy.stop(true, true);
    cy.viewport({ zoom: v.zoom, pan: v.pan });
    const z = ${zoom === null ? 'null' : zoom};
    if (z !== null) cy.zoom({ level: z, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  })()`);
  await quiet(page, zoom === null ? 300 : 1500);
  const at = await page.evaluate<{ x: number; y: number; background: boolean }>(FIND_BACKGROUND);
  type View = { zoom: number; x: number; y: number } | null;
  const v0 = await page.evaluate<View>(VIEW);
  await page.mouse.move(at.x, at.y);
  await page.evaluate('window.__bench.startFrames()');
  const t0 = Date.now();
  await page.mouse.down();
  // small moves around the start, so the point under the mouse stays background
  let v1: View = null;
  for (let i = 1; Date.now() - t0 < 1000; i++) {
    await page.mouse.move(at.x + 120 * Math.sin(i / 9), at.y + 80 * Math.sin(i / 13));
    // (the drag ends where it began, and so does the view: look while it is away)
    // (by the 3rd move: a busy page answers few moves in the second)
    if (i === 3) v1 = await page.evaluate<View>(VIEW);
    await sleep(16);
  }
  v1 ??= await page.evaluate<View>(VIEW);
  await page.mouse.move(at.x, at.y);
  await page.mouse.up();
  const vUp = await page.evaluate<View>(VIEW);
  const t1 = Date.now();
  let steps = 0;
  while (Date.now() - t1 < 500) {
    await page.mouse.wheel(0, -60);
    steps++;
    await sleep(40);
  }
  const v2 = await page.evaluate<View>(VIEW);
  for (let k = 0; k < steps && Date.now() - t1 < 3000; k++) {
    await page.mouse.wheel(0, 60);
    await sleep(40);
  }
  const ms = Date.now() - t0;
  // one more frame, so the last input's frame is in
  await page.waitForTimeout(50);
  const ts = await page.evaluate<number[]>('window.__bench.stopFrames()');
  const deltas: number[] = [];
  for (let i = 1; i < ts.length; i++) deltas.push(ts[i]! - ts[i - 1]!);
  return {
    zoom,
    deltas,
    panned: !!v0 && !!v1 && (v0.x !== v1.x || v0.y !== v1.y),
    zoomed: !!vUp && !!v2 && vUp.zoom !== v2.zoom,
    background: at.background,
    ms,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Event to screen: a churning cluster's stream against what the graph drew

export interface StreamLog {
  msgs: { at: number; url: string; id: string; data: string }[];
  cy: {
    kind: 'add' | 'remove' | 'count';
    id: string;
    node?: string;
    pods?: number;
    collapsed?: boolean;
    at: number;
    frame: number | null;
  }[];
  /** the nodes drawn open at the end */
  open: string[];
  startedAt: number;
  stoppedAt: number;
}

export interface ScreenSample {
  op: 'add' | 'remove';
  pod: string;
  node: string | null;
  /** the change's time on the server (the summary's updatedAt: the newest change the event holds) → the frame (ms) */
  total: number;
  /** updatedAt → the event's arrival in the page */
  toArrival: number;
  /** arrival → the frame */
  toFrame: number;
  /** the event held this one node's change only, so updatedAt is this change's time */
  exact: boolean;
  /** the nodes whose changes the event held */
  eventNodes: string[];
}

export interface CountSample {
  node: string;
  total: number;
  exact: boolean;
}

export interface StreamAnalysis {
  /** summary (topology.watchSummary) or whole (topology.watch) */
  mode: 'summary' | 'whole' | 'unknown';
  events: number;
  seconds: number;
  /** pods added / removed on nodes drawn open, to the frame that shows it */
  add: Stat;
  remove: Stat;
  both: Stat;
  exact: number;
  toArrival: Stat;
  toFrame: Stat;
  samples: ScreenSample[];
  /** a collapsed box's pod count on screen, from the change's time */
  count: Stat;
  /** events whose changes are all on nodes the page does not show open: wire size (data
   *  line and framing) */
  countOnlyBytes: Stat;
  /** of those, how many carried pods (or any node's detail) nevertheless */
  countOnlyWithPods: number;
  /** events carrying a shown node's pods */
  withPodsBytes: Stat;
  /** changes the events held (pod changes anywhere) that the log could not pair with a frame */
  unmatched: number;
}

interface Parsed {
  at: number;
  bytes: number;
  updatedAt: number;
  /** nodes whose summary (or pods) changed in it */
  nodes: Set<string>;
  pods: { op: 'added' | 'removed'; key: string; node: string | null }[];
  /** carries any node's pods or detail */
  detail: boolean;
  type: string;
}

const UPDATED_AT = /"updatedAt":"([^"]+)"/;

function parseEvent(m: StreamLog['msgs'][number]): Parsed | null {
  let ev: Record<string, unknown>;
  try {
    ev = JSON.parse(m.data) as Record<string, unknown>;
  } catch {
    return null;
  }
  // tRPC may wrap what the procedure yielded
  if (ev && typeof ev === 'object' && !('type' in ev) && 'data' in ev && typeof ev.data === 'object')
    ev = ev.data as Record<string, unknown>;
  const u = UPDATED_AT.exec(m.data);
  const out: Parsed = {
    at: m.at,
    bytes: Buffer.byteLength(m.data) + (m.id ? `id: ${m.id}\n`.length : 0) + 'data: \n\n'.length,
    updatedAt: u ? Date.parse(u[1]!) : NaN,
    nodes: new Set(),
    pods: [],
    detail: false,
    type: String(ev.type ?? ''),
  };
  type Change = { collection?: string; op?: string; key?: string; value?: { node?: string | null; name?: string } };
  const changes = (Array.isArray(ev.changes) ? ev.changes : []) as Change[];
  const podOps = (list: Change[], node: string | null) => {
    for (const c of list) {
      if (c.collection !== 'pods' || (c.op !== 'added' && c.op !== 'removed') || !c.key) continue;
      out.pods.push({ op: c.op, key: c.key, node: c.value?.node ?? node });
      out.detail = true;
    }
  };
  for (const c of changes) if (c.collection === 'nodes' && c.key) out.nodes.add(c.key);
  podOps(changes, null);
  for (const p of out.pods) if (p.node) out.nodes.add(p.node);
  const details = (Array.isArray(ev.details) ? ev.details : []) as {
    node: string;
    op: string;
    changes?: Change[];
  }[];
  for (const d of details) {
    out.detail = true;
    if (d.op === 'changes' && d.changes) podOps(d.changes, d.node);
  }
  return out;
}

export function analyseStream(log: StreamLog, mode: StreamAnalysis['mode']): StreamAnalysis {
  const events = log.msgs.map(parseEvent).filter((e): e is Parsed => e !== null && e.type === 'changes');
  const open = new Set(log.open);
  const adds = new Map<string, StreamLog['cy']>();
  const removes = new Map<string, StreamLog['cy']>();
  const counts = new Map<string, StreamLog['cy']>();
  for (const r of log.cy) {
    const m = r.kind === 'add' ? adds : r.kind === 'remove' ? removes : counts;
    const list = m.get(r.id) ?? [];
    list.push(r);
    m.set(r.id, list);
  }
  const samples: ScreenSample[] = [];
  const countSamples: CountSample[] = [];
  let unmatched = 0;
  const SLACK = 5; // ms: Date.now() in the page's two callbacks
  for (const e of events) {
    // one change in it (one pod; a removal in the whole topology's stream names no node)
    const exact = e.pods.length <= 1 && e.nodes.size <= 1;
    for (const p of e.pods) {
      const list = (p.op === 'added' ? adds : removes).get(`pod:${p.key}`) ?? [];
      const hit = list.find((r) => r.at >= e.at - SLACK && r.frame !== null);
      if (hit && p.node === null) p.node = hit.node ?? null;
      if (!hit) {
        // a pod on a node drawn open that never showed (or went); elsewhere nothing to see
        if (p.node !== null && open.has(p.node)) unmatched++;
        continue;
      }
      samples.push({
        op: p.op === 'added' ? 'add' : 'remove',
        pod: p.key,
        node: p.node,
        total: hit.frame! - e.updatedAt,
        toArrival: e.at - e.updatedAt,
        toFrame: hit.frame! - e.at,
        exact,
        eventNodes: [...e.nodes],
      });
    }
    // the pod count of a box drawn collapsed
    for (const n of e.nodes) {
      const list = counts.get(`node:${n}`) ?? [];
      const hit = list.find((r) => r.collapsed && r.at >= e.at - SLACK && r.at <= e.at + 5000 && r.frame !== null);
      if (hit) countSamples.push({ node: n, total: hit.frame! - e.updatedAt, exact });
    }
  }
  const countOnly = events.filter((e) => [...e.nodes].every((n) => !open.has(n)));
  const withPods = events.filter((e) => e.pods.length > 0 && [...e.nodes].some((n) => open.has(n)));
  const ok = (xs: number[]) => xs.filter(Number.isFinite);
  return {
    mode,
    events: events.length,
    seconds: (log.stoppedAt - log.startedAt) / 1000,
    add: stat(ok(samples.filter((s) => s.op === 'add').map((s) => s.total))),
    remove: stat(ok(samples.filter((s) => s.op === 'remove').map((s) => s.total))),
    both: stat(ok(samples.map((s) => s.total))),
    exact: samples.filter((s) => s.exact).length,
    toArrival: stat(ok(samples.map((s) => s.toArrival))),
    toFrame: stat(ok(samples.map((s) => s.toFrame))),
    samples,
    count: stat(ok(countSamples.map((s) => s.total))),
    countOnlyBytes: stat(countOnly.map((e) => e.bytes)),
    countOnlyWithPods: countOnly.filter((e) => e.detail).length,
    withPodsBytes: stat(withPods.map((e) => e.bytes)),
    unmatched,
  };
}
