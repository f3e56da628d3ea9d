// Dashboard benchmark, in headless Chromium: (a) for generated clusters (the synthetic
// source: 10x1000, 50x5000, 100x10000 by default) the time from navigation to the first
// drawn topology and to an interactive page (a click and a wheel zoom each answered
// within 100 ms), for podnet's page and, side by side in the same run, for a plain
// Cytoscape `preset` rendering of the same cluster (a static page this bench serves);
// (b) in a real lab, the time from a pod's CNI ADD (and DEL) to the frame that shows it
// (and no longer shows it). See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/dashboard.ts [--quick] [--rounds N] [--json]
//
// Everything listens on 127.0.0.1 only. The lab is b<random> (namespaces podnet-b<random>-…,
// state in /run/podnet/b<random>), taken down by the harness (bench/harness.ts) at the end,
// on failure and on SIGINT/SIGTERM; the dashboard servers (process groups of their own) are
// killed by their pid; the build goes to .next-bench, next to anyone else's .next.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { Topology } from '../lib/model/topology.js';
import {
  BenchFailure,
  UsageError,
  columnStats,
  f0,
  f1,
  f2,
  pluginDone,
  progress,
  progressDone,
  runTimed,
  sayOver as say,
  sleep,
  stat,
  table,
  type Stat,
} from './common.js';
import { freshLabId, harness, numberOption, runBench, userEnv, type OptionValues, type Teardown } from './harness.js';

// ---------------------------------------------------------------------------------------
// Options

const DEFAULT_SHAPES = ['10x1000', '50x5000', '100x10000'];

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/dashboard.ts [options]

Measures the dashboard in headless Chromium: (a) for generated clusters (PODNET_SOURCE=
synthetic), the time from navigation to the first drawn topology and to an interactive
page (a click and a wheel zoom each answered within 100 ms), for podnet's page and for a
plain Cytoscape preset rendering of the same cluster, side by side; (b) in a lab of its
own, the time from a pod's CNI ADD / DEL to the frame that shows the change.
Builds the dashboard into .next-bench when its sources changed. (b) runs as root.

options:
  --shapes LIST          NODESxPODS, comma-separated (default ${DEFAULT_SHAPES.join(',')})
  --rounds N             page loads per shape and page (default 5)
  --iterations N         pod ADD+DEL for (b) (default 20; 0 skips (b))
  --interactive-timeout S   give up waiting for "interactive" after S seconds (default 20)
  --pages LIST           podnet,preset (default both; the ratios need both)
  --quick                smallest shape only, 2 rounds, 5 iterations
  --rebuild              run next build even when .next-bench looks current
  --json                 print the results as JSON on stdout (progress goes to stderr)
  --json-file PATH       also write the JSON to PATH (the table still goes to stdout)
  -h, --help             this text`;

type PageName = 'podnet' | 'preset';

const OPTIONS = {
  shapes: { type: 'string' },
  pages: { type: 'string' },
  rounds: { type: 'string' },
  iterations: { type: 'string' },
  'interactive-timeout': { type: 'string' },
  quick: { type: 'boolean' },
  rebuild: { type: 'boolean' },
  'json-file': { type: 'string' },
} as const;

interface Options {
  shapes: string[];
  pages: PageName[];
  rounds: number;
  iterations: number;
  interactiveTimeoutMs: number;
  rebuild: boolean;
  quick: boolean;
  json: boolean;
  jsonFile: string | null;
}

function parseOptions(values: OptionValues<typeof OPTIONS>): Options {
  const quick = values.quick ?? false;
  const shapes =
    values.shapes !== undefined
      ? values.shapes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : quick
        ? [DEFAULT_SHAPES[0]!]
        : DEFAULT_SHAPES;
  for (const s of shapes)
    if (!/^[1-9]\d{0,3}x\d{1,6}$/.test(s)) throw new UsageError(`--shapes: "${s}" is not NODESxPODS (e.g. 100x10000)`);
  if (shapes.length === 0) throw new UsageError('--shapes: no shape given');
  const pages = (values.pages ?? 'podnet,preset')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of pages)
    if (p !== 'podnet' && p !== 'preset') throw new UsageError(`--pages: "${p}" is not podnet or preset`);
  if (pages.length === 0) throw new UsageError('--pages: no page given');
  return {
    shapes,
    pages: [...new Set(pages)] as PageName[],
    rounds: numberOption('rounds', values.rounds, quick ? 2 : 5, 1, 1000),
    iterations: numberOption('iterations', values.iterations, quick ? 5 : 20, 0, 1000),
    interactiveTimeoutMs: numberOption('interactive-timeout', values['interactive-timeout'], 20, 1, 600) * 1000,
    rebuild: values.rebuild ?? false,
    quick,
    json: values.json,
    jsonFile: values['json-file'] ?? null,
  };
}

// ---------------------------------------------------------------------------------------
// Constants of the setup

const REPO = fileURLToPath(new URL('..', import.meta.url));
const NEXT_BIN = join(REPO, 'node_modules', 'next', 'dist', 'bin', 'next');
const CYTOSCAPE_JS = join(REPO, 'node_modules', 'cytoscape', 'dist', 'cytoscape.min.js');
const PODNET_BIN = join(REPO, 'bin', 'podnet');
const DIST_DIR = '.next-bench';
const HOST = '127.0.0.1';
const CHROMIUM = '/usr/lib/chromium/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1600, height: 1000 };
/** an input is answered when the next animation frame after it comes within this */
const ANSWER_MS = 100;
const READY_TIMEOUT_MS = 120_000;
const SERVER_TIMEOUT_MS = 90_000;
/** (b): the lab */
const LAB_NODES = 3;
const LAB_PODS_PER_NODE = 2;
const EVENT_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------
// What runs in every measured page (both podnet's and the baseline), before its scripts:
// when the graph says it is drawn, long tasks, and the answers to the bench's inputs.
// A string: this file is checked without the DOM's types (tsconfig.node.json).

const PAGE_PROBE = `(() => {
  if (window.__bench) return;
  const B = window.__bench = { readyAt: null, firstFrameAt: null, snapshotAt: null, snapshotRequestAt: null, snapshotBytes: null, version: null, longTasks: [], inputs: [], watch: null };
  // When the first topology snapshot has arrived: the end of the topology.snapshot query's
  // response (resource timing), or a snapshot on the page's event stream (tRPC's SSE link
  // uses EventSource; a listener of ours, registered before the page's own), if earlier.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (!e.name.includes('topology.snapshot')) continue;
        if (B.snapshotAt === null || e.responseEnd < B.snapshotAt) B.snapshotAt = e.responseEnd;
        B.snapshotRequestAt = e.startTime;
        B.snapshotBytes = e.decodedBodySize || e.encodedBodySize || null;
      }
    }).observe({ type: 'resource', buffered: true });
  } catch {}
  const ES = window.EventSource;
  if (ES) {
    window.EventSource = class extends ES {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          if (B.snapshotAt === null && typeof e.data === 'string' && e.data.slice(0, 40).includes('"snapshot"')) B.snapshotAt = performance.now();
        });
      }
    };
  }
  const graph = () => document.querySelector('[data-testid="graph"]');
  const check = () => {
    if (B.readyAt !== null) return;
    const g = graph();
    if (g && g.getAttribute('data-ready') === 'true') {
      B.readyAt = performance.now();
      B.version = g.getAttribute('data-version');
      requestAnimationFrame(() => { B.firstFrameAt = performance.now(); });
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) B.longTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  } catch {}
  // Inputs: the time the browser stamped on the event (when it was generated, so time
  // spent queued behind a busy main thread counts) to the next animation frame after the
  // page handled it. A click runs from its mousedown to the frame after its click.
  const cyOf = () => (window.__podnetGraph && window.__podnetGraph.cy) || null;
  let down = null;
  addEventListener('mousedown', (e) => { down = e.timeStamp; }, true);
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

/** The baseline: cytoscape.min.js, the elements as JSON, a preset layout, a plain style. */
function baselineHtml(shape: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>cytoscape preset ${shape}</title>
<style>html,body{margin:0;height:100%;font-family:sans-serif}#graph{position:absolute;inset:0}</style>
<script src="/cytoscape.min.js"></script></head>
<body><div id="graph" data-testid="graph"></div>
<script>
fetch('/elements/${shape}.json').then((r) => r.json()).then((elements) => {
  const container = document.getElementById('graph');
  const cy = cytoscape({
    container,
    elements,
    layout: { name: 'preset' },
    style: [
      { selector: 'node', style: { label: 'data(label)', 'font-size': 10 } },
      { selector: 'node.box', style: { shape: 'round-rectangle', 'background-color': '#f1f5f9', 'border-width': 1, 'border-color': '#64748b', 'text-valign': 'top', 'text-halign': 'center' } },
      { selector: 'node.bridge', style: { shape: 'rectangle', width: 60, height: 16, 'background-color': '#0ea5e9' } },
      { selector: 'node.pod', style: { shape: 'ellipse', width: 24, height: 24, 'background-color': '#22c55e', 'text-valign': 'bottom' } },
    ],
  });
  window.__podnetGraph = { cy, version: 0 };
  cy.one('render', () => { container.setAttribute('data-version', '0'); container.setAttribute('data-ready', 'true'); });
});
</script></body></html>`;
}

// ---------------------------------------------------------------------------------------
// Resources: servers, the browser, the lab, the temp dir — the harness's to remove

let browser: Browser | null = null;
let staticServer: Server | null = null;
const servers = new Set<ChildProcess>();
let tempRoot = '';

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** Kills a server's process group (it was started detached, as its leader) by its pid. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (!exited(child) && child.pid) {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const timer = sleep(5000).then(() => 'timeout');
    if ((await Promise.race([gone.then(() => 'gone'), timer])) === 'timeout') {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await gone;
    }
  }
  servers.delete(child);
}

/** The bench's own clean-up, before the harness kills its other processes and takes the
 *  lab down: the browser, the servers, the static server. */
const closeAll: Teardown = {
  async cleanup() {
    try {
      await browser?.close();
    } catch {
      /* already gone */
    }
    browser = null;
    for (const s of [...servers]) await stopServer(s);
    staticServer?.closeAllConnections();
    staticServer?.close();
    staticServer = null;
  },
  /** at exit: only what is synchronous, the servers' process groups */
  onExit() {
    for (const s of servers)
      if (!exited(s) && s.pid) {
        try {
          process.kill(-s.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
  },
};

// ---------------------------------------------------------------------------------------
// Processes and servers

const run = (file: string, args: string[], env?: NodeJS.ProcessEnv) =>
  runTimed(file, args, { cwd: REPO, env, live: harness.children });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The environment without any PODNET_* of the caller's shell: the server gets only ours. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...userEnv(),
    NEXT_TELEMETRY_DISABLED: '1',
    PODNET_DIST_DIR: DIST_DIR,
    PODNET_DASHBOARD_TOKEN_FILE: keyFile(),
    ...extra,
  };
}

/** The dashboard runs with a key, as users run it; the bench sends it as a bearer. */
const BENCH_KEY = randomBytes(24).toString('base64url');
const keyFile = () => {
  const file = join(tempRoot, 'dashboard.key');
  if (!existsSync(file)) writeFileSync(file, `${BENCH_KEY}\n`, { mode: 0o600 });
  return file;
};
const AUTH = { authorization: `Bearer ${BENCH_KEY}` };

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 5000, headers: AUTH }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

interface Dashboard {
  url: string;
  child: ChildProcess;
  log: string;
  /** from spawn until GET /api/trpc/cluster.info answered (it builds the cluster view) */
  startMs: number;
}

async function startDashboard(name: string, env: Record<string, string>): Promise<Dashboard> {
  const port = await freePort();
  const log = join(tempRoot, `next-${name}.log`);
  const fd = openSync(log, 'w');
  const t0 = performance.now();
  // A process group of its own, so the whole server goes with one kill of its pid.
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', HOST, '-p', String(port)], {
    cwd: REPO,
    env: cleanEnv(env),
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  servers.add(child);
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + SERVER_TIMEOUT_MS;
  for (;;) {
    if (exited(child))
      throw new BenchFailure(
        `the dashboard (${name}) exited with ${child.exitCode ?? child.signalCode}:\n${tail(log)}`,
      );
    if ((await getStatus(`${url}/api/trpc/cluster.info`)) === 200) break;
    if (Date.now() > deadline)
      throw new BenchFailure(
        `the dashboard (${name}) did not answer GET /api/trpc/cluster.info within ${SERVER_TIMEOUT_MS / 1000} s:\n${tail(log)}`,
      );
    await sleep(100);
  }
  return { url, child, log, startMs: performance.now() - t0 };
}

const tail = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
};

async function buildOnce(opts: Options): Promise<{ built: boolean; ms: number }> {
  const { buildIsCurrent, buildDashboard } = await import('../cli/dashboard-process.js');
  if (!opts.rebuild && buildIsCurrent(DIST_DIR)) return { built: false, ms: 0 };
  const t0 = performance.now();
  await buildDashboard(
    (m) => say(m.replace('next build', `next build into ${DIST_DIR}`)),
    { PODNET_DIST_DIR: DIST_DIR },
    join(tempRoot, 'next-build.log'),
  );
  return { built: true, ms: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------
// The baseline's page and data, served from this process

interface BaselineData {
  json: string;
  nodes: number;
  bridges: number;
  pods: number;
}

/** The synthetic cluster as plain Cytoscape elements: a compound box per node holding its
 *  bridge and its pods, in a grid, positions precomputed (a preset layout). */
function baselineElements(t: Topology): BaselineData {
  const byNode = new Map<string, string[]>();
  for (const n of t.nodes) byNode.set(n.name, []);
  for (const p of t.pods) if (p.node) byNode.get(p.node)?.push(p.key);
  const most = Math.max(1, ...[...byNode.values()].map((x) => x.length));
  const S = 60; // pod pitch
  const inner = Math.ceil(Math.sqrt(most));
  const rows = Math.ceil(most / inner);
  const boxW = inner * S + 120;
  const boxH = (rows + 1) * S + 120;
  const cols = Math.ceil(Math.sqrt(t.nodes.length));
  const els: unknown[] = [];
  t.nodes.forEach((n, j) => {
    const x0 = (j % cols) * boxW;
    const y0 = Math.floor(j / cols) * boxH;
    const box = `node:${n.name}`;
    els.push({
      group: 'nodes',
      data: { id: box, label: `${n.name} ${n.ip ?? ''} ${n.podCIDR ?? ''}` },
      classes: 'box',
    });
    els.push({
      group: 'nodes',
      data: {
        id: `bridge:${n.name}`,
        parent: box,
        label: `${n.bridge?.name ?? 'v-net-0'} ${n.bridge?.addresses[0] ?? ''}`,
      },
      classes: 'bridge',
      position: { x: x0 + ((inner - 1) * S) / 2, y: y0 },
    });
    byNode.get(n.name)!.forEach((key, k) => {
      els.push({
        group: 'nodes',
        data: { id: `pod:${key}`, parent: box, label: key },
        classes: 'pod',
        position: { x: x0 + (k % inner) * S, y: y0 + S + Math.floor(k / inner) * S },
      });
    });
  });
  return { json: JSON.stringify(els), nodes: t.nodes.length, bridges: t.nodes.length, pods: t.pods.length };
}

async function startStaticServer(data: Map<string, BaselineData>): Promise<string> {
  const cytoscape = readFileSync(CYTOSCAPE_JS);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    let m: RegExpExecArray | null;
    if (path === '/cytoscape.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'content-length': cytoscape.length });
      res.end(cytoscape);
    } else if ((m = /^\/elements\/(\d+x\d+)\.json$/.exec(path)) && data.has(m[1]!)) {
      const body = Buffer.from(data.get(m[1]!)!.json);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    } else if ((m = /^\/(\d+x\d+)$/.exec(path)) && data.has(m[1]!)) {
      const body = Buffer.from(baselineHtml(m[1]!));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  staticServer = server;
  await new Promise<void>((r) => server.listen(0, HOST, () => r()));
  return `http://${HOST}:${(server.address() as { port: number }).port}`;
}

// ---------------------------------------------------------------------------------------
// (a) one page load: first render and interactive

interface Load {
  /** navigation start → the first topology snapshot arrived (the topology.snapshot query,
   *  or on the event stream; NaN: not seen) */
  snapshot: number;
  /** when the topology.snapshot query was sent (NaN: no such query) */
  snapshotRequest: number;
  /** its size, decoded (the query's; null when unknown) */
  snapshotBytes: number | null;
  /** navigation start → the graph's data-ready="true" */
  firstRender: number;
  /** the next animation frame after it */
  firstFrame: number;
  /** navigation start → the later frame of the first click + wheel that were both answered
   *  within 100 ms; NaN: not within the timeout */
  interactive: number;
  /** inputs sent until then (clicks and wheels) */
  probes: number;
  /** the slowest answer among them (ms) */
  worstAnswer: number;
  responseStart: number;
  domContentLoaded: number;
  longTasks: number;
  longestTask: number;
  /** long tasks before interactive, summed */
  longTaskMs: number;
  elements: { nodes: number; edges: number };
  zoomChanged: boolean;
  /** every input until interactive: [kind, sent at (ms from navigation start), answered
   *  after (ms), what was clicked] */
  answers: [string, number, number, string][];
}

interface PageInput {
  kind: 'click' | 'wheel';
  t0: number;
  frame: number;
  changed: boolean;
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, extraHTTPHeaders: AUTH });
  await context.addInitScript({ content: PAGE_PROBE });
  const page = await context.newPage();
  return { context, page };
}

/** Where to click: inside the top-left corner of the first node box (a compound node), on the canvas. */
const CLICK_TARGET = `(() => {
  const cy = window.__podnetGraph && window.__podnetGraph.cy;
  const c = cy ? cy.container().getBoundingClientRect() : document.body.getBoundingClientRect();
  const inside = (x, y) => x > c.left + 2 && x < c.right - 2 && y > c.top + 2 && y < c.bottom - 2 && x < innerWidth && y < innerHeight;
  if (cy) {
    // podnet's node boxes (kind "node"), else the baseline's (compound parents), else any node
    const own = cy.nodes('[kind = "node"]');
    const boxes = own.nonempty() ? own : cy.nodes(':parent');
    const n = boxes.nonempty() ? boxes[0] : cy.nodes()[0];
    if (n) {
      const bb = n.renderedBoundingBox({ includeLabels: false });
      const x = c.left + bb.x1 + Math.min(6, bb.w / 4), y = c.top + bb.y1 + Math.min(6, bb.h / 4);
      if (inside(x, y)) return { x, y, on: n.id() };
    }
  }
  return { x: (c.left + Math.min(c.right, innerWidth)) / 2, y: (c.top + Math.min(c.bottom, innerHeight)) / 2, on: 'canvas' };
})()`;

async function measureLoad(url: string, timeoutMs: number): Promise<Load> {
  const { context, page } = await newPage();
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: READY_TIMEOUT_MS });
    await page.waitForFunction('window.__bench && window.__bench.readyAt !== null', undefined, {
      timeout: READY_TIMEOUT_MS,
      polling: 20,
    });
    const firstRender = (await page.evaluate<number>('window.__bench.readyAt'))!;
    // Inputs until a click and a wheel, sent one after the other, are both answered in time.
    const deadline = Date.now() + timeoutMs;
    let interactive = NaN;
    let probes = 0;
    let worst = 0;
    let zoomChanged = false;
    let dir = 1;
    const answers: Load['answers'] = [];
    while (Date.now() < deadline) {
      const target = await page.evaluate<{ x: number; y: number; on: string }>(CLICK_TARGET);
      const before = await page.evaluate<number>('window.__bench.inputs.length');
      await page.mouse.click(target.x, target.y);
      await page.mouse.wheel(0, 100 * dir);
      dir = -dir;
      probes += 2;
      await page
        .waitForFunction(`window.__bench.inputs.length >= ${before + 2}`, undefined, {
          timeout: Math.max(1000, deadline - Date.now()),
          polling: 10,
        })
        .catch(() => undefined);
      const got = await page.evaluate<PageInput[]>(`window.__bench.inputs.slice(${before})`);
      const click = got.find((i) => i.kind === 'click');
      const wheel = got.find((i) => i.kind === 'wheel');
      for (const i of got) {
        worst = Math.max(worst, i.frame - i.t0);
        answers.push([
          i.kind,
          Math.round(i.t0),
          Math.round(i.frame - i.t0),
          i.kind === 'click' ? target.on : i.changed ? 'zoomed' : 'no zoom',
        ]);
      }
      if (wheel?.changed) zoomChanged = true;
      if (
        click &&
        wheel &&
        click.frame - click.t0 <= ANSWER_MS &&
        wheel.frame - wheel.t0 <= ANSWER_MS &&
        wheel.changed
      ) {
        interactive = Math.max(click.frame, wheel.frame);
        break;
      }
      await sleep(30);
    }
    const info = await page.evaluate<{
      snapshot: number;
      snapshotRequest: number;
      snapshotBytes: number | null;
      firstFrame: number;
      responseStart: number;
      dcl: number;
      longTasks: [number, number][];
      nodes: number;
      edges: number;
    }>(`(() => {
      const nav = performance.getEntriesByType('navigation')[0] || {};
      const cy = window.__podnetGraph && window.__podnetGraph.cy;
      return { snapshot: window.__bench.snapshotAt ?? NaN, snapshotRequest: window.__bench.snapshotRequestAt ?? NaN, snapshotBytes: window.__bench.snapshotBytes, firstFrame: window.__bench.firstFrameAt ?? NaN, responseStart: nav.responseStart ?? NaN, dcl: nav.domContentLoadedEventEnd ?? NaN,
        longTasks: window.__bench.longTasks, nodes: cy ? cy.nodes().length : 0, edges: cy ? cy.edges().length : 0 };
    })()`);
    const end = Number.isFinite(interactive) ? interactive : Infinity;
    const before = info.longTasks.filter(([s]) => s < end);
    return {
      snapshot: info.snapshot,
      snapshotRequest: info.snapshotRequest,
      snapshotBytes: info.snapshotBytes,
      firstRender,
      firstFrame: info.firstFrame,
      interactive,
      probes,
      worstAnswer: worst,
      responseStart: info.responseStart,
      domContentLoaded: info.dcl,
      longTasks: before.length,
      longestTask: before.reduce((m, [, d]) => Math.max(m, d), 0),
      longTaskMs: before.reduce((s, [, d]) => s + d, 0),
      elements: { nodes: info.nodes, edges: info.edges },
      zoomChanged,
      answers,
    };
  } finally {
    await context.close();
  }
}

interface PageResults {
  loads: Load[];
  /** navigation start → the snapshot on the page's event stream (podnet only) */
  snapshot: Stat;
  firstRender: Stat;
  interactive: Stat;
  /** loads that did not become interactive within the timeout */
  notInteractive: number;
  longestTask: Stat;
  elements: { nodes: number; edges: number };
}

interface ShapeResults {
  shape: string;
  nodes: number;
  pods: number;
  /** from spawning the podnet server to its first answer (it builds the cluster view) */
  serverStartMs: number | null;
  podnet: PageResults | null;
  preset: PageResults | null;
  /** podnet ÷ preset; NaN without both */
  ratio: { firstRenderP50: number; firstRenderP95: number; interactiveP50: number; interactiveP95: number };
}

function pageResults(loads: Load[]): PageResults {
  const ok = loads.filter((l) => Number.isFinite(l.interactive));
  const last = loads.at(-1);
  return {
    loads,
    snapshot: stat(loads.map((l) => l.snapshot).filter(Number.isFinite)),
    firstRender: stat(loads.map((l) => l.firstRender)),
    // A load that never became interactive counts as +Infinity: it pushes the percentiles up.
    interactive: {
      ...stat(loads.map((l) => (Number.isFinite(l.interactive) ? l.interactive : Infinity))),
      n: ok.length,
    },
    notInteractive: loads.length - ok.length,
    longestTask: stat(loads.map((l) => l.longestTask)),
    elements: last?.elements ?? { nodes: 0, edges: 0 },
  };
}

async function benchShape(shape: string, opts: Options, presetUrl: string): Promise<ShapeResults> {
  let dash: Dashboard | null = null;
  if (opts.pages.includes('podnet')) {
    say(`(a) ${shape}: starting the dashboard (PODNET_SOURCE=synthetic PODNET_SYNTHETIC=${shape})`);
    dash = await startDashboard(`synthetic-${shape}`, { PODNET_SOURCE: 'synthetic', PODNET_SYNTHETIC: shape });
  }
  try {
    const urls: Record<PageName, string> = { podnet: dash ? `${dash.url}/` : '', preset: `${presetUrl}/${shape}` };
    // Untimed: one load of each (the server's first page, the browser's first canvas).
    progress(`(a) ${shape}: warm-up loads`);
    for (const which of opts.pages) {
      try {
        await measureLoad(urls[which], 2000);
      } catch (e) {
        throw new BenchFailure(
          `(a) ${shape}: the ${which} page did not draw within ${READY_TIMEOUT_MS / 1000} s (${(e as Error).message.split('\n')[0]})${dash && which === 'podnet' ? `\n  server log:\n${tail(dash.log)}` : ''}`,
        );
      }
    }
    const loads: Record<PageName, Load[]> = { podnet: [], preset: [] };
    for (let r = 0; r < opts.rounds; r++) {
      // The pages take turns, the first alternating by round.
      const order = r % 2 === 0 ? opts.pages : [...opts.pages].reverse();
      for (const which of order) {
        progress(`(a) ${shape} round ${r + 1}/${opts.rounds}: ${which}`);
        loads[which].push(await measureLoad(urls[which], opts.interactiveTimeoutMs));
      }
      say(
        `(a) ${shape} round ${r + 1}/${opts.rounds}: ${opts.pages.map((w) => `${PAGE_LABEL[w]} ${f0(loads[w].at(-1)!.firstRender)} / ${fint(loads[w].at(-1)!.interactive)} ms`).join(', ')} (first render / interactive)`,
      );
    }
    const podnet = opts.pages.includes('podnet') ? pageResults(loads.podnet) : null;
    const preset = opts.pages.includes('preset') ? pageResults(loads.preset) : null;
    const [n, pods] = shape.split('x').map(Number) as [number, number];
    // No ratio against a page that never got there.
    const q = (f: (r: PageResults) => number) =>
      podnet && preset && Number.isFinite(f(preset)) ? f(podnet) / f(preset) : NaN;
    return {
      shape,
      nodes: n,
      pods,
      serverStartMs: dash?.startMs ?? null,
      podnet,
      preset,
      ratio: {
        firstRenderP50: q((r) => r.firstRender.p50),
        firstRenderP95: q((r) => r.firstRender.p95),
        interactiveP50: q((r) => r.interactive.p50),
        interactiveP95: q((r) => r.interactive.p95),
      },
    };
  } finally {
    if (dash) await stopServer(dash.child);
  }
}

const PAGE_LABEL: Record<PageName, string> = { podnet: 'podnet', preset: 'cytoscape preset' };

const fint = (x: number) => (Number.isFinite(x) ? f0(x) : x === Infinity ? 'never' : '-');

// ---------------------------------------------------------------------------------------
// (b) event to screen, in a lab

interface EventSample {
  pod: string;
  node: string;
  /** podAdd(): lab lock, netns, CNI ADD, inventory */
  addMs: number;
  /** podAdd resolved (the ADD finished, the inventory written) → the frame that has the pod; < 0: drawn first */
  addDoneToScreen: number;
  /** the plugin's "ADD done" line in the node's cni.log (wall clock, 1 ms) → that frame */
  pluginAddDoneToScreen: number | null;
  /** podAdd called → that frame */
  addStartToScreen: number;
  delMs: number;
  delDoneToScreen: number;
  pluginDelDoneToScreen: number | null;
}

interface LabResults {
  labId: string;
  labUpMs: number;
  samples: EventSample[];
  addDoneToScreen: Stat;
  pluginAddDoneToScreen: Stat;
  addStartToScreen: Stat;
  add: Stat;
  delDoneToScreen: Stat;
  pluginDelDoneToScreen: Stat;
  /** the page's first load on the lab */
  firstRender: number;
}

async function waitWatch(page: Page, what: string): Promise<number> {
  await page
    .waitForFunction('window.__bench.watch && window.__bench.watch.at !== null', undefined, {
      timeout: EVENT_TIMEOUT_MS,
      polling: 10,
    })
    .catch(() => {
      throw new BenchFailure(`(b) the page did not show ${what} within ${EVENT_TIMEOUT_MS / 1000} s`);
    });
  return (await page.evaluate<number>('window.__bench.watch.at'))!;
}

async function benchLab(opts: Options): Promise<LabResults> {
  const M = {
    pods: await import('../lab/pods.js'),
    paths: await import('../lab/paths.js'),
    inventory: await import('../lab/inventory.js'),
  };
  const id = freshLabId();
  const P = M.paths.labPaths(id);
  say(`(b) lab ${id}: bin/podnet lab up --lab-id ${id} --nodes ${LAB_NODES} --pods-per-node ${LAB_PODS_PER_NODE}`);
  harness.lab(id); // from here on clean-up runs lab down
  const up = await run(
    PODNET_BIN,
    ['lab', 'up', '--lab-id', id, '--nodes', String(LAB_NODES), '--pods-per-node', String(LAB_PODS_PER_NODE)],
    { ...process.env, PODNET_LAB: id },
  );
  if (up.status !== 0)
    throw new BenchFailure(
      `lab up failed (exit ${up.status}):\n${(up.stderr || up.stdout).trim().split('\n').slice(-15).join('\n')}`,
    );
  const inv = M.inventory.readInventory(P);
  if (!inv) throw new BenchFailure('the lab has no inventory after lab up');
  const nodes = inv.nodes.map((n) => n.name);
  say(`(b) lab up: ${f1(up.ms / 1000)} s; starting the dashboard on it (PODNET_SOURCE=lab PODNET_LAB=${id})`);
  const dash = await startDashboard(`lab-${id}`, { PODNET_SOURCE: 'lab', PODNET_LAB: id });
  const samples: EventSample[] = [];
  const { context, page } = await newPage();
  try {
    await page.goto(`${dash.url}/`, { waitUntil: 'commit', timeout: READY_TIMEOUT_MS });
    await page
      .waitForFunction('window.__bench && window.__bench.readyAt !== null', undefined, {
        timeout: READY_TIMEOUT_MS,
        polling: 20,
      })
      .catch(() => {
        throw new BenchFailure(
          `(b) the podnet page on the lab did not draw within ${READY_TIMEOUT_MS / 1000} s\n  server log:\n${tail(dash.log)}`,
        );
      });
    const firstRender = (await page.evaluate<number>('window.__bench.readyAt'))!;
    // Every pod of the lab drawn, then a moment of quiet.
    const want = inv.pods.map((p) => `pod:${p.namespace}/${p.name}`);
    await page
      .waitForFunction(
        `(() => { const cy = window.__podnetGraph && window.__podnetGraph.cy; return !!cy && ${JSON.stringify(want)}.every((id) => cy.getElementById(id).nonempty()); })()`,
        undefined,
        { timeout: 30_000, polling: 50 },
      )
      .catch(() => {
        throw new BenchFailure(`(b) the page did not show the lab's ${want.length} pods within 30 s`);
      });
    await sleep(1000);
    for (let i = 1; i <= opts.iterations; i++) {
      const name = `bench-${i}`;
      const node = nodes[(i - 1) % nodes.length]!;
      const elementId = `pod:default/${name}`;
      progress(`(b) ${i}/${opts.iterations}: add default/${name} on ${node}`);
      await page.evaluate(`window.__bench.watchFor(${JSON.stringify(elementId)}, true)`);
      const a0 = Date.now();
      const pod = await M.pods.podAdd(P, `default/${name}`, node);
      const a1 = Date.now();
      const shown = await waitWatch(page, `default/${name}`);
      const cniLog = join(P.stateDir, 'nodes', node, 'cni.log');
      const addPlugin = pluginDone(cniLog, 'ADD', pod.containerID);
      await sleep(300);

      progress(`(b) ${i}/${opts.iterations}: del default/${name}`);
      await page.evaluate(`window.__bench.watchFor(${JSON.stringify(elementId)}, false)`);
      const d0 = Date.now();
      await M.pods.podDel(P, `default/${name}`);
      const d1 = Date.now();
      const gone = await waitWatch(page, `default/${name} gone`);
      const delPlugin = pluginDone(cniLog, 'DEL', pod.containerID);
      await sleep(300);
      const s: EventSample = {
        pod: `default/${name}`,
        node,
        addMs: a1 - a0,
        addDoneToScreen: shown - a1,
        pluginAddDoneToScreen: addPlugin === null ? null : shown - addPlugin,
        addStartToScreen: shown - a0,
        delMs: d1 - d0,
        delDoneToScreen: gone - d1,
        pluginDelDoneToScreen: delPlugin === null ? null : gone - delPlugin,
      };
      samples.push(s);
      say(
        `(b) ${i}/${opts.iterations} ${s.pod} on ${node}: ADD ${f0(s.addMs)} ms, on screen ${f0(s.addDoneToScreen)} ms after it returned (${s.pluginAddDoneToScreen === null ? '-' : f0(s.pluginAddDoneToScreen)} after the plugin's ADD done); DEL: gone ${f0(s.delDoneToScreen)} ms after`,
      );
    }
    return {
      labId: id,
      labUpMs: up.ms,
      samples,
      ...columnStats(samples, {
        addDoneToScreen: 'addDoneToScreen',
        pluginAddDoneToScreen: 'pluginAddDoneToScreen',
        addStartToScreen: 'addStartToScreen',
        add: 'addMs',
        delDoneToScreen: 'delDoneToScreen',
        pluginDelDoneToScreen: 'pluginDelDoneToScreen',
      }),
      firstRender,
    };
  } finally {
    await context.close();
    await stopServer(dash.child);
  }
}

// ---------------------------------------------------------------------------------------
// Report

const fms = (x: number) =>
  x === Infinity ? 'never' : !Number.isFinite(x) ? '-' : Math.abs(x) < 10 ? x.toFixed(1) : x.toFixed(0);
const fx = (x: number) => (Number.isFinite(x) ? `${f2(x)}x` : '-');

interface Meta {
  date: string;
  node: string;
  chromium: string;
  kernel: string;
  cpus: number;
  load: string;
  options: Options;
  build: { built: boolean; ms: number };
}

interface Target {
  what: string;
  value: string;
  target: string;
  met: boolean | null;
}

function targets(a: ShapeResults[], b: LabResults | null): Target[] {
  const t: Target[] = [];
  const big = a.find((s) => s.pods === 10_000 && s.podnet);
  if (big) {
    const v = big.podnet!.interactive;
    t.push({
      what: `podnet interactive at ${big.shape}, p50`,
      value: `${fms(v.p50)} ms`,
      target: '< 1500 ms',
      met: v.p50 < 1500,
    });
    t.push({
      what: `podnet interactive at ${big.shape}, p95`,
      value: `${fms(v.p95)} ms`,
      target: '< 1500 ms',
      met: v.p95 < 1500,
    });
  }
  if (b)
    t.push({
      what: 'event to screen (ADD returned → drawn), p95',
      value: `${fms(b.addDoneToScreen.p95)} ms`,
      target: '< 250 ms',
      met: b.addDoneToScreen.p95 < 250,
    });
  if (b)
    t.push({
      what: "event to screen (plugin's ADD done → drawn), p95",
      value: `${fms(b.pluginAddDoneToScreen.p95)} ms`,
      target: '< 250 ms',
      met: b.pluginAddDoneToScreen.n ? b.pluginAddDoneToScreen.p95 < 250 : null,
    });
  return t;
}

function printText(meta: Meta, a: ShapeResults[], b: LabResults | null): void {
  const L: string[] = [];
  L.push(`podnet dashboard benchmark — ${meta.date}`);
  L.push(
    `node ${meta.node}, Chromium ${meta.chromium} (headless, --disable-gpu), kernel ${meta.kernel}, ${meta.cpus} CPU(s), load ${meta.load}; viewport ${VIEWPORT.width}x${VIEWPORT.height}`,
  );
  const needsBuild = meta.options.pages.includes('podnet') || meta.options.iterations > 0;
  L.push(
    meta.build.built
      ? `build: next build into ${DIST_DIR} (${f1(meta.build.ms / 1000)} s)`
      : needsBuild
        ? `build: ${DIST_DIR} was current`
        : 'build: none (podnet not measured)',
  );
  L.push('');
  L.push(
    `(a) first render and interactive (ms from navigation start; ${meta.options.rounds} cold loads per page and shape, the pages taking turns; nearest-rank percentiles)`,
  );
  L.push(
    '    first render: the graph element says data-ready="true"; interactive: a click on a node box and a wheel zoom both answered (next frame) within 100 ms',
  );
  L.push('');
  const rows: string[][] = [];
  for (const s of a) {
    for (const [label, r] of [
      ['podnet', s.podnet],
      ['cytoscape preset', s.preset],
    ] as const) {
      if (!r) continue;
      rows.push([
        s.shape,
        label,
        `${r.elements.nodes}/${r.elements.edges}`,
        r.snapshot.n ? fms(r.snapshot.p50) : '-',
        fms(r.firstRender.p50),
        fms(r.firstRender.p95),
        fms(r.interactive.p50),
        fms(r.interactive.p95),
        r.notInteractive ? `${r.notInteractive}/${r.loads.length}` : '0',
        fms(r.longestTask.p50),
      ]);
    }
    if (s.podnet && s.preset)
      rows.push([
        s.shape,
        'podnet ÷ preset',
        '',
        '',
        fx(s.ratio.firstRenderP50),
        fx(s.ratio.firstRenderP95),
        fx(s.ratio.interactiveP50),
        fx(s.ratio.interactiveP95),
        '',
        '',
      ]);
  }
  L.push(
    table(
      [
        'shape',
        'page',
        'nodes/edges',
        'data p50',
        'render p50',
        'p95',
        'interactive p50',
        'p95',
        'never',
        'longest task p50',
      ],
      rows,
      2,
    ),
  );
  L.push('');
  L.push(
    'data: the topology snapshot has arrived (podnet: the topology.snapshot query\'s response end). "never": not interactive within --interactive-timeout s',
  );
  L.push(
    'after first render (counted as infinite in the percentiles; no ratio against it). nodes/edges: what cy had drawn.',
  );
  if (b) {
    L.push('');
    L.push(
      `(b) event to screen in lab ${b.labId} (${LAB_NODES} nodes, ${LAB_PODS_PER_NODE} pods each, host-gw; lab up ${f1(b.labUpMs / 1000)} s): ${b.samples.length} pods added with podAdd() and deleted (ms)`,
    );
    L.push('');
    const row = (label: string, s: Stat, note = '') => [
      label,
      String(s.n),
      fms(s.p50),
      fms(s.p95),
      fms(s.min),
      fms(s.max),
      note,
    ];
    L.push(
      table(
        ['', 'n', 'p50', 'p95', 'min', 'max', ''],
        [
          row('ADD returned → pod drawn', b.addDoneToScreen, '< 0: drawn before podAdd() returned'),
          row("plugin's ADD done (cni.log) → pod drawn", b.pluginAddDoneToScreen, 'wall clocks, 1 ms'),
          row('podAdd() called → pod drawn', b.addStartToScreen),
          row('podAdd() itself', b.add, 'lab lock, netns, CNI ADD, inventory'),
          row('DEL returned → pod gone from the graph', b.delDoneToScreen),
          row("plugin's DEL done (cni.log) → gone", b.pluginDelDoneToScreen),
        ],
        1,
      ),
    );
  }
  L.push('');
  L.push('targets');
  L.push('');
  L.push(
    table(
      ['', 'value', 'target', ''],
      targets(a, b).map((t) => [t.what, t.value, t.target, t.met === null ? '-' : t.met ? 'met' : 'MISSED']),
      1,
    ),
  );
  process.stdout.write(L.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------
// Main

async function measure(opts: Options): Promise<number> {
  harness.onCleanup(closeAll);
  tempRoot = harness.tempDir('dashboard');
  const build = opts.pages.includes('podnet') || opts.iterations > 0 ? await buildOnce(opts) : { built: false, ms: 0 };
  if (build.built) say(`build: ${f1(build.ms / 1000)} s`);

  // The same clusters the synthetic source gives the server: it is deterministic.
  const { SyntheticSource } = await import('../server/sources/synthetic.js');
  const { mergeTopology } = await import('../server/topology/merge.js');
  const data = new Map<string, BaselineData>();
  for (const shape of opts.shapes)
    data.set(shape, baselineElements(mergeTopology(new SyntheticSource(shape, { churnMs: null }).read(), false)));
  const baselineUrl = await startStaticServer(data);

  const { chromium } = await import('@playwright/test');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });

  const a: ShapeResults[] = [];
  for (const shape of opts.shapes) a.push(await benchShape(shape, opts, baselineUrl));
  let b: LabResults | null = null;
  if (opts.iterations > 0) b = await benchLab(opts);
  progressDone();

  const meta: Meta = {
    date: new Date().toISOString(),
    node: process.version,
    chromium: browser.version(),
    kernel: release(),
    cpus: cpus().length,
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    options: opts,
    build,
  };
  const round = (_k: string, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v)
      ? Math.round(v * 10) / 10
      : v === Infinity
        ? 'Infinity'
        : v;
  const json = JSON.stringify({ meta, shapes: a, events: b, targets: targets(a, b) }, round, 2) + '\n';
  if (opts.jsonFile) writeFileSync(opts.jsonFile, json);
  if (opts.json) {
    process.stdout.write(json);
  } else {
    printText(meta, a, b);
  }
  return 0;
}

runBench({
  usage: USAGE,
  options: OPTIONS,
  parse: parseOptions,
  needs: (o) => ({
    root:
      o.iterations > 0
        ? 'bench/dashboard.ts must run as root for (b): it builds a lab of network namespaces (--iterations 0 skips it)'
        : null,
    files: [NEXT_BIN, CYTOSCAPE_JS, CHROMIUM],
  }),
  stopping: 'cleaning up',
  run: measure,
});
