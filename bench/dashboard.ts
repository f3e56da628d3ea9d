// Dashboard benchmark, in headless Chromium, for the figures of issue 13 in one run:
// (a) for generated clusters (the synthetic source: 10x1000, 100x10000, 1000x100000 by
// default) the time from navigation to the first drawn topology and to an interactive page
// (a click and a wheel zoom each answered within 100 ms), the bytes of data (tRPC: JSON and
// the event stream, from the browser's network events) received before first render,
// opening a collapsed node's pods with a click, frame times while panning and zooming
// with the mouse and the page's JS heap, for podnet's page and, side by side in the same
// run up to 10,000 pods, for a plain Cytoscape `preset` rendering of the same cluster (a
// static page this bench serves); (b) in a real lab, the time from a pod's CNI ADD (and
// DEL) to the frame that shows it (and no longer shows it); (c) on a churning synthetic
// cluster (PODNET_SYNTHETIC_CHURN_MS), the time from a pod's change on the server to the
// frame that shows it on a page that has its node open, and the bytes of each event on
// the stream. bench/dashboard-page.ts holds the in-page probe and the CDP measurements.
// See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/dashboard.ts [--quick] [--rounds N] [--json]
//
// Everything listens on 127.0.0.1 only. The lab is b<random> (namespaces podnet-b<random>-…,
// state in /run/podnet/b<random>), taken down by the harness (bench/harness.ts) at the end,
// on failure and on SIGINT/SIGTERM; the dashboard servers (process groups of their own) are
// killed by their pid; the build goes to .next-bench, next to anyone else's .next.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, CDPSession, Page } from '@playwright/test';
import type { Topology } from '../lib/model/topology.js';
import {
  analyseStream,
  heapAfterGc,
  isTrpc,
  measureFrames,
  measureOpen,
  NetLog,
  PAGE_PROBE,
  type BytesUntil,
  type FrameResult,
  type Heap,
  type OpenResult,
  type StreamAnalysis,
  type StreamLog,
} from './dashboard-page.js';
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
import { SERVER_V8_FLAGS } from '../cli/dashboard-process.js';
import { freshLabId, harness, numberOption, runBench, userEnv, type OptionValues, type Teardown } from './harness.js';

// ---------------------------------------------------------------------------------------
// Options

const DEFAULT_SHAPES = ['10x1000', '100x10000', '1000x100000'];

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/dashboard.ts [options]

Measures the dashboard in headless Chromium: (a) for generated clusters (PODNET_SOURCE=
synthetic), from navigation to the first drawn topology and to an interactive page (a
click and a wheel zoom each answered within 100 ms), the data received before first
render, opening a collapsed node's pods, frame times while panning and zooming and the JS
heap, for podnet's page and (up to --preset-max pods) a plain Cytoscape preset rendering
of the same cluster, side by side; (b) in a lab of its own, the time from a pod's CNI
ADD / DEL to the frame that shows the change; (c) on a churning synthetic cluster, a
pod's change to the frame on a page that has its node open, and the bytes per event.
Builds the dashboard into .next-bench when its sources changed. (b) runs as root.

options:
  --shapes LIST          NODESxPODS, comma-separated (default ${DEFAULT_SHAPES.join(',')})
  --rounds N             page loads per shape and page (default 5)
  --big-rounds N         the same for shapes above 10,000 pods (default 3)
  --preset-max N         the preset page only up to N pods (default 10000)
  --iterations N         pod ADD+DEL for (b) (default 20; 0 skips (b))
  --latency-shape S      the churning cluster of (c) (default: the largest of --shapes)
  --churn-ms N           (c): a pod added or removed every N ms (default 50)
  --latency-seconds S    (c): how long to watch the stream (default 180; 0 skips (c))
  --interactive-timeout S   give up waiting for "interactive" after S seconds (default 20)
  --pages LIST           podnet,preset (default both; the ratios need both)
  --quick                smallest shape only, 2 rounds, 5 iterations, (c) for 20 s
  --rebuild              run next build even when .next-bench looks current
  --json                 print the results as JSON on stdout (progress goes to stderr)
  --json-file PATH       also write the JSON to PATH (the table still goes to stdout)
  -h, --help             this text`;

type PageName = 'podnet' | 'preset';

const OPTIONS = {
  shapes: { type: 'string' },
  pages: { type: 'string' },
  rounds: { type: 'string' },
  'big-rounds': { type: 'string' },
  'preset-max': { type: 'string' },
  iterations: { type: 'string' },
  'latency-shape': { type: 'string' },
  'churn-ms': { type: 'string' },
  'latency-seconds': { type: 'string' },
  'interactive-timeout': { type: 'string' },
  quick: { type: 'boolean' },
  rebuild: { type: 'boolean' },
  'json-file': { type: 'string' },
} as const;

interface Options {
  shapes: string[];
  pages: PageName[];
  rounds: number;
  bigRounds: number;
  presetMax: number;
  iterations: number;
  latencyShape: string | null;
  churnMs: number;
  latencySeconds: number;
  interactiveTimeoutMs: number;
  rebuild: boolean;
  quick: boolean;
  json: boolean;
  jsonFile: string | null;
}

const SHAPE_RE = /^[1-9]\d{0,3}x\d{1,6}$/;
const podsOf = (shape: string) => Number(shape.split('x')[1]);

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
    if (!SHAPE_RE.test(s)) throw new UsageError(`--shapes: "${s}" is not NODESxPODS (e.g. 100x10000)`);
  if (shapes.length === 0) throw new UsageError('--shapes: no shape given');
  const pages = (values.pages ?? 'podnet,preset')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of pages)
    if (p !== 'podnet' && p !== 'preset') throw new UsageError(`--pages: "${p}" is not podnet or preset`);
  if (pages.length === 0) throw new UsageError('--pages: no page given');
  const latencySeconds = numberOption('latency-seconds', values['latency-seconds'], quick ? 20 : 180, 0, 3600);
  const latencyShape = values['latency-shape']?.trim() ?? [...shapes].sort((a, b) => podsOf(b) - podsOf(a))[0]!;
  if (!SHAPE_RE.test(latencyShape))
    throw new UsageError(`--latency-shape: "${latencyShape}" is not NODESxPODS (e.g. 1000x100000)`);
  const rounds = numberOption('rounds', values.rounds, quick ? 2 : 5, 1, 1000);
  return {
    shapes,
    pages: [...new Set(pages)] as PageName[],
    rounds,
    bigRounds: numberOption('big-rounds', values['big-rounds'], Math.min(rounds, 3), 1, 1000),
    presetMax: numberOption('preset-max', values['preset-max'], 10_000, 0, 10_000_000),
    iterations: numberOption('iterations', values.iterations, quick ? 5 : 20, 0, 1000),
    latencyShape: latencySeconds > 0 && pages.includes('podnet') ? latencyShape : null,
    churnMs: numberOption('churn-ms', values['churn-ms'], 50, 1, 600_000),
    latencySeconds,
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
/** components/topology/TopologyGraph.tsx's EXPAND_ZOOM: at or above it, the boxes in view open */
const EXPAND_ZOOM = 0.3;

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

/** Opens the podnet page and waits until it has drawn; `what` names it in the failure. */
async function openDrawn(page: Page, dash: Dashboard, what: string): Promise<void> {
  await page.goto(`${dash.url}/`, { waitUntil: 'commit', timeout: READY_TIMEOUT_MS });
  await page
    .waitForFunction('window.__bench && window.__bench.readyAt !== null', undefined, {
      timeout: READY_TIMEOUT_MS,
      polling: 20,
    })
    .catch(() => {
      throw new BenchFailure(
        `${what} did not draw within ${READY_TIMEOUT_MS / 1000} s\n  server log:\n${tail(dash.log)}`,
      );
    });
}

async function startDashboard(name: string, env: Record<string, string>): Promise<Dashboard> {
  const port = await freePort();
  const log = join(tempRoot, `next-${name}.log`);
  const fd = openSync(log, 'w');
  const t0 = performance.now();
  // A process group of its own, so the whole server goes with one kill of its pid.
  // with the V8 flags `podnet dashboard` gives its server (its heap's growth held near its live size)
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, NEXT_BIN, 'start', '-H', HOST, '-p', String(port)], {
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
  /** navigation start → the first topology data arrived: the page's first topology.summary
   *  or topology.snapshot query answered, or a whole topology on its event stream (NaN: not seen) */
  data: number;
  /** which: 'summary', 'snapshot' (the query), 'stream' */
  dataWhat: string | null;
  /** when that query was sent (NaN: no such query) */
  dataRequest: number;
  /** the data received before first render, on the wire (CDP Network: podnet's tRPC
   *  requests, the event stream's bytes so far included; the preset page's elements JSON) */
  dataBytes: BytesUntil | null;
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
  /** after interactive: a collapsed node box clicked open (podnet only; null: not measured) */
  open: OpenResult | null;
  /** then ~2 s of dragging and wheel zooming in the first render's view, and again zoomed
   *  in to where boxes open (EXPAND_ZOOM) */
  frames: FrameResult | null;
  framesZoomed: FrameResult | null;
  /** then the JS heap after a garbage collection */
  heap: Heap | null;
}

interface PageInput {
  kind: 'click' | 'wheel';
  t0: number;
  frame: number;
  changed: boolean;
}

interface OpenPage {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  net: NetLog;
}

async function newPage(): Promise<OpenPage> {
  // bypassCSP: the dashboard's Content-Security-Policy forbids eval, which Playwright's
  // string predicates (waitForFunction) need; the page's own scripts run as they would.
  const context = await browser!.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    extraHTTPHeaders: AUTH,
    bypassCSP: true,
  });
  await context.addInitScript({ content: PAGE_PROBE });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const net = await NetLog.attach(cdp);
  return { context, page, cdp, net };
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

/** the requests whose bytes are "data": podnet's tRPC, the preset page's elements */
const isData = (url: string) => isTrpc(url) || url.includes('/elements/');

interface LoadPlan {
  timeoutMs: number;
  /** the open, frames and heap steps after interactive (not for a warm-up) */
  extras: boolean;
  /** the page has collapsed node boxes to open (podnet's) */
  open: boolean;
}

async function measureLoad(url: string, plan: LoadPlan): Promise<Load> {
  const { context, page, cdp, net } = await newPage();
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: READY_TIMEOUT_MS });
    await page.waitForFunction('window.__bench && window.__bench.readyAt !== null', undefined, {
      timeout: READY_TIMEOUT_MS,
      polling: 20,
    });
    const firstRender = (await page.evaluate<number>('window.__bench.readyAt'))!;
    await net.sync();
    const dataBytes = net.bytesUntil(firstRender, isData);
    // Inputs until a click and a wheel, sent one after the other, are both answered in time.
    const deadline = Date.now() + plan.timeoutMs;
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
      data: number;
      dataWhat: string | null;
      streamData: number;
      dataRequest: number;
      firstFrame: number;
      responseStart: number;
      dcl: number;
      longTasks: [number, number][];
      nodes: number;
      edges: number;
    }>(`(() => {
      const nav = performance.getEntriesByType('navigation')[0] || {};
      const cy = window.__podnetGraph && window.__podnetGraph.cy;
      const B = window.__bench;
      return { data: B.dataAt ?? NaN, dataWhat: B.dataWhat, streamData: B.streamDataAt ?? NaN, dataRequest: B.dataRequestAt ?? NaN,
        firstFrame: B.firstFrameAt ?? NaN, responseStart: nav.responseStart ?? NaN, dcl: nav.domContentLoadedEventEnd ?? NaN,
        longTasks: B.longTasks, nodes: cy ? cy.nodes().length : 0, edges: cy ? cy.edges().length : 0 };
    })()`);
    const end = Number.isFinite(interactive) ? interactive : Infinity;
    const before = info.longTasks.filter(([s]) => s < end);
    const fromStream = Number.isFinite(info.streamData) && !(info.streamData >= info.data);
    let open: OpenResult | null = null;
    let frames: FrameResult | null = null;
    let framesZoomed: FrameResult | null = null;
    let heap: Heap | null = null;
    if (plan.extras) {
      if (plan.open) open = await measureOpen(page);
      await page.waitForTimeout(300);
      frames = await measureFrames(page, null);
      framesZoomed = await measureFrames(page, EXPAND_ZOOM * 1.05);
      heap = await heapAfterGc(cdp);
    }
    return {
      data: fromStream ? info.streamData : info.data,
      dataWhat: fromStream ? 'stream' : info.dataWhat,
      dataRequest: info.dataRequest,
      dataBytes,
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
      open,
      frames,
      framesZoomed,
      heap,
    };
  } finally {
    await context.close();
  }
}

interface PageResults {
  loads: Load[];
  /** navigation start → the first topology data (query or stream) */
  data: Stat;
  /** what the first data was: summary, snapshot, stream */
  dataWhat: string | null;
  /** bytes on the wire before first render */
  dataBytes: Stat;
  firstRender: Stat;
  interactive: Stat;
  /** loads that did not become interactive within the timeout */
  notInteractive: number;
  longestTask: Stat;
  elements: { nodes: number; edges: number };
  /** a collapsed node opened: click → the frame with its pods (loads where it was measured) */
  open: Stat;
  /** loads where the open was not measured, with why */
  openNotes: string[];
  /** rAF deltas while panning and zooming, every load's pooled: both views, the first
   *  render's, zoomed in */
  frames: Stat;
  framesOverview: Stat;
  framesZoomed: Stat;
  /** loads whose drag did not pan / whose wheel did not zoom */
  framesStill: number;
  /** JS heap in use after a GC, at the end of each load (bytes) */
  heap: Stat;
}

interface ShapeResults {
  shape: string;
  nodes: number;
  pods: number;
  rounds: number;
  /** from spawning the podnet server to its first answer (it builds the cluster view) */
  serverStartMs: number | null;
  /** the podnet server's resident memory (its process group) after the loads, bytes */
  serverRss: number | null;
  podnet: PageResults | null;
  preset: PageResults | null;
  /** pages that could not be measured at this shape, with why */
  failed: Partial<Record<PageName, string>>;
  /** podnet ÷ preset; NaN without both */
  ratio: { firstRenderP50: number; firstRenderP95: number; interactiveP50: number; interactiveP95: number };
}

function pageResults(loads: Load[]): PageResults {
  const ok = loads.filter((l) => Number.isFinite(l.interactive));
  const last = loads.at(-1);
  const fin = (xs: number[]) => xs.filter(Number.isFinite);
  const isFrames = (f: FrameResult | null): f is FrameResult => f !== null;
  const overview = loads.map((l) => l.frames).filter(isFrames);
  const zoomed = loads.map((l) => l.framesZoomed).filter(isFrames);
  const frames = [...overview, ...zoomed];
  return {
    loads,
    data: stat(fin(loads.map((l) => l.data))),
    dataWhat: loads.find((l) => l.dataWhat)?.dataWhat ?? null,
    dataBytes: stat(fin(loads.map((l) => l.dataBytes?.wire ?? NaN))),
    firstRender: stat(loads.map((l) => l.firstRender)),
    // A load that never became interactive counts as +Infinity: it pushes the percentiles up.
    interactive: {
      ...stat(loads.map((l) => (Number.isFinite(l.interactive) ? l.interactive : Infinity))),
      n: ok.length,
    },
    notInteractive: loads.length - ok.length,
    longestTask: stat(loads.map((l) => l.longestTask)),
    elements: last?.elements ?? { nodes: 0, edges: 0 },
    open: stat(fin(loads.map((l) => l.open?.ms ?? NaN))),
    openNotes: loads.flatMap((l) => (l.open?.note ? [l.open.note] : [])),
    frames: stat(frames.flatMap((f) => f.deltas)),
    framesOverview: stat(overview.flatMap((f) => f.deltas)),
    framesZoomed: stat(zoomed.flatMap((f) => f.deltas)),
    framesStill: frames.filter((f) => !f.panned || !f.zoomed).length,
    heap: stat(fin(loads.map((l) => l.heap?.used ?? NaN))),
  };
}

/** The resident memory of a process group (bytes): every process whose group is `pgid`. */
function groupRss(pgid: number): number | null {
  let total = 0;
  let seen = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // pgrp
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) {
        total += Number(m[1]) * 1024;
        seen++;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return seen ? total : null;
}

async function benchShape(shape: string, opts: Options, presetUrl: string): Promise<ShapeResults> {
  const [n, pods] = shape.split('x').map(Number) as [number, number];
  const pages = opts.pages.filter((p) => p === 'podnet' || pods <= opts.presetMax);
  const rounds = pods > 10_000 ? opts.bigRounds : opts.rounds;
  let dash: Dashboard | null = null;
  if (pages.includes('podnet')) {
    say(`(a) ${shape}: starting the dashboard (PODNET_SOURCE=synthetic PODNET_SYNTHETIC=${shape})`);
    dash = await startDashboard(`synthetic-${shape}`, { PODNET_SOURCE: 'synthetic', PODNET_SYNTHETIC: shape });
    say(`(a) ${shape}: the server answered after ${f1(dash.startMs / 1000)} s`);
  }
  const failed: ShapeResults['failed'] = {};
  try {
    const urls: Record<PageName, string> = { podnet: dash ? `${dash.url}/` : '', preset: `${presetUrl}/${shape}` };
    // Untimed: one load of each (the server's first page, the browser's first canvas). A
    // page that does not draw is left out at this shape, and the run goes on.
    progress(`(a) ${shape}: warm-up loads`);
    for (const which of [...pages]) {
      try {
        await measureLoad(urls[which], { timeoutMs: 2000, extras: false, open: false });
      } catch (e) {
        failed[which] =
          `did not draw within ${READY_TIMEOUT_MS / 1000} s (${(e as Error).message.split('\n')[0]})${dash && which === 'podnet' ? `\n  server log:\n${tail(dash.log)}` : ''}`;
        say(`(a) ${shape}: the ${which} page ${failed[which]}`);
        pages.splice(pages.indexOf(which), 1);
      }
    }
    const loads: Record<PageName, Load[]> = { podnet: [], preset: [] };
    for (let r = 0; r < rounds; r++) {
      // The pages take turns, the first alternating by round.
      const order = r % 2 === 0 ? pages : [...pages].reverse();
      for (const which of order) {
        progress(`(a) ${shape} round ${r + 1}/${rounds}: ${which}`);
        loads[which].push(
          await measureLoad(urls[which], {
            timeoutMs: opts.interactiveTimeoutMs,
            extras: true,
            open: which === 'podnet',
          }),
        );
      }
      say(
        `(a) ${shape} round ${r + 1}/${rounds}: ${pages
          .map((w) => {
            const l = loads[w].at(-1)!;
            const extra = [
              l.dataBytes ? `data ${kb(l.dataBytes.wire)}` : null,
              l.open && Number.isFinite(l.open.ms)
                ? `open ${f0(l.open.ms)} ms`
                : l.open?.note
                  ? `open: ${l.open.note}`
                  : null,
              l.frames && l.framesZoomed
                ? `frames p95 ${f1(stat(l.frames.deltas).p95)} / ${f1(stat(l.framesZoomed.deltas).p95)} ms`
                : null,
              l.heap ? `heap ${mb(l.heap.used)}` : null,
            ].filter(Boolean);
            return `${PAGE_LABEL[w]} ${f0(l.firstRender)} / ${fint(l.interactive)} ms (${extra.join(', ')})`;
          })
          .join('; ')} (first render / interactive)`,
      );
    }
    const podnet = pages.includes('podnet') ? pageResults(loads.podnet) : null;
    const preset = pages.includes('preset') ? pageResults(loads.preset) : null;
    // No ratio against a page that never got there.
    const q = (f: (r: PageResults) => number) =>
      podnet && preset && Number.isFinite(f(preset)) ? f(podnet) / f(preset) : NaN;
    return {
      shape,
      nodes: n,
      pods,
      rounds,
      serverStartMs: dash?.startMs ?? null,
      serverRss: dash?.child.pid ? groupRss(dash.child.pid) : null,
      podnet,
      preset,
      failed,
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
/** bytes as KB (1,000) / MB (1,000,000), as the issue's targets count them */
const kb = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(x < 10_000 ? 1 : 0)} KB` : '-');
const mb = (x: number) => (Number.isFinite(x) ? `${(x / 1e6).toFixed(x < 1e7 ? 1 : 0)} MB` : '-');

// ---------------------------------------------------------------------------------------
// (c) event to screen on a churning synthetic cluster

interface LatencyResults {
  shape: string;
  churnMs: number;
  serverStartMs: number;
  /** the page's first render on it */
  firstRender: number;
  /** the node clicked open first (the boxes then in view open too) */
  opened: OpenResult;
  /** the nodes drawn open while the stream was watched */
  open: string[];
  analysis: StreamAnalysis;
  /** the event stream's bytes on the wire in the window (CDP), and per event */
  streamBytes: number;
  streamBytesPerEvent: number;
  heap: Heap;
  serverRss: number | null;
  /** the first few events as received (cut at 1,500 characters), to see what travels */
  exampleEvents: string[];
}

async function benchLatency(opts: Options, shape: string): Promise<LatencyResults> {
  say(
    `(c) ${shape}: starting the dashboard (PODNET_SOURCE=synthetic PODNET_SYNTHETIC=${shape} PODNET_SYNTHETIC_CHURN_MS=${opts.churnMs})`,
  );
  const dash = await startDashboard(`churn-${shape}`, {
    PODNET_SOURCE: 'synthetic',
    PODNET_SYNTHETIC: shape,
    PODNET_SYNTHETIC_CHURN_MS: String(opts.churnMs),
  });
  const { context, page, cdp, net } = await newPage();
  try {
    await openDrawn(page, dash, `(c) the podnet page on ${shape}`);
    const firstRender = (await page.evaluate<number>('window.__bench.readyAt'))!;
    // A node opened with a click (the view stays where it is), then the view zoomed around
    // it to just above the zoom at which boxes in view open (EXPAND_ZOOM in
    // components/topology/TopologyGraph.tsx), set directly: the boxes around it open too, as
    // many as the page's budget allows, nearest the centre first; then their pods load.
    const opened = await measureOpen(page);
    await page.waitForTimeout(1000);
    await page.evaluate(`(() => {
      const cy = window.__podnetGraph && window.__podnetGraph.cy;
      if (!cy) return;
      cy.stop(true, true);
      const box = cy.getElementById(${JSON.stringify(`node:`)} + ${JSON.stringify(opened.node ?? '')});
      const at = box.nonempty() ? box.renderedPosition() : { x: cy.width() / 2, y: cy.height() / 2 };
      cy.zoom({ level: ${EXPAND_ZOOM * 1.05}, renderedPosition: at });
      if (box.nonempty()) cy.center(box);
    })()`);
    await page.waitForTimeout(4000);
    progress(`(c) ${shape}: watching the stream for ${opts.latencySeconds} s (a change every ${opts.churnMs} ms)`);
    await page.evaluate('window.__bench.startLog()');
    const c0 = await net.now();
    await page.waitForTimeout(opts.latencySeconds * 1000);
    const c1 = await net.now();
    const log = await page.evaluate<StreamLog>('window.__bench.stopLog()');
    const watchesSummary = [...net.requests.values()].some((r) => r.url.includes('topology.watchSummary'));
    const mode = watchesSummary
      ? 'summary'
      : [...net.requests.values()].some((r) => r.url.includes('topology.watch'))
        ? 'whole'
        : 'unknown';
    const analysis = analyseStream(log, mode);
    const streamBytes = net.bytesBetween(c0, c1, (u) => u.includes('/api/trpc/topology.watch'));
    const heap = await heapAfterGc(cdp);
    const res: LatencyResults = {
      shape,
      churnMs: opts.churnMs,
      serverStartMs: dash.startMs,
      firstRender,
      opened,
      open: log.open,
      analysis,
      streamBytes,
      streamBytesPerEvent: log.msgs.length ? streamBytes / log.msgs.length : NaN,
      heap,
      serverRss: dash.child.pid ? groupRss(dash.child.pid) : null,
      exampleEvents: log.msgs.slice(0, 4).map((m) => m.data.slice(0, 1500)),
    };
    say(
      `(c) ${shape}: ${analysis.events} events in ${f0(analysis.seconds)} s, ${log.open.length} nodes open; pod to screen p50 ${fms(analysis.both.p50)} / p95 ${fms(analysis.both.p95)} ms (n ${analysis.both.n}); count-only events p50 ${f0(analysis.countOnlyBytes.p50)} bytes`,
    );
    return res;
  } finally {
    await context.close();
    await stopServer(dash.child);
  }
}

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
    await openDrawn(page, dash, '(b) the podnet page on the lab');
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
  /** the 1-minute load average, sampled every 5 s during the run: min, max, at the end */
  load: { min: number; max: number; end: string };
  options: Options;
  build: { built: boolean; ms: number };
}

interface Target {
  what: string;
  cluster: string;
  target: string;
  p50: string;
  p95: string;
  met: boolean | null;
}

/** Issue 13's targets by cluster size (pods): first render, interactive, open a node's
 *  pods (ms), data before first render (bytes) */
const SHAPE_TARGETS: Record<number, { firstRender: number; interactive: number; open: number; data: number | null }> = {
  1000: { firstRender: 800, interactive: 1000, open: 100, data: null },
  10_000: { firstRender: 1000, interactive: 1500, open: 150, data: 300_000 },
  100_000: { firstRender: 2000, interactive: 3000, open: 150, data: 1_000_000 },
};
const FRAME_P95_MS = 33;
const HEAP_MAX = 250e6;
const EVENT_P95_MS = 250;
const SERVER_RSS_MAX = 1e9;

/** met when the p95 (and so the p50) is within the target; null when not measured */
const within = (s: Stat, max: number) =>
  s.n === 0 || (!Number.isFinite(s.p95) && s.p95 !== Infinity) ? null : s.p95 <= max;

function targets(a: ShapeResults[], b: LabResults | null, c: LatencyResults | null): Target[] {
  const t: Target[] = [];
  const ms = (x: number) => `${fms(x)} ms`;
  for (const s of a) {
    const goal = SHAPE_TARGETS[s.pods];
    const r = s.podnet;
    if (!goal) continue;
    const cluster = `${s.nodes} × ${s.pods.toLocaleString('en')}`;
    if (!r) {
      if (s.failed.podnet) t.push({ what: 'podnet page', cluster, target: 'draws', p50: '-', p95: '-', met: false });
      continue;
    }
    t.push({
      what: 'first render',
      cluster,
      target: `≤ ${ms(goal.firstRender)}`,
      p50: ms(r.firstRender.p50),
      p95: ms(r.firstRender.p95),
      met: within(r.firstRender, goal.firstRender),
    });
    t.push({
      what: 'interactive',
      cluster,
      target: `≤ ${ms(goal.interactive)}`,
      p50: ms(r.interactive.p50),
      p95: ms(r.interactive.p95),
      met: r.interactive.p95 <= goal.interactive,
    });
    t.push({
      what: "open a node's pods",
      cluster,
      target: `≤ ${ms(goal.open)}`,
      p50: r.open.n ? ms(r.open.p50) : '-',
      p95: r.open.n ? ms(r.open.p95) : '-',
      met: r.open.n < r.loads.length ? (r.open.n ? false : null) : within(r.open, goal.open),
    });
    if (goal.data !== null)
      t.push({
        what: 'data before first render',
        cluster,
        target: `≤ ${kb(goal.data)}`,
        p50: kb(r.dataBytes.p50),
        p95: kb(r.dataBytes.p95),
        met: within(r.dataBytes, goal.data),
      });
    if (s.pods === 10_000)
      t.push({
        what: 'pan and zoom frame times',
        cluster,
        target: `p95 ≤ ${FRAME_P95_MS} ms`,
        p50: ms(r.frames.p50),
        p95: ms(r.frames.p95),
        met: within(r.frames, FRAME_P95_MS),
      });
    if (s.pods === 100_000) {
      t.push({
        what: "the page's JS heap (after GC)",
        cluster,
        target: `≤ ${mb(HEAP_MAX)}`,
        p50: mb(r.heap.p50),
        p95: mb(r.heap.p95),
        met: r.heap.n ? r.heap.max <= HEAP_MAX : null,
      });
      if (s.serverRss !== null)
        t.push({
          what: "the server's memory (RSS), after the loads",
          cluster,
          target: `≤ ${mb(SERVER_RSS_MAX)}`,
          p50: mb(s.serverRss),
          p95: '',
          met: s.serverRss <= SERVER_RSS_MAX,
        });
    }
  }
  if (c && c.shape.endsWith('x100000')) {
    const cluster = `${c.shape.split('x')[0]} × 100,000`;
    const x = c.analysis;
    t.push({
      what: `a pod added → its frame, node shown open (n ${x.add.n})`,
      cluster,
      target: `p95 ≤ ${EVENT_P95_MS} ms`,
      p50: ms(x.add.p50),
      p95: ms(x.add.p95),
      met: within(x.add, EVENT_P95_MS),
    });
    t.push({
      what: `a pod added or removed → its frame (n ${x.both.n})`,
      cluster,
      target: `p95 ≤ ${EVENT_P95_MS} ms`,
      p50: ms(x.both.p50),
      p95: ms(x.both.p95),
      met: within(x.both, EVENT_P95_MS),
    });
    t.push({
      what: 'a page not showing the node: bytes per event, only the count',
      cluster,
      target: 'the changed count only',
      p50: `${f0(x.countOnlyBytes.p50)} B`,
      p95: `${f0(x.countOnlyBytes.p95)} B`,
      met: x.countOnlyBytes.n === 0 ? null : x.mode === 'summary' && x.countOnlyWithPods === 0,
    });
    if (c.serverRss !== null)
      t.push({
        what: `the server's memory (RSS), a change every ${c.churnMs} ms`,
        cluster,
        target: `≤ ${mb(SERVER_RSS_MAX)}`,
        p50: mb(c.serverRss),
        p95: '',
        met: c.serverRss <= SERVER_RSS_MAX,
      });
  }
  if (b) {
    t.push({
      what: '(b) lab: ADD returned → pod drawn',
      cluster: '3 × 6 (lab)',
      target: `p95 < ${EVENT_P95_MS} ms`,
      p50: ms(b.addDoneToScreen.p50),
      p95: ms(b.addDoneToScreen.p95),
      met: b.addDoneToScreen.p95 < EVENT_P95_MS,
    });
    t.push({
      what: "(b) lab: plugin's ADD done → pod drawn",
      cluster: '3 × 6 (lab)',
      target: `p95 < ${EVENT_P95_MS} ms`,
      p50: ms(b.pluginAddDoneToScreen.p50),
      p95: ms(b.pluginAddDoneToScreen.p95),
      met: b.pluginAddDoneToScreen.n ? b.pluginAddDoneToScreen.p95 < EVENT_P95_MS : null,
    });
  }
  return t;
}

function printText(meta: Meta, a: ShapeResults[], b: LabResults | null, c: LatencyResults | null): void {
  const L: string[] = [];
  L.push(`podnet dashboard benchmark — ${meta.date}`);
  L.push(
    `node ${meta.node}, Chromium ${meta.chromium} (headless, --disable-gpu), kernel ${meta.kernel}, ${meta.cpus} CPU(s), load average ${f1(meta.load.min)}–${f1(meta.load.max)} during the run (${meta.load.end} at the end); viewport ${VIEWPORT.width}x${VIEWPORT.height}`,
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
    `(a) first render and interactive (ms from navigation start; ${meta.options.rounds} cold loads per page and shape, ${meta.options.bigRounds} above 10,000 pods, the pages taking turns; nearest-rank percentiles)`,
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
        r.data.n ? `${fms(r.data.p50)} (${r.dataWhat ?? '?'})` : '-',
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
    for (const [which, why] of Object.entries(s.failed))
      rows.push([s.shape, which, '', why.split('\n')[0]!, '', '', '', '', '', '']);
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
    'data: the first topology data has arrived (podnet: the end of its topology.summary or topology.snapshot query, or a whole',
  );
  L.push(
    'topology on its event stream). "never": not interactive within --interactive-timeout s after first render (counted as',
  );
  L.push('infinite in the percentiles; no ratio against it). nodes/edges: what cy had drawn.');
  L.push('');
  L.push(
    '(a) after interactive, in the same loads: a collapsed node box clicked open (mousedown → the frame after its first pod was added),',
  );
  L.push(
    "    then ~2 s of dragging and wheel zooming (the time between animation frames, every load pooled) in the first render's view",
  );
  L.push(
    `    ("overview") and again zoomed in to ${EXPAND_ZOOM * 1.05} (boxes in view open), then the JS heap after a GC;`,
  );
  L.push(
    '    data before first render: bytes received on the wire (CDP Network) for tRPC requests, the event stream so far included (preset: its elements JSON)',
  );
  L.push('');
  const rows2: string[][] = [];
  for (const s of a)
    for (const [label, r] of [
      ['podnet', s.podnet],
      ['cytoscape preset', s.preset],
    ] as const) {
      if (!r) continue;
      rows2.push([
        s.shape,
        label,
        kb(r.dataBytes.p50),
        kb(r.dataBytes.p95),
        r.open.n ? fms(r.open.p50) : r.loads.some((l) => l.open) ? 'not seen' : '-',
        r.open.n ? fms(r.open.p95) : '-',
        fms(r.framesOverview.p50),
        fms(r.framesOverview.p95),
        fms(r.framesZoomed.p50),
        fms(r.framesZoomed.p95),
        fms(r.frames.max),
        mb(r.heap.p50),
        mb(r.heap.max),
        label === 'podnet' && s.serverRss !== null ? mb(s.serverRss) : '',
      ]);
    }
  L.push(
    table(
      [
        'shape',
        'page',
        'data p50',
        'p95',
        'open p50',
        'p95',
        'frames: overview p50',
        'p95',
        'zoomed p50',
        'p95',
        'max',
        'heap p50',
        'max',
        'server RSS',
      ],
      rows2,
      2,
    ),
  );
  const notes = a.flatMap((s) =>
    s.podnet
      ? [...new Set(s.podnet.openNotes)].map(
          (n) =>
            `  ${s.shape}: open not measured in ${s.podnet!.openNotes.filter((x) => x === n).length} load(s): ${n}`,
        )
      : [],
  );
  const still = a.flatMap((s) =>
    (['podnet', 'preset'] as const).flatMap((w) => {
      const r = s[w];
      return r && r.framesStill
        ? [`  ${s.shape} ${w}: in ${r.framesStill} load(s) the drag did not pan or the wheel did not zoom`]
        : [];
    }),
  );
  if (notes.length || still.length) L.push('', ...notes, ...still);
  if (c) {
    const x = c.analysis;
    L.push('');
    L.push(
      `(c) event to screen at ${c.shape}, a pod added or removed every ${c.churnMs} ms (PODNET_SYNTHETIC_CHURN_MS), one page with ${c.open.length} node(s) open (${c.opened.node ?? 'none'} clicked, the boxes in view opened); ${x.events} events in ${f0(x.seconds)} s, stream ${x.mode}`,
    );
    L.push(
      "    from the change's time on the server (the summary's updatedAt: the newest change an event holds) to the frame after cy added (or removed) the pod; ms",
    );
    L.push('');
    const row = (label: string, s: Stat, note = '') => [label, String(s.n), fms(s.p50), fms(s.p95), fms(s.max), note];
    L.push(
      table(
        ['', 'n', 'p50', 'p95', 'max', ''],
        [
          row('pod added → drawn (node open)', x.add),
          row('pod removed → gone (node open)', x.remove),
          row('  of both: change → event in the page', x.toArrival),
          row('  of both: event → frame', x.toFrame),
          row("a box's pod count (node collapsed) → drawn", x.count),
          row(
            'bytes per event: only nodes not shown open',
            x.countOnlyBytes,
            `${x.countOnlyWithPods} of them carried pods`,
          ),
          row('bytes per event: with a shown node’s pods', x.withPodsBytes),
        ],
        1,
      ),
    );
    L.push('');
    L.push(
      `    ${x.exact} of ${x.samples.length} pod samples came in an event that held that one node's change (exact); the rest are lower bounds. ${x.unmatched} pod change(s) on open nodes never drawn.`,
    );
    L.push(
      `    the stream on the wire (CDP): ${kb(c.streamBytes)} in the window, ${f0(c.streamBytesPerEvent)} B per event (pings and framing included); page heap ${mb(c.heap.used)}, server RSS ${c.serverRss === null ? '-' : mb(c.serverRss)}`,
    );
  }
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
  L.push('targets (issue 13; met when the p95 is within the target)');
  L.push('');
  L.push(
    table(
      ['figure', 'cluster', 'target', 'p50', 'p95', ''],
      targets(a, b, c).map((t) => [
        t.what,
        t.cluster,
        t.target,
        t.p50,
        t.p95,
        t.met === null ? 'not measured' : t.met ? 'met' : 'NOT MET',
      ]),
      3,
    ),
  );
  process.stdout.write(L.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------
// Main

async function measure(opts: Options): Promise<number> {
  harness.onCleanup(closeAll);
  tempRoot = harness.tempDir('dashboard');
  const loads: number[] = [loadavg()[0]!];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 5000);
  loadTimer.unref();
  const build = opts.pages.includes('podnet') || opts.iterations > 0 ? await buildOnce(opts) : { built: false, ms: 0 };
  if (build.built) say(`build: ${f1(build.ms / 1000)} s`);

  // The same clusters the synthetic source gives the server: it is deterministic.
  const { SyntheticSource } = await import('../server/sources/synthetic.js');
  const { mergeTopology } = await import('../server/topology/merge.js');
  const data = new Map<string, BaselineData>();
  if (opts.pages.includes('preset'))
    for (const shape of opts.shapes)
      if (podsOf(shape) <= opts.presetMax)
        data.set(shape, baselineElements(mergeTopology(new SyntheticSource(shape, { churnMs: null }).read(), false)));
  const baselineUrl = await startStaticServer(data);

  const { chromium } = await import('@playwright/test');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });

  const a: ShapeResults[] = [];
  for (const shape of opts.shapes) a.push(await benchShape(shape, opts, baselineUrl));
  let c: LatencyResults | null = null;
  if (opts.latencyShape) c = await benchLatency(opts, opts.latencyShape);
  let b: LabResults | null = null;
  if (opts.iterations > 0) b = await benchLab(opts);
  progressDone();
  clearInterval(loadTimer);
  loads.push(loadavg()[0]!);

  const meta: Meta = {
    date: new Date().toISOString(),
    node: process.version,
    chromium: browser.version(),
    kernel: release(),
    cpus: cpus().length,
    load: {
      min: Math.min(...loads),
      max: Math.max(...loads),
      end: loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    },
    options: opts,
    build,
  };
  const round = (_k: string, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v)
      ? Math.round(v * 10) / 10
      : v === Infinity
        ? 'Infinity'
        : v;
  const json = JSON.stringify({ meta, shapes: a, latency: c, events: b, targets: targets(a, b, c) }, round, 2) + '\n';
  if (opts.jsonFile) writeFileSync(opts.jsonFile, json);
  if (opts.json) {
    process.stdout.write(json);
  } else {
    printText(meta, a, b, c);
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
