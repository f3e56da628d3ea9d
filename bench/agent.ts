// Node agent benchmark, on a lab of its own with one node holding 110 pods (kubelet's
// default maximum): (a) how long a snapshot of the node takes — a fresh collection the
// agent's way (agent/collect.ts, run inside the node's namespace), serving the snapshot the
// agent keeps current (GET /v1/snapshot over its unix socket), and the naive way (one
// `ip -j` per dump on the node plus one `ip -j addr show` per pod); (b) how long a pod ADD
// (and DEL) takes to reach a client of GET /v1/events; (c) the agent's CPU while idle.
// See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/agent.ts \
//     [--pods N] [--iterations N] [--idle-seconds N] [--json]
//
// Everything it makes is in the lab b<random> (namespaces podnet-b<random>-…, state dir
// /run/podnet/b<random>) and one temp dir; the harness (bench/harness.ts), with this bench's
// own steps for its processes and its lab, removes them all at the end, on failure and on
// SIGINT/SIGTERM. Nothing is created in, and no traffic is sent from, the root network
// namespace: the agent is reached over its unix socket, the kernel is read with `ip -n NS`
// and by a process that nsenter put into the node's namespace.
import { FIREWALL_MS, RECHECK_MS } from '../agent/agent.js';
import { stillRunning } from '../lib/proc/identity.js';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Agent, request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BenchFailure,
  UsageError,
  failRun,
  f0,
  f1,
  f2,
  percentile,
  pluginDone,
  progress,
  progressDone,
  runTimed,
  sayOver as say,
  sleep,
  stat,
  table,
  columnStats,
  machine,
  type Machine,
  type Stat,
} from './common.js';
import { freshLabId, harness, numberOption, runBench, type OptionValues, type Teardown } from './harness.js';

// ---------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/agent.ts [options]

Builds a lab of its own (host-gw) with one node holding --pods pods, and measures its
node agent: (a) a snapshot of the node three ways — a fresh collection the agent's way
(agent/collect.ts inside the node's namespace), GET /v1/snapshot of the snapshot the
agent keeps, and the naive way (ip -j link/addr/route/neigh on the node plus
ip -j addr show in every pod); (b) the time from a pod ADD (and DEL) through the CNI
plugin to the diff event on GET /v1/events; (c) the agent's CPU over an idle period.
Runs as root; creates only the lab b<random> (namespaces podnet-b<random>-…).

options:
  --pods N           pods on node1 (default 110, kubelet's default maximum; 1-250)
  --nodes N          1 (default) or 2: with 2, node2 exists (node1 gets a host-gw route to
                     it) and holds no pods; node1's pods are then added one by one
  --samples N        fresh collections and naive snapshots (default 30); GET /v1/snapshot
                     gets 10x as many
  --iterations N     pod ADD+DEL round trips for (b) (default 20; 0 skips it)
  --idle-seconds N   length of the idle window for (c) (default 60; 0 skips it)
  --agent KIND       built (default: the lab's agents run .build/cli/main.js, as the image
                     runs podnet; npm run build first) or sources (through tsx)
  --burst N          concurrent CNI VERSION calls through the shim for (d) (default 4; 0 skips (d))
  --control-plane K  lab (default: the agents learn the nodes from the lab's inventory) or
                     kubernetes (the lab's API endpoint; the agents run --kubernetes, as the
                     DaemonSet runs them, with the Kubernetes client loaded)
  --json             print the results as JSON on stdout (progress still goes to stderr)
  -h, --help         this text

Smoke run: --pods 10 --samples 3 --iterations 3 --idle-seconds 5`;

const OPTIONS = {
  pods: { type: 'string' },
  nodes: { type: 'string' },
  samples: { type: 'string' },
  iterations: { type: 'string' },
  'idle-seconds': { type: 'string' },
  agent: { type: 'string' },
  burst: { type: 'string' },
  'control-plane': { type: 'string' },
} as const;

interface Options {
  pods: number;
  nodes: number;
  samples: number;
  iterations: number;
  idleSeconds: number;
  agent: 'built' | 'sources';
  burst: number;
  controlPlane: 'lab' | 'kubernetes';
  json: boolean;
}

function parseOptions(values: OptionValues<typeof OPTIONS>): Options {
  const pods = numberOption('pods', values.pods, 110, 1, 250);
  const iterations = numberOption('iterations', values.iterations, 20, 0, 1000);
  // 10.244.1.0/24 holds 253 pod addresses; the ADD/DEL pod needs one more.
  if (pods + (iterations > 0 ? 1 : 0) > 253)
    throw new UsageError('--pods: node1 has room for 253 pods, one of them for --iterations');
  return {
    pods,
    nodes: numberOption('nodes', values.nodes, 1, 1, 2),
    samples: numberOption('samples', values.samples, 30, 1, 10_000),
    iterations,
    idleSeconds: numberOption('idle-seconds', values['idle-seconds'], 60, 0, 3600),
    agent: agentKind(values.agent),
    burst: numberOption('burst', values.burst, 4, 0, 64),
    controlPlane: controlPlaneOption(values['control-plane']),
    json: values.json,
  };
}

function controlPlaneOption(v: string | undefined): 'lab' | 'kubernetes' {
  if (v === undefined || v === 'lab' || v === 'kubernetes') return v ?? 'lab';
  throw new UsageError(`--control-plane: lab or kubernetes, not ${JSON.stringify(v)}`);
}

function agentKind(v: string | undefined): 'built' | 'sources' {
  if (v === undefined || v === 'built' || v === 'sources') return v ?? 'built';
  throw new UsageError(`--agent: built or sources, not ${JSON.stringify(v)}`);
}

/**
 * --agent built: the lab's code in this process acts as the built CLI's does, so the agents
 * it starts are `node .build/cli/main.js agent …` (cni/bundles.ts's podnetCommand) and the
 * plugins and verb-thread bundle come from .build/bundles/, as in the image. cni/bundles.ts
 * tells the two apart by `typeof __PODNET_BUILD__` alone; it is set before the lab's
 * modules load. The build must be newer than the sources it holds (bin/podnet's test).
 */
function useBuiltAgent(): void {
  const main = join(REPO, '.build', 'cli', 'main.js');
  const built = spawnSync(
    'find',
    [
      'cli',
      'lab',
      'lib',
      'agent',
      'cni',
      '-newer',
      main,
      '-name',
      '*.ts',
      '!',
      '-name',
      '*.test.ts',
      '-print',
      '-quit',
    ],
    { cwd: REPO, encoding: 'utf8' },
  );
  if (built.status !== 0) throw new BenchFailure(`--agent built: no ${main}: run npm run build (or --agent sources)`);
  if (built.stdout.trim())
    throw new BenchFailure(
      `--agent built: ${built.stdout.trim()} is newer than ${main}: run npm run build (or --agent sources)`,
    );
  (globalThis as { __PODNET_BUILD__?: true }).__PODNET_BUILD__ = true;
}

// ---------------------------------------------------------------------------------------
// Constants of the setup

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const TSX_LOADER = join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const NODE = process.execPath;
const NSENTER = '/usr/bin/nsenter';
const BASH = '/usr/bin/bash';
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NODE_NAME = 'node1';
/** rounds of (a): the three methods take turns, so machine noise hits them alike */
const ROUNDS = 3;
const WORKER_WARMUP = 3;

// ---------------------------------------------------------------------------------------
// The collection worker: this same file, run under `nsenter --net=<node ns>` with
// `--worker-collect`, so agent/collect.ts reads the node's namespace exactly as the agent
// does. It prints one JSON object (WorkerResult) on stdout.

interface WorkerResult {
  /** ms per sample, by part */
  ms: Record<WorkerPart, number[]>;
  /** collect()'s own collectMs field (its performance.now() span) */
  collectMsField: number[];
  pods: number;
  counts: {
    links: number;
    addresses: number;
    routes: number;
    neighbours: number;
    nsids: number;
    attachments: number;
    leases: number;
    findings: number;
  };
  dumpBytes: number;
  snapshotBytes: number;
  /** CPU per call (ms), this process and its reaped children: what the agent's timers cost */
  cpu: { collect: CpuPerCall; collectOneShot: CpuPerCall; firewall: CpuPerCall | null };
  /** the resident `ip -batch` per answer to the four dumps (ms): user and system time from
   *  its /proc stat (clock ticks, averaged), on-CPU time from its schedstat (ns) */
  residentIp: { n: number; userMs: number; sysMs: number; onCpuMs: number; restarts: number; fallbacks: number };
}

interface CpuPerCall {
  n: number;
  ownMs: number;
  /** reaped children (one-shot ip) and the resident ip's own CPU meanwhile */
  childrenMs: number;
}

type WorkerPart =
  | 'collect'
  | 'collectOneShot'
  | 'dumpResident'
  | 'dumpKernel'
  | 'ipBatch'
  | 'parse'
  | 'ipVersion'
  | 'attachments'
  | 'leases'
  | 'build';
const WORKER_PARTS: WorkerPart[] = [
  'collect',
  'collectOneShot',
  'dumpResident',
  'dumpKernel',
  'ipBatch',
  'parse',
  'ipVersion',
  'attachments',
  'leases',
  'build',
];

async function collectWorker(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'worker-collect': { type: 'boolean' },
      conflist: { type: 'string' },
      node: { type: 'string' },
      samples: { type: 'string' },
      warmup: { type: 'string' },
      'clk-tck': { type: 'string' },
    },
    strict: true,
  });
  const {
    collect,
    dumpKernel,
    ipDump,
    buildSnapshot,
    kernelReader,
    DUMPS: AGENT_DUMPS,
  } = await import('../agent/collect.js');
  const { configFromConflist } = await import('../agent/config.js');
  const { NO_INTENT } = await import('../agent/findings.js');
  const { AttachmentStore } = await import('../lib/state/attachments.js');
  const { DiskLeaseStore } = await import('../lib/ipam/disk-store.js');
  const { formatIpv4 } = await import('../lib/model/ipv4.js');
  const config = configFromConflist(values.node!, values.conflist!);
  // The agent's way: a resident `ip -batch` of this namespace (the worker's, as the agent's).
  const reader = kernelReader((msg, fields) => process.stderr.write(`${msg} ${JSON.stringify(fields)}\n`));
  const inputs = { config, intent: NO_INTENT, firewall: null, reader };
  const oneShot = { config, intent: NO_INTENT, firewall: null };
  const samples = Number(values.samples);
  const warmup = Number(values.warmup ?? WORKER_WARMUP);

  const spawnOnly = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const c = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout.resume();
      c.stderr.resume();
      c.on('error', reject);
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ip ${args.join(' ')}: exit ${code}`))));
    });
  const listAttachments = () => (config.stateDir ? new AttachmentStore(config.stateDir, config.network).list() : []);
  // As collect.ts's readLeases does.
  const listLeases = () =>
    config.dataDir
      ? new DiskLeaseStore(config.dataDir, config.network)
          .list()
          .map((l) => ({ ip: formatIpv4(l.ip), containerID: l.containerID, ifname: l.ifname }))
      : null;

  const ms = Object.fromEntries(WORKER_PARTS.map((k) => [k, [] as number[]])) as Record<WorkerPart, number[]>;
  const collectMsField: number[] = [];
  let lines: string[] = [];
  let raw = await dumpKernel();
  let atts = listAttachments();
  let leases = listLeases();
  let last = await collect(inputs);
  let startedBefore = reader.started;
  const parts: [WorkerPart, () => Promise<void> | void][] = [
    ['collect', async () => void (last = await collect(inputs))],
    ['collectOneShot', async () => void (last = await collect(oneShot))],
    ['dumpResident', async () => void (lines = (await reader.run(AGENT_DUMPS)).lines)],
    ['dumpKernel', async () => void (raw = await dumpKernel())],
    ['ipBatch', async () => void (lines = await ipDump(AGENT_DUMPS))],
    ['parse', () => void lines.map((l) => JSON.parse(l))],
    ['ipVersion', () => spawnOnly(['-V'])],
    ['attachments', () => void (atts = listAttachments())],
    ['leases', () => void (leases = listLeases())],
    ['build', () => void buildSnapshot(raw, atts, leases, inputs, 0, true)],
  ];
  for (let i = 0; i < warmup + samples; i++) {
    // Rotate the order (keeping ipBatch right before parse), so no part always runs first.
    const order = parts.filter(([k]) => k !== 'parse');
    if (i === warmup) startedBefore = reader.started; // restarts counted from the first timed sample
    const rotated = [...order.slice(i % order.length), ...order.slice(0, i % order.length)];
    for (const [k, fn] of rotated) {
      const t0 = performance.now();
      await fn();
      const t = performance.now() - t0;
      if (i >= warmup) ms[k].push(t);
      if (k === 'collect' && i >= warmup) collectMsField.push(last.collectMs);
      if (k === 'ipBatch') {
        const p0 = performance.now();
        await parts.find(([x]) => x === 'parse')![1]();
        if (i >= warmup) ms.parse.push(performance.now() - p0);
      }
    }
  }
  // CPU per call of what the agent runs on its timers: a collection (the safety recheck) and
  // the firewall facts (nft and iptables, read-only, in this namespace).
  const clk = Number(values['clk-tck'] ?? 100);
  const childTicks = () => {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(x[13]) + Number(x[14]); // cutime + cstime
  };
  /** the resident ip's (pid) utime and stime in ticks, and its on-CPU ns from schedstat */
  const ipTimes = (pid: number | null) => {
    if (!pid) return { user: 0, sys: 0, ns: 0 };
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    return { user: Number(x[11]), sys: Number(x[12]), ns };
  };
  const cpuOf = async (fn: () => unknown, n: number): Promise<CpuPerCall> => {
    const pid = reader.pid;
    const r0 = ipTimes(pid);
    const c0 = process.cpuUsage();
    const k0 = childTicks();
    for (let i = 0; i < n; i++) await fn();
    const c = process.cpuUsage(c0);
    const r1 = reader.pid === pid ? ipTimes(pid) : r0; // replaced meanwhile: its time is lost
    const resident = r1.user + r1.sys - r0.user - r0.sys;
    return { n, ownMs: (c.user + c.system) / 1000 / n, childrenMs: ((childTicks() - k0 + resident) * 1000) / clk / n };
  };
  const cpuN = Math.max(10, samples);
  const cpuCollect = await cpuOf(() => collect(inputs), cpuN);
  const cpuCollectOneShot = await cpuOf(() => collect(oneShot), cpuN);
  // The resident ip's own time per answer to the four dumps: enough calls for the ticks.
  const ipN = Math.max(100, samples * 4);
  await reader.run(AGENT_DUMPS);
  const ipPid = reader.pid;
  const t0 = ipTimes(ipPid);
  for (let i = 0; i < ipN; i++) await reader.run(AGENT_DUMPS);
  const t1 = reader.pid === ipPid ? ipTimes(ipPid) : t0;
  const residentIp = {
    n: ipN,
    userMs: ((t1.user - t0.user) * 1000) / clk / ipN,
    sysMs: ((t1.sys - t0.sys) * 1000) / clk / ipN,
    onCpuMs: (t1.ns - t0.ns) / 1e6 / ipN,
    restarts: reader.started - startedBefore,
    fallbacks: reader.fallbacks,
  };
  let cpuFirewall: CpuPerCall | null = null;
  try {
    const { firewallFacts } = await import('../lib/firewall/apply.js');
    firewallFacts();
    cpuFirewall = await cpuOf(() => firewallFacts(), cpuN);
  } catch (e) {
    process.stderr.write(`firewall facts unavailable: ${(e as Error).message}\n`);
  }
  const result: WorkerResult = {
    cpu: { collect: cpuCollect, collectOneShot: cpuCollectOneShot, firewall: cpuFirewall },
    residentIp,
    ms,
    collectMsField,
    pods: last.pods.length,
    counts: {
      links: raw.links.length,
      addresses: raw.links.reduce((n, l) => n + (l.addr_info?.length ?? 0), 0),
      routes: raw.routes.length,
      neighbours: raw.neighbours.length,
      nsids: raw.nsids.length,
      attachments: atts.length,
      leases: leases?.length ?? 0,
      findings: last.findings.length,
    },
    dumpBytes: lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
    snapshotBytes: Buffer.byteLength(JSON.stringify(last)),
  };
  await reader.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ---------------------------------------------------------------------------------------
// Resources: the lab, child processes, the event stream, the temp dir — the harness removes
// them, with this bench's own steps for its processes and its lab (below)

type LabModules = {
  lab: typeof import('../lab/lab.js');
  pods: typeof import('../lab/pods.js');
  paths: typeof import('../lab/paths.js');
  agents: typeof import('../lab/agents.js');
  inventory: typeof import('../lab/inventory.js');
  kubeLab: typeof import('../lab/kube-lab.js');
};
let M: LabModules;
let P: import('../lab/paths.js').LabPaths | null = null;
const liveRequests = new Set<ClientRequest>();
let tempRoot = '';

let clkTckValue = 0;
function clkTck(): number {
  clkTckValue ||= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return clkTckValue;
}

/** Descendants of this process (children of children too), from /proc; not those of `skip`
 *  and their own descendants (the lab's agents and their `ip monitor`). */
function descendants(skip: number[] = []): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, pp] of parent)
      if (pp === pid && !skip.includes(child) && !out.includes(child)) {
        out.push(child);
        walk(child);
      }
  };
  walk(process.pid);
  return out;
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function waitGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/**
 * Closes the event stream and kills what this bench started (the worker, bash, and the CNI
 * plugins of a pod ADD/DEL in flight: every descendant of this process but the lab's
 * agents), by pid, and waits until they are reaped; the lab's take-down stops the agents.
 * At exit, every descendant, the agents too.
 */
const stopProcesses: Teardown = {
  async cleanup() {
    for (const r of liveRequests) r.destroy();
    liveRequests.clear();
    const agentPids = Object.values((P && M.inventory.readInventory(P))?.agents ?? {}).map((a) => a.pid);
    const others = descendants(agentPids);
    killPids(others);
    await waitGone(others, 5000);
  },
  onExit: () => killPids(descendants()),
};

/**
 * Stops the lab's agents (SIGTERM, awaited here: they are this process's children, and
 * `lab down`'s synchronous wait would leave them zombies), then `labDown`; at exit, the
 * lab's synchronous teardown.
 */
const takeLabDown = (p: import('../lab/paths.js').LabPaths): Teardown => ({
  async cleanup() {
    say(`cleanup: taking lab ${p.labId} down`);
    const agents = Object.values(M.inventory.readInventory(p)?.agents ?? {}).filter(stillRunning);
    for (const a of agents) process.kill(a.pid, 'SIGTERM');
    await waitGone(
      agents.map((a) => a.pid),
      5000,
    );
    for (const a of agents) if (stillRunning(a) && alive(a.pid)) process.kill(a.pid, 'SIGKILL');
    await waitGone(
      agents.map((a) => a.pid),
      2000,
    );
    try {
      await M.lab.labDown(p);
    } catch (e) {
      // The lab lock is held (by an operation of this process that was cut short): tear down without it.
      process.stderr.write(`cleanup: labDown failed (${(e as Error).message}); tearing down directly\n`);
      M.lab.teardown(p, M.inventory.readInventory(p));
    }
  },
  onExit: () => M.lab.teardown(p, M.inventory.readInventory(p)),
});

// ---------------------------------------------------------------------------------------
// Processes, timed

const run = (file: string, args: string[], env?: Record<string, string>) =>
  runTimed(file, args, { cwd: REPO, env, live: harness.children });

// ---------------------------------------------------------------------------------------
// The agent's API over its unix socket

interface RawReply {
  status: number;
  body: Buffer;
  ms: number;
}

/** One request, the body as bytes, timed from the request to the last byte; on a fresh
 *  connection unless given a keep-alive agent. */
function getRaw(socket: string, token: string, path: string, agent: Agent | false = false): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ socketPath: socket, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        liveRequests.delete(req);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t0 });
      });
    });
    liveRequests.add(req);
    req.on('error', (e) => {
      liveRequests.delete(req);
      reject(e);
    });
    req.end();
  });
}

interface Arrival {
  /** performance.now() when the chunk holding the event arrived */
  t: number;
  /** Date.now() at the same moment: compared with the plugin's log times */
  wall: number;
  event: string;
  /** the event's JSON, read by the one field the bench needs */
  data: { changes?: { collection: string; op: string; key: string }[] } | null;
}

interface EventStream {
  arrivals: Arrival[];
  /** resolves with the first arrival at index ≥ from that matches */
  waitFor(from: number, match: (a: Arrival) => boolean, timeoutMs: number): Promise<Arrival>;
  close(): void;
}

/** GET /v1/events, each event timestamped on arrival (before it is parsed). */
function openEvents(socket: string, token: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const arrivals: Arrival[] = [];
    const waiters = new Set<() => void>();
    const stream: EventStream = {
      arrivals,
      waitFor(from, match, timeoutMs) {
        return new Promise((res, rej) => {
          const check = () => {
            const hit = arrivals.slice(from).find(match);
            if (!hit) return;
            waiters.delete(check);
            clearTimeout(timer);
            res(hit);
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new BenchFailure(`no matching event on /v1/events within ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      close: () => {
        req.destroy();
        liveRequests.delete(req);
      },
    };
    const req = request(
      { socketPath: socket, path: '/v1/events', agent: false, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new BenchFailure(`GET /v1/events answered ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const t = performance.now();
          const wall = Date.now(); // the clock the plugin's log uses
          buf += chunk;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            let event = '';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (!event) continue;
            arrivals.push({ t, wall, event, data: JSON.parse(data || 'null') });
            if (event === 'snapshot') resolve(stream);
          }
          for (const w of [...waiters]) w();
        });
      },
    );
    liveRequests.add(req);
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------
// The lab

interface Lab {
  labId: string;
  nodeNs: string;
  socket: string;
  token: string;
  conflist: string;
  /** the node's CNI plugins (the shim among them): the lab's, or what its install step wrote */
  cniBin: string;
  agentPid: number;
  /** node1's pods: their namespace names */
  podNamespaces: string[];
  stateDir: string;
}

async function buildLab(opts: Options): Promise<Lab> {
  const id = freshLabId();
  P = M.paths.labPaths(id);
  say(
    `lab ${id}: ${opts.nodes} node(s), ${opts.pods} pods on ${NODE_NAME} (host-gw, control plane: ${opts.controlPlane}); namespaces ${P.prefix}*, state in ${P.stateDir}`,
  );
  harness.lab(id, takeLabDown(P)); // from here on clean-up takes it down
  const t0 = performance.now();
  await M.lab.labUp(
    P,
    {
      nodes: opts.nodes,
      podsPerNode: opts.nodes === 1 ? opts.pods : 0,
      routing: 'host-gw',
      ...(opts.controlPlane === 'kubernetes' ? { controlPlane: 'kubernetes' as const } : {}),
    },
    (msg) => progress(`lab up: ${msg}`),
  );
  if (opts.nodes > 1) {
    // Only node1 holds pods: add them one by one, through the CNI plugins, as `lab pod add` does.
    for (let i = 1; i <= opts.pods; i++) {
      await M.pods.podAdd(P, `default/web-${i}`, NODE_NAME);
      if (i % 10 === 0 || i === opts.pods) progress(`lab up: attached ${i}/${opts.pods} pods to ${NODE_NAME}`);
    }
  }
  const inv = M.inventory.readInventory(P);
  if (!inv) throw new BenchFailure('the lab has no inventory after lab up');
  const node = inv.nodes.find((n) => n.name === NODE_NAME)!;
  const pods = inv.pods.filter((x) => x.node === NODE_NAME);
  if (pods.length !== opts.pods || pods.some((x) => !x.ip))
    throw new BenchFailure(
      `the lab has ${pods.length} pods on ${NODE_NAME} (${pods.filter((x) => !x.ip).length} without an address), expected ${opts.pods}`,
    );
  const agent = inv.agents[NODE_NAME];
  if (!agent || !stillRunning(agent)) throw new BenchFailure(`the agent of ${NODE_NAME} is not running`);
  say(`lab up: ${((performance.now() - t0) / 1000).toFixed(1)} s; agent of ${NODE_NAME} is pid ${agent.pid}`);
  return {
    labId: id,
    nodeNs: node.netns,
    socket: M.agents.agentSocket(P, NODE_NAME),
    token: readFileSync(inv.tokenFile!, 'utf8').trim(),
    conflist: join(M.paths.nodeDir(P, NODE_NAME), 'net.d', '10-podnet.conflist'),
    cniBin: opts.controlPlane === 'kubernetes' ? M.kubeLab.kubeNodeBin(P, NODE_NAME) : join(P.stateDir, 'bin'),
    agentPid: agent.pid,
    podNamespaces: pods.map((x) => x.netns),
    stateDir: M.paths.nodeDir(P, NODE_NAME),
  };
}

/** Waits until the agent's snapshot has `pods` pods and no event arrived for quietMs. */
async function settle(lab: Lab, pods: number, quietMs = 1000, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getRaw(lab.socket, lab.token, '/v1/snapshot');
    const n = r.status === 200 ? (JSON.parse(r.body.toString('utf8')).snapshot.pods.length as number) : -1;
    if (n === pods) break;
    if (Date.now() > deadline) throw new BenchFailure(`the agent's snapshot shows ${n} pods, expected ${pods}`);
    await sleep(100);
  }
  await sleep(quietMs);
}

// ---------------------------------------------------------------------------------------
// (a) snapshot: fresh collection, the kept snapshot served, the naive way

interface SnapshotResults {
  collect: Record<WorkerPart, Stat>;
  collectMsField: Stat;
  counts: WorkerResult['counts'];
  /** CPU per call of a collection and of the firewall facts, from the last worker */
  cpu: WorkerResult['cpu'];
  dumpBytes: number;
  snapshotBytes: number;
  serve: Stat;
  serveKeepAlive: Stat;
  healthz: Stat;
  serveStringify: Stat;
  serveParse: Stat;
  responseBytes: number;
  healthzBytes: number;
  keptCollectMs: number;
  naiveBash: Stat;
  naiveNode: Stat;
  naiveCommands: number;
  naiveBytes: number;
  /** naive ÷ agent, p50 and p95: the faster naive way against a fresh collection, and against
   *  serving; one-shot ÷ resident: today's one `ip -batch` per collection against the resident one */
  ratio: {
    freshP50: number;
    freshP95: number;
    serveP50: number;
    serveP95: number;
    oneShotP50: number;
    oneShotP95: number;
    naiveOneShotP50: number;
    naive: 'bash' | 'node';
  };
  /** the resident ip per answer (from the last worker) */
  residentIp: WorkerResult['residentIp'];
  /** collect() p50 minus the resident ip's answer p50: the part outside the kernel's dumps */
  outsideKernelP50: number;
  samples: {
    collect: Record<WorkerPart, number[]>;
    serve: number[];
    serveKeepAlive: number[];
    healthz: number[];
    naiveBash: number[];
    naiveNode: number[];
  };
}

function naiveCommands(lab: Lab): string[][] {
  return [
    ['-n', lab.nodeNs, '-j', 'link', 'show'],
    ['-n', lab.nodeNs, '-j', 'addr', 'show'],
    ['-n', lab.nodeNs, '-j', 'route', 'show'],
    ['-n', lab.nodeNs, '-j', 'neigh', 'show'],
    ...lab.podNamespaces.map((ns) => ['-n', ns, '-j', 'addr', 'show']),
  ];
}

/** Each command's output must be one JSON array; the per-pod ones hold the pod's eth0 address. */
function checkNaiveOutput(text: string, lab: Lab, what: string): void {
  const lines = text.split('\n').filter(Boolean);
  const expected = 4 + lab.podNamespaces.length;
  if (lines.length !== expected)
    throw new BenchFailure(`${what}: ${lines.length} lines of output, expected ${expected}`);
  for (const [i, l] of lines.entries()) {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      throw new BenchFailure(`${what}: output line ${i + 1} is not JSON: ${l.slice(0, 80)}`);
    }
    if (!Array.isArray(v)) throw new BenchFailure(`${what}: output line ${i + 1} is not a JSON array`);
    if (
      i >= 4 &&
      !(v as { ifname: string; addr_info: { family: string }[] }[]).some(
        (x) => x.ifname === 'eth0' && x.addr_info.some((a) => a.family === 'inet'),
      )
    ) {
      throw new BenchFailure(`${what}: pod ${lab.podNamespaces[i - 4]} shows no IPv4 address on eth0`);
    }
  }
}

const SAFE_NS = /^podnet-b[0-9a-f]{6}-[a-z0-9_.-]+$/;

function writeNaiveScript(lab: Lab): { script: string; out: string } {
  const out = join(tempRoot, 'naive.out');
  const cmds = naiveCommands(lab);
  for (const c of cmds)
    if (!SAFE_NS.test(c[1]!)) throw new BenchFailure(`refusing to read namespace ${c[1]}: not one of this lab`);
  const script = join(tempRoot, 'naive.sh');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      '# the naive snapshot: one ip -j per dump on the node, one per pod (generated by bench/agent.ts)',
      'set -eu',
      '{',
      ...cmds.map((c) => `ip ${c.join(' ')}`),
      `} > ${out}`,
      '',
    ].join('\n'),
  );
  return { script, out };
}

async function naiveBash(script: string, out: string, lab: Lab, check: boolean): Promise<number> {
  const o = await run(BASH, [script], { PATH: CLEAN_PATH });
  if (o.status !== 0) failRun('the naive script', o);
  if (check) checkNaiveOutput(readFileSync(out, 'utf8'), lab, 'the naive script');
  return o.ms;
}

function naiveNode(lab: Lab, check: boolean): { ms: number; bytes: number } {
  const cmds = naiveCommands(lab);
  const t0 = performance.now();
  let text = '';
  for (const c of cmds) {
    const r = spawnSync('ip', c, { encoding: 'utf8' });
    if (r.status !== 0) throw new BenchFailure(`ip ${c.join(' ')} exited ${r.status}: ${r.stderr}`);
    text += r.stdout;
  }
  const ms = performance.now() - t0;
  if (check) checkNaiveOutput(text, lab, 'the naive spawnSync run');
  return { ms, bytes: Buffer.byteLength(text) };
}

async function runWorker(lab: Lab, samples: number): Promise<WorkerResult> {
  const o = await run(
    NSENTER,
    [
      `--net=/run/netns/${lab.nodeNs}`,
      '--',
      NODE,
      '--import',
      TSX_LOADER,
      SELF,
      '--worker-collect',
      '--conflist',
      lab.conflist,
      '--node',
      NODE_NAME,
      '--samples',
      String(samples),
      '--warmup',
      String(WORKER_WARMUP),
      '--clk-tck',
      String(clkTck()),
    ],
    { PATH: CLEAN_PATH },
  );
  if (o.status !== 0) failRun('the collection worker', o);
  const last = o.stdout.trim().split('\n').at(-1) ?? '';
  const r = JSON.parse(last) as WorkerResult;
  if (r.pods !== lab.podNamespaces.length)
    throw new BenchFailure(`collect() in ${lab.nodeNs} found ${r.pods} pods, expected ${lab.podNamespaces.length}`);
  return r;
}

async function benchSnapshot(lab: Lab, opts: Options): Promise<SnapshotResults> {
  const { script, out } = writeNaiveScript(lab);
  const perRound = Math.ceil(opts.samples / ROUNDS);
  const servePerRound = perRound * 10;
  const collectSamples = Object.fromEntries(WORKER_PARTS.map((k) => [k, [] as number[]])) as Record<
    WorkerPart,
    number[]
  >;
  const collectMsField: number[] = [];
  let worker: WorkerResult | null = null;
  const serve: number[] = [];
  const serveKeepAlive: number[] = [];
  const healthz: number[] = [];
  // A kept-alive connection per serve round: the other methods in between can outlast the
  // server's keep-alive timeout, and reusing a socket it closed fails with EPIPE.
  let keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  const stringify: number[] = [];
  const parse: number[] = [];
  const bash: number[] = [];
  const node: number[] = [];
  let responseBytes = 0;
  let healthzBytes = 0;
  let keptCollectMs = NaN;
  let naiveBytes = 0;

  // Untimed: the naive ways once each, checked; a few requests to warm the connection path.
  await naiveBash(script, out, lab, true);
  naiveBytes = naiveNode(lab, true).bytes;
  for (let i = 0; i < 5; i++) await getRaw(lab.socket, lab.token, '/v1/snapshot');

  for (let r = 0; r < ROUNDS; r++) {
    const methods = ['collect', 'serve', 'naive-bash', 'naive-node'];
    const order = [...methods.slice(r % methods.length), ...methods.slice(0, r % methods.length)];
    for (const m of order) {
      progress(`(a) round ${r + 1}/${ROUNDS}: ${m}`);
      if (m === 'collect') {
        worker = await runWorker(lab, perRound);
        for (const k of WORKER_PARTS) collectSamples[k].push(...worker.ms[k]);
        collectMsField.push(...worker.collectMsField);
      } else if (m === 'serve') {
        keepAlive.destroy();
        keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
        for (let i = 0; i < servePerRound; i++) {
          // The same request on a kept-alive connection, and GET /healthz (a few bytes) for
          // the fixed cost of a request.
          const ka = await getRaw(lab.socket, lab.token, '/v1/snapshot', keepAlive);
          if (ka.status !== 200) throw new BenchFailure(`GET /v1/snapshot (keep-alive) answered ${ka.status}`);
          serveKeepAlive.push(ka.ms);
          const hz = await getRaw(lab.socket, lab.token, '/healthz');
          if (hz.status !== 200) throw new BenchFailure(`GET /healthz answered ${hz.status}`);
          healthz.push(hz.ms);
          healthzBytes = hz.body.length;
          const reply = await getRaw(lab.socket, lab.token, '/v1/snapshot');
          if (reply.status !== 200)
            throw new BenchFailure(
              `GET /v1/snapshot answered ${reply.status}: ${reply.body.toString('utf8').slice(0, 200)}`,
            );
          serve.push(reply.ms);
          responseBytes = reply.body.length;
          // What the server does per request (JSON.stringify of the body) and what a client does (JSON.parse), here.
          const p0 = performance.now();
          const body = JSON.parse(reply.body.toString('utf8'));
          parse.push(performance.now() - p0);
          const s0 = performance.now();
          JSON.stringify(body);
          stringify.push(performance.now() - s0);
          if (i === 0) {
            if (body.snapshot.pods.length !== lab.podNamespaces.length)
              throw new BenchFailure(
                `GET /v1/snapshot shows ${body.snapshot.pods.length} pods, expected ${lab.podNamespaces.length}`,
              );
            keptCollectMs = body.snapshot.collectMs;
          }
        }
      } else if (m === 'naive-bash') {
        for (let i = 0; i < perRound; i++) bash.push(await naiveBash(script, out, lab, false));
      } else {
        for (let i = 0; i < perRound; i++) node.push(naiveNode(lab, false).ms);
      }
    }
    say(
      `(a) round ${r + 1}/${ROUNDS}: collect p50 ${f1(percentile(collectSamples.collect, 50))} ms (one-shot ip ${f1(percentile(collectSamples.collectOneShot, 50))}), serve p50 ${f2(percentile(serve, 50))} ms, naive bash p50 ${f0(percentile(bash, 50))} ms, naive node p50 ${f0(percentile(node, 50))} ms`,
    );
  }
  keepAlive.destroy();
  const naive = percentile(bash, 50) <= percentile(node, 50) ? 'bash' : 'node';
  const nv = naive === 'bash' ? bash : node;
  return {
    collect: Object.fromEntries(WORKER_PARTS.map((k) => [k, stat(collectSamples[k])])) as Record<WorkerPart, Stat>,
    collectMsField: stat(collectMsField),
    counts: worker!.counts,
    cpu: worker!.cpu,
    dumpBytes: worker!.dumpBytes,
    snapshotBytes: worker!.snapshotBytes,
    serve: stat(serve),
    serveKeepAlive: stat(serveKeepAlive),
    healthz: stat(healthz),
    serveStringify: stat(stringify),
    serveParse: stat(parse),
    responseBytes,
    healthzBytes,
    keptCollectMs,
    naiveBash: stat(bash),
    naiveNode: stat(node),
    naiveCommands: naiveCommands(lab).length,
    naiveBytes,
    ratio: {
      freshP50: percentile(nv, 50) / percentile(collectSamples.collect, 50),
      freshP95: percentile(nv, 95) / percentile(collectSamples.collect, 95),
      serveP50: percentile(nv, 50) / percentile(serve, 50),
      serveP95: percentile(nv, 95) / percentile(serve, 95),
      oneShotP50: percentile(collectSamples.collectOneShot, 50) / percentile(collectSamples.collect, 50),
      oneShotP95: percentile(collectSamples.collectOneShot, 95) / percentile(collectSamples.collect, 95),
      naiveOneShotP50: percentile(nv, 50) / percentile(collectSamples.collectOneShot, 50),
      naive,
    },
    residentIp: worker!.residentIp,
    outsideKernelP50: percentile(collectSamples.collect, 50) - percentile(collectSamples.dumpResident, 50),
    samples: { collect: collectSamples, serve, serveKeepAlive, healthz, naiveBash: bash, naiveNode: node },
  };
}

// ---------------------------------------------------------------------------------------
// (b) change to client: pod ADD/DEL through the CNI plugin → the diff event on /v1/events

interface Iteration {
  pod: string;
  ip: string | null;
  /** podAdd: from its call to its resolving (lab lock, namespace, CNI ADD, inventory) */
  addMs: number;
  /** from podAdd's call to the diff event with the pod added */
  addStartToEvent: number;
  /** from the plugin's "ADD done" line in cni.log (its wall clock, ms resolution) to the event */
  pluginAddDoneToEvent: number | null;
  /** from podAdd resolving to the event (negative: the event came first) */
  addDoneToEvent: number;
  /** from podAdd's call to the first diff event of any kind */
  addStartToFirstEvent: number;
  addEvents: number;
  delMs: number;
  delStartToEvent: number;
  pluginDelDoneToEvent: number | null;
  delDoneToEvent: number;
  delEvents: number;
}

interface ChangeResults {
  iterations: Iteration[];
  addStartToEvent: Stat;
  pluginAddDoneToEvent: Stat;
  addDoneToEvent: Stat;
  addStartToFirstEvent: Stat;
  add: Stat;
  delStartToEvent: Stat;
  pluginDelDoneToEvent: Stat;
  delDoneToEvent: Stat;
  del: Stat;
  eventsPerAdd: Stat;
  eventBeforeAddDone: number;
}

async function benchChanges(lab: Lab, opts: Options): Promise<ChangeResults> {
  const events = await openEvents(lab.socket, lab.token);
  const isPod = (op: 'added' | 'removed', key: string) => (a: Arrival) =>
    a.event === 'diff' && (a.data?.changes ?? []).some((c) => c.collection === 'pods' && c.op === op && c.key === key);
  const quiet = async (ms: number) => {
    // Until no event arrived for `ms` (at most 5 s): the last ADD/DEL's echoes are over.
    const deadline = performance.now() + 5000;
    for (;;) {
      const last = events.arrivals.at(-1)?.t ?? 0;
      const idle = performance.now() - last;
      if (idle >= ms || performance.now() > deadline) return;
      await sleep(ms - idle);
    }
  };
  const iterations: Iteration[] = [];
  try {
    await quiet(500);
    for (let i = 1; i <= opts.iterations; i++) {
      const ref = `default/bench-${i}`;
      progress(`(b) ${i}/${opts.iterations}: add ${ref}`);
      let mark = events.arrivals.length;
      const a0 = performance.now();
      const pod = await M.pods.podAdd(P!, ref, NODE_NAME);
      const a1 = performance.now();
      const key = `${pod.containerID} eth0`;
      const added = await events.waitFor(mark, isPod('added', key), 10_000);
      const addPlugin = pluginDone(join(lab.stateDir, 'cni.log'), 'ADD', pod.containerID);
      const firstAdd = events.arrivals.slice(mark).find((a) => a.event === 'diff')!;
      const addEvents = events.arrivals
        .slice(mark, events.arrivals.indexOf(added) + 1)
        .filter((a) => a.event === 'diff').length;
      await quiet(200);

      progress(`(b) ${i}/${opts.iterations}: del ${ref}`);
      mark = events.arrivals.length;
      const d0 = performance.now();
      await M.pods.podDel(P!, ref);
      const d1 = performance.now();
      const removed = await events.waitFor(mark, isPod('removed', key), 10_000);
      const delPlugin = pluginDone(join(lab.stateDir, 'cni.log'), 'DEL', pod.containerID);
      const delEvents = events.arrivals
        .slice(mark, events.arrivals.indexOf(removed) + 1)
        .filter((a) => a.event === 'diff').length;
      await quiet(200);

      const it: Iteration = {
        pod: ref,
        ip: pod.ip,
        addMs: a1 - a0,
        addStartToEvent: added.t - a0,
        pluginAddDoneToEvent: addPlugin === null ? null : added.wall - addPlugin,
        addDoneToEvent: added.t - a1,
        addStartToFirstEvent: firstAdd.t - a0,
        addEvents,
        delMs: d1 - d0,
        delStartToEvent: removed.t - d0,
        pluginDelDoneToEvent: delPlugin === null ? null : removed.wall - delPlugin,
        delDoneToEvent: removed.t - d1,
        delEvents,
      };
      iterations.push(it);
      say(
        `(b) ${i}/${opts.iterations} ${ref} ${pod.ip}: ADD ${f0(it.addMs)} ms, event ${f0(it.addStartToEvent)} ms after start, ${f0(it.addDoneToEvent)} ms after done; DEL ${f0(it.delMs)} ms, event ${f0(it.delDoneToEvent)} ms after done`,
      );
    }
  } finally {
    events.close();
  }
  return {
    iterations,
    ...columnStats(iterations, {
      addStartToEvent: 'addStartToEvent',
      pluginAddDoneToEvent: 'pluginAddDoneToEvent',
      addDoneToEvent: 'addDoneToEvent',
      addStartToFirstEvent: 'addStartToFirstEvent',
      add: 'addMs',
      delStartToEvent: 'delStartToEvent',
      pluginDelDoneToEvent: 'pluginDelDoneToEvent',
      delDoneToEvent: 'delDoneToEvent',
      del: 'delMs',
      eventsPerAdd: 'addEvents',
    }),
    eventBeforeAddDone: iterations.filter((x) => x.addDoneToEvent < 0).length,
  };
}

// ---------------------------------------------------------------------------------------
// (c) the agent's CPU while idle

interface Ticks {
  /** the agent process itself: utime + stime */
  own: number;
  /** its children that exited and were reaped: cutime + cstime */
  reaped: number;
  /** its children alive now (ip monitor): their utime + stime */
  live: number;
}

function procTimes(pid: number): { utime: number; stime: number; cutime: number; cstime: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return { utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        out.push(
          ...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
        );
      } catch {
        /* thread gone */
      }
    }
  } catch {
    /* process gone */
  }
  return out;
}

function ticks(pid: number): Ticks & { children: { pid: number; comm: string }[] } {
  const t = procTimes(pid);
  let live = 0;
  const children: { pid: number; comm: string }[] = [];
  for (const c of childrenOf(pid)) {
    try {
      const ct = procTimes(c);
      live += ct.utime + ct.stime;
      children.push({ pid: c, comm: readFileSync(`/proc/${c}/comm`, 'utf8').trim() });
    } catch {
      /* exited meanwhile */
    }
  }
  return { own: t.utime + t.stime, reaped: t.cutime + t.cstime, live, children };
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

interface IdleResults {
  /** how long the bench waited, before the window, for the agent to stop collecting more
   *  often than its safety recheck */
  quietWaitSeconds: number;
  seconds: number;
  /** what `ip monitor` (the agent's own source of change) reported in the node's namespace during the window */
  notifications: { total: number; byKind: Record<string, number>; first: string[] };
  clkTck: number;
  ticks: Ticks;
  /** % of one core */
  ownPct: number;
  totalPct: number;
  collections: number;
  collectMsMean: number;
  rssKiB: number;
  children: string[];
}

// ---------------------------------------------------------------------------------------
// The agent's memory: its resident set (all its threads share it: the main one, the CNI
// verb threads, libuv's) and its children's (the resident ip -batch, ip monitor, nft
// monitor, the verb threads' spawn helpers), after (a)

interface MemoryResults {
  pods: number;
  rssKiB: number;
  /** the peak resident set so far (VmHWM) */
  hwmKiB: number;
  threads: number;
  children: { pid: number; comm: string; args: string; rssKiB: number }[];
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function agentMemory(lab: Lab): MemoryResults {
  const children: MemoryResults['children'] = [];
  for (const pid of childrenOf(lab.agentPid)) {
    try {
      children.push({
        pid,
        comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(),
        args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1).join(' '),
        rssKiB: statusField(pid, 'VmRSS'),
      });
    } catch {
      /* exited meanwhile */
    }
  }
  return {
    pods: lab.podNamespaces.length,
    rssKiB: statusField(lab.agentPid, 'VmRSS'),
    hwmKiB: statusField(lab.agentPid, 'VmHWM'),
    threads: statusField(lab.agentPid, 'Threads'),
    children,
  };
}

// ---------------------------------------------------------------------------------------
// (d) The verb threads: the agent's RSS with every verb thread running (right after a burst
// of CNI verbs) and once the threads above the pool's minimum have been idle long enough to
// be ended (agent/cni-socket/verb-pool.ts, VERB_IDLE_MS); and what a burst then pays for
// starting them again, against the same burst with the threads running. The verb is
// VERSION through the shim (nsenter, the shim, the agent's CNI socket, a verb thread, no
// kernel work), so bursts change nothing on the node and need no addresses.

interface ThreadResults {
  burst: number;
  /** the verb threads' idle period the bench waited out (ms) */
  idleMs: number;
  warm: { memory: MemoryResults; ms: Stat };
  idle: { memory: MemoryResults };
  afterIdle: { memory: MemoryResults; ms: Stat };
}

function versionViaAgent(lab: Lab): Promise<number> {
  const bin = lab.cniBin;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(NSENTER, [`--net=/run/netns/${lab.nodeNs}`, '--', join(bin, 'podnet')], {
      env: { PATH: CLEAN_PATH, CNI_COMMAND: 'VERSION', CNI_PATH: bin },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    harness.children.add(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.resume();
    child.on('error', reject);
    // a shim that is not there ends before its input is written: 'close' says so
    child.stdin!.on('error', () => {});
    child.on('close', (code) => {
      harness.children.delete(child);
      const ms = performance.now() - t0;
      if (code !== 0 || !out.includes('supportedVersions'))
        return reject(new BenchFailure(`CNI VERSION through the shim: exit ${code}, ${out.slice(0, 200)}`));
      resolve(ms);
    });
    child.stdin!.end(JSON.stringify({ cniVersion: '1.0.0', agentSocket: join(lab.stateDir, 'cni.sock') }));
  });
}

async function burstOf(lab: Lab, n: number, rounds: number): Promise<number[]> {
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++)
    ms.push(...(await Promise.all(Array.from({ length: n }, () => versionViaAgent(lab)))));
  return ms;
}

async function benchThreads(lab: Lab, opts: Options): Promise<ThreadResults> {
  // (A checkout from before threads were ended when idle has no VERB_IDLE_MS: its minute.)
  const pool: { VERB_IDLE_MS?: number } = await import('../agent/cni-socket/verb-pool.js');
  const idleMs = pool.VERB_IDLE_MS ?? 60_000;
  // Every thread running: bursts until the pool has grown (the first may start threads).
  await burstOf(lab, opts.burst, 3);
  const warmMs = await burstOf(lab, opts.burst, 5);
  const warm = { memory: agentMemory(lab), ms: stat(warmMs) };
  const until = performance.now() + idleMs + 5_000;
  while (performance.now() < until) {
    progress(`(d) waiting out the verb threads' idle period: ${f0((until - performance.now()) / 1000)} s left`);
    await sleep(Math.min(1000, until - performance.now()));
  }
  const idle = { memory: agentMemory(lab) };
  const firstMs = await burstOf(lab, opts.burst, 1);
  return { burst: opts.burst, idleMs, warm, idle, afterIdle: { memory: agentMemory(lab), ms: stat(firstMs) } };
}

/** The agent's RSS target, in bytes (120 MB). */
const RSS_TARGET = 120e6;

const collections = async (lab: Lab) =>
  metric(
    (await getRaw(lab.socket, lab.token, '/metrics')).body.toString('utf8'),
    'podnet_agent_snapshot_duration_seconds_count',
  );

/**
 * Waits (at most 120 s) until the agent has not collected for 6 s. Some 13 s after a veth
 * comes up the kernel sends one more RTM_NEWLINK for it; after a lab build those arrive one
 * per pod, and each makes the agent collect: that is the build's tail, not idleness.
 */
async function waitAgentQuiet(lab: Lab): Promise<number> {
  const t0 = performance.now();
  let count = await collections(lab);
  let changedAt = t0;
  for (;;) {
    await sleep(1000);
    const now = performance.now();
    const n = await collections(lab);
    if (n !== count) {
      count = n;
      changedAt = now;
    }
    if (now - changedAt >= 6000) break;
    if (now - t0 > 120_000) {
      say('(c) warning: the agent kept collecting more often than every 6 s for 120 s; measuring anyway');
      break;
    }
    progress(`(c) waiting for the agent to be quiet: ${f0((now - t0) / 1000)} s`);
  }
  return (performance.now() - t0) / 1000;
}

function monitorNode(lab: Lab): { stop(): Promise<string> } {
  const child = spawn('ip', ['-n', lab.nodeNs, '-o', 'monitor', 'label', 'link', 'address', 'route', 'neigh'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  harness.children.add(child);
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await closed;
      harness.children.delete(child);
      return text;
    },
  };
}

async function benchIdle(lab: Lab, opts: Options): Promise<IdleResults> {
  const clk = clkTck();
  const quietWaitSeconds = await waitAgentQuiet(lab);
  const m0 = (await getRaw(lab.socket, lab.token, '/metrics')).body.toString('utf8');
  const mon = monitorNode(lab);
  await sleep(2000); // the request's own work is over before the window opens
  const before = ticks(lab.agentPid);
  const t0 = performance.now();
  const end = t0 + opts.idleSeconds * 1000;
  while (performance.now() < end) {
    progress(`(c) idle: ${f0((end - performance.now()) / 1000)} s left`);
    await sleep(Math.min(1000, end - performance.now()));
  }
  const after = ticks(lab.agentPid);
  const seconds = (performance.now() - t0) / 1000;
  // Lines from before the window (its first 2 s) count too: they can only add to what the window saw.
  const lines = (await mon.stop()).split('\n').filter(Boolean);
  const byKind: Record<string, number> = {};
  for (const l of lines) {
    let kind = /^\[(\w+)\]/.exec(l)?.[1]?.toLowerCase() ?? 'other';
    // IPv6 multicast entries (ff02::…, NOARP) that the kernel makes and expires for the veths'
    // own RS/MLD/DAD packets: `ip neigh show` (and so the snapshot) never lists them.
    if (kind === 'neigh' && /\bff02::/.test(l)) kind = 'neigh ff02:: (IPv6 multicast)';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const m1 = (await getRaw(lab.socket, lab.token, '/metrics')).body.toString('utf8');
  const d: Ticks = {
    own: after.own - before.own,
    reaped: after.reaped - before.reaped,
    live: after.live - before.live,
  };
  const count =
    metric(m1, 'podnet_agent_snapshot_duration_seconds_count') -
    metric(m0, 'podnet_agent_snapshot_duration_seconds_count');
  const sum =
    metric(m1, 'podnet_agent_snapshot_duration_seconds_sum') - metric(m0, 'podnet_agent_snapshot_duration_seconds_sum');
  const rss = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${lab.agentPid}/status`, 'utf8'));
  const pct = (t: number) => (100 * t) / clk / seconds;
  return {
    quietWaitSeconds,
    seconds,
    notifications: {
      total: lines.length,
      byKind,
      first: lines.slice(0, 5).map((l) => l.replace(/\s+/g, ' ').slice(0, 160)),
    },
    clkTck: clk,
    ticks: d,
    ownPct: pct(d.own),
    totalPct: pct(d.own + d.reaped + d.live),
    collections: count,
    collectMsMean: count > 0 ? (1000 * sum) / count : NaN,
    rssKiB: rss ? Number(rss[1]) : NaN,
    children: after.children.map((c) => `${c.comm} (${c.pid})`),
  };
}

// ---------------------------------------------------------------------------------------
// Report

const fms = (x: number) =>
  !Number.isFinite(x) ? '-' : Math.abs(x) < 10 ? x.toFixed(2) : Math.abs(x) < 100 ? x.toFixed(1) : x.toFixed(0);

const statRow = (label: string, s: Stat, extra = ''): string[] => [
  label,
  String(s.n),
  fms(s.p50),
  fms(s.p95),
  fms(s.min),
  fms(s.max),
  extra,
];

interface Meta extends Machine {
  labId: string;
  options: Options;
  labUpSeconds: number;
}

interface Target {
  what: string;
  value: string;
  target: string;
  met: boolean;
}

function targets(
  a: SnapshotResults,
  b: ChangeResults | null,
  c: IdleResults | null,
  m: MemoryResults,
  d: ThreadResults | null = null,
): Target[] {
  // The highest of the agent's RSS readings: after (a), and in (d) with every thread running.
  const rss = Math.max(m.rssKiB, d?.warm.memory.rssKiB ?? 0, d?.afterIdle.memory.rssKiB ?? 0) * 1024;
  const t: Target[] = [
    {
      what: 'naive ÷ fresh collection, p50',
      value: `${f1(a.ratio.freshP50)}x`,
      target: '≥ 25x',
      met: a.ratio.freshP50 >= 25,
    },
    {
      what: 'fresh collection, p50',
      value: `${fms(a.collect.collect.p50)} ms`,
      target: '≤ 20 ms',
      met: a.collect.collect.p50 <= 20,
    },
    {
      what: "  of which outside the kernel's dumps, p50",
      value: `${fms(a.outsideKernelP50)} ms`,
      target: '≤ 10 ms',
      met: a.outsideKernelP50 <= 10,
    },
    {
      what: `agent RSS with its verb threads (${m.pods} pods; the highest reading)`,
      value: `${f0(rss / 1e6)} MB`,
      target: `< ${f0(RSS_TARGET / 1e6)} MB`,
      met: rss < RSS_TARGET,
    },
    { what: 'GET /v1/snapshot, p50', value: `${fms(a.serve.p50)} ms`, target: '< 2 ms', met: a.serve.p50 < 2 },
  ];
  if (b) {
    t.push({
      what: 'ADD done (podAdd resolved) → event, p95',
      value: `${fms(b.addDoneToEvent.p95)} ms`,
      target: '< 100 ms',
      met: b.addDoneToEvent.p95 < 100,
    });
    t.push({
      what: "plugin's ADD done (cni.log) → event, p95",
      value: `${fms(b.pluginAddDoneToEvent.p95)} ms`,
      target: '< 100 ms',
      met: b.pluginAddDoneToEvent.p95 < 100,
    });
  }
  if (c)
    t.push({
      what: 'agent CPU idle (own + children)',
      value: `${f2(c.totalPct)}%`,
      target: '< 1% of a core',
      met: c.totalPct < 1,
    });
  return t;
}

/** What the agent's two timers should cost over the idle window, from the CPU per call the
 *  worker measured: the collections the agent made, and one firewall read every 5 s. */
function expectedIdle(a: SnapshotResults, c: IdleResults): { collectPct: number; firewallPct: number } {
  const per = (x: CpuPerCall | null) => (x ? x.ownMs + x.childrenMs : NaN);
  return {
    collectPct: (100 * c.collections * per(a.cpu.collect)) / (c.seconds * 1000),
    // Firewall facts are re-read on `nft monitor` changes, and by a safety timer.
    firewallPct: (100 * (c.seconds / (FIREWALL_MS / 1000)) * per(a.cpu.firewall)) / (c.seconds * 1000),
  };
}

function printText(
  meta: Meta,
  a: SnapshotResults,
  b: ChangeResults | null,
  c: IdleResults | null,
  m: MemoryResults,
  d: ThreadResults | null = null,
): void {
  const L: string[] = [];
  const o = meta.options;
  L.push(`podnet agent benchmark — ${meta.date}`);
  L.push(
    `node ${meta.node}, kernel ${meta.kernel}, ${meta.cpus} CPU(s); lab ${meta.labId}: ${o.nodes} node(s), ${o.pods} pods on ${NODE_NAME}, host-gw, control plane ${o.controlPlane} (lab up ${f1(meta.labUpSeconds)} s)`,
  );
  L.push(
    `${NODE_NAME}'s kernel: ${a.counts.links} links, ${a.counts.addresses} addresses, ${a.counts.routes} routes, ${a.counts.neighbours} neighbours, ${a.counts.nsids} netns ids; ${a.counts.attachments} attachment records, ${a.counts.leases} leases`,
  );
  L.push('');
  L.push(`(a) a snapshot of ${NODE_NAME} (ms; nearest-rank percentiles; ${ROUNDS} rounds, the methods taking turns)`);
  L.push('');
  const C = a.collect;
  L.push(
    table(
      ['', 'n', 'p50', 'p95', 'min', 'max', ''],
      [
        statRow(
          "fresh collection, the agent's way: collect()",
          C.collect,
          'in the node netns, warm (after 3 untimed); resident ip -batch',
        ),
        statRow(
          '  its dumps: the resident ip -batch answering the 4',
          C.dumpResident,
          `ip's CPU per answer ${fms(a.residentIp.onCpuMs)} ms (user ${fms(a.residentIp.userMs)}, sys ${fms(a.residentIp.sysMs)})`,
        ),
        statRow(
          "fresh collection, today's one-shot: collect() spawning ip",
          C.collectOneShot,
          'one ip -j -d -batch process per collection (before)',
        ),
        statRow(
          '  dumpKernel(): ip -j -d -batch (4 dumps) + parse',
          C.dumpKernel,
          `${(a.dumpBytes / 1024).toFixed(0)} KiB of JSON`,
        ),
        statRow('    ip -j -d -batch alone (spawn to exit)', C.ipBatch),
        statRow('    JSON.parse of its output', C.parse),
        statRow('    ip -V (a bare spawn of ip, for scale)', C.ipVersion),
        statRow(
          `  attachment records (${a.counts.attachments} files)`,
          C.attachments,
          'overlaps the ip child in collect()',
        ),
        statRow(`  lease files (${a.counts.leases})`, C.leases, 'overlaps the ip child in collect()'),
        statRow('  buildSnapshot() + findings', C.build, `snapshot ${(a.snapshotBytes / 1024).toFixed(0)} KiB as JSON`),
        statRow('  its own collectMs field', a.collectMsField),
        statRow(
          'serve the kept snapshot: GET /v1/snapshot',
          a.serve,
          `new connection per request; ${(a.responseBytes / 1024).toFixed(0)} KiB response`,
        ),
        statRow('  the same, on a kept-alive connection', a.serveKeepAlive),
        statRow('  GET /healthz, new connection (the fixed cost)', a.healthz, `a ${a.healthzBytes}-byte answer`),
        statRow('  JSON.stringify of the body (the server part)', a.serveStringify, 'measured in the bench process'),
        statRow('  JSON.parse of the body (a client)', a.serveParse, 'not in the round trip above'),
        statRow(
          `naive: bash, ${a.naiveCommands} ip -j commands, sequential`,
          a.naiveBash,
          `${(a.naiveBytes / 1024).toFixed(0)} KiB of JSON, not parsed`,
        ),
        statRow(`naive: node spawnSync, the same ${a.naiveCommands} commands`, a.naiveNode),
      ],
      1,
    ),
  );
  L.push('');
  L.push(
    `naive (${a.ratio.naive}, the faster) ÷ fresh collection: ${f1(a.ratio.freshP50)}x at p50, ${f1(a.ratio.freshP95)}x at p95`,
  );
  L.push(
    `one-shot ip -batch ÷ resident:              ${f1(a.ratio.oneShotP50)}x at p50, ${f1(a.ratio.oneShotP95)}x at p95 (naive ÷ one-shot ${f1(a.ratio.naiveOneShotP50)}x at p50)`,
  );
  L.push(
    `outside the kernel's dumps (collect() p50 − the resident ip's answer p50): ${fms(a.outsideKernelP50)} ms; the resident ip was replaced ${a.residentIp.restarts} time(s), ${a.residentIp.fallbacks} one-shot fallback(s)`,
  );
  L.push(
    `the agent's memory after (a), ${m.pods} pods: RSS ${f0((m.rssKiB * 1024) / 1e6)} MB (peak ${f0((m.hwmKiB * 1024) / 1e6)} MB), ${m.threads} threads; children ${m.children.map((x) => `${x.comm}${x.args.includes('-batch') ? ' -batch' : x.args.includes('monitor') ? ' monitor' : ''} ${f1((x.rssKiB * 1024) / 1e6)} MB`).join(', ') || 'none'}`,
  );
  L.push(
    `naive (${a.ratio.naive}) ÷ GET /v1/snapshot:       ${f0(a.ratio.serveP50)}x at p50, ${f0(a.ratio.serveP95)}x at p95`,
  );
  L.push(`the kept snapshot's collectMs, as the resident agent measured it: ${fms(a.keptCollectMs)} ms`);
  if (b) {
    L.push('');
    L.push(
      `(b) pod ADD/DEL through the CNI plugin → the diff event on GET /v1/events (ms; ${b.iterations.length} iterations, pod added to ${NODE_NAME} and deleted again)`,
    );
    L.push('');
    L.push(
      table(
        ['', 'n', 'p50', 'p95', 'min', 'max', ''],
        [
          statRow('ADD start → event with the pod added', b.addStartToEvent, 'start = podAdd() called'),
          statRow("plugin's ADD done (cni.log) → event", b.pluginAddDoneToEvent, 'wall clocks, 1 ms resolution'),
          statRow(
            'ADD done (podAdd resolved) → event',
            b.addDoneToEvent,
            `< 0: the event came first (${b.eventBeforeAddDone}/${b.iterations.length})`,
          ),
          statRow('ADD start → first diff event of any kind', b.addStartToFirstEvent),
          statRow('podAdd() itself', b.add, 'lab lock, netns, CNI ADD, inventory'),
          statRow('diff events up to the one with the pod', b.eventsPerAdd),
          statRow('DEL start → event with the pod removed', b.delStartToEvent),
          statRow("plugin's DEL done (cni.log) → event", b.pluginDelDoneToEvent),
          statRow('DEL done (podDel resolved) → event', b.delDoneToEvent),
          statRow('podDel() itself', b.del),
        ],
        1,
      ),
    );
  }
  if (c) {
    L.push('');
    L.push(
      `(c) the agent of ${NODE_NAME} idle for ${f1(c.seconds)} s with ${o.pods} pods (no changes, no clients; CLK_TCK ${c.clkTck}), after (a),`,
    );
    L.push(`    once the agent had not collected for 6 s (waited ${f0(c.quietWaitSeconds)} s for that)`);
    L.push('');
    L.push(
      table(
        ['', 'ticks', '% of one core'],
        [
          ['agent process (utime + stime)', String(c.ticks.own), f2((100 * c.ticks.own) / c.clkTck / c.seconds)],
          [
            'its reaped children (cutime + cstime: ip, nft, iptables…)',
            String(c.ticks.reaped),
            f2((100 * c.ticks.reaped) / c.clkTck / c.seconds),
          ],
          [
            `its live children (${c.children.join(', ') || 'none'})`,
            String(c.ticks.live),
            f2((100 * c.ticks.live) / c.clkTck / c.seconds),
          ],
          ['total', String(c.ticks.own + c.ticks.reaped + c.ticks.live), f2(c.totalPct)],
        ],
        1,
      ),
    );
    L.push('');
    const kinds = Object.entries(c.notifications.byKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    L.push(
      `netlink notifications in ${NODE_NAME} during the window (ip monitor link address route neigh): ${c.notifications.total}${kinds ? ` (${kinds})` : ''}`,
    );
    L.push(
      `collections during the window: ${f0(c.collections)} (${f0(c.seconds / (RECHECK_MS / 1000))} from the ${RECHECK_MS / 1000} s recheck), mean ${fms(c.collectMsMean)} ms each as the agent measured them; agent RSS ${f0(c.rssKiB / 1024)} MiB`,
    );
    const e = expectedIdle(a, c);
    const cc = a.cpu.collect;
    const fw = a.cpu.firewall;
    L.push(
      `CPU per call, measured in the node netns (this process + its reaped children): collect() ${fms(cc.ownMs)} + ${fms(cc.childrenMs)} ms,`,
    );
    L.push(
      `  firewall facts (nft/iptables, read on nft monitor changes and every ${FIREWALL_MS / 1000} s) ${fw ? `${fms(fw.ownMs)} + ${fms(fw.childrenMs)} ms` : 'unavailable'}; so the timers alone should cost`,
    );
    L.push(
      `  ${f2(e.collectPct)}% (collections) + ${f2(e.firewallPct)}% (firewall reads) = ${f2(e.collectPct + e.firewallPct)}% of one core`,
    );
  }
  if (d) {
    const mb = (x: MemoryResults) => `${f0((x.rssKiB * 1024) / 1e6)} MB`;
    L.push('');
    L.push(
      `(d) the verb threads (agent run ${o.agent}; bursts of ${d.burst} CNI VERSION calls through the shim and the agent's CNI socket, ms)`,
    );
    L.push('');
    L.push(
      table(
        ['', 'n', 'p50', 'p95', 'min', 'max', 'agent RSS', 'threads'],
        [
          [
            ...statRow('every verb thread running', d.warm.ms).slice(0, 6),
            mb(d.warm.memory),
            String(d.warm.memory.threads),
          ],
          [
            `idle ${f0(d.idleMs / 1000 + 5)} s (threads above the minimum ended)`,
            '',
            '',
            '',
            '',
            '',
            mb(d.idle.memory),
            String(d.idle.memory.threads),
          ],
          [
            '…then the first burst (threads started again)',
            ...statRow('', d.afterIdle.ms).slice(1, 6),
            mb(d.afterIdle.memory),
            String(d.afterIdle.memory.threads),
          ],
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
      targets(a, b, c, m, d).map((t) => [t.what, t.value, t.target, t.met ? 'met' : 'MISSED']),
      1,
    ),
  );
  process.stdout.write(L.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------
// Main

async function measure(opts: Options): Promise<number> {
  if (opts.agent === 'built') useBuiltAgent();
  M = {
    lab: await import('../lab/lab.js'),
    pods: await import('../lab/pods.js'),
    paths: await import('../lab/paths.js'),
    agents: await import('../lab/agents.js'),
    inventory: await import('../lab/inventory.js'),
    kubeLab: await import('../lab/kube-lab.js'),
  };
  harness.onCleanup(stopProcesses);
  tempRoot = harness.tempDir('agent');
  const t0 = performance.now();
  const lab = await buildLab(opts);
  const labUpSeconds = (performance.now() - t0) / 1000;
  await settle(lab, opts.pods);

  say('(a) snapshot: fresh collection, GET /v1/snapshot, the naive way');
  const a = await benchSnapshot(lab, opts);
  const mem = agentMemory(lab);
  say(`(a) the agent's RSS with ${mem.pods} pods: ${f0((mem.rssKiB * 1024) / 1e6)} MB, ${mem.threads} threads`);
  // (c) before (b): (a) only reads, so the node has had no change since the lab was built.
  let c: IdleResults | null = null;
  if (opts.idleSeconds > 0) {
    say(`(c) idle: ${opts.idleSeconds} s without changes`);
    c = await benchIdle(lab, opts);
    say(
      `(c) idle: ${f2(c.totalPct)}% of one core (agent alone ${f2(c.ownPct)}%), ${f0(c.collections)} collections, ${c.notifications.total} netlink notifications`,
    );
  }
  let b: ChangeResults | null = null;
  if (opts.iterations > 0) {
    say(`(b) change to client: ${opts.iterations} pod ADD+DEL`);
    await settle(lab, opts.pods, 500);
    b = await benchChanges(lab, opts);
  }
  let d: ThreadResults | null = null;
  if (opts.burst > 0) {
    say(`(d) verb threads: bursts of ${opts.burst} CNI VERSION calls, warm and after the threads' idle period`);
    d = await benchThreads(lab, opts);
    say(
      `(d) RSS ${f0((d.warm.memory.rssKiB * 1024) / 1e6)} MB with every verb thread (${d.warm.memory.threads} threads), ${f0((d.idle.memory.rssKiB * 1024) / 1e6)} MB once idle (${d.idle.memory.threads} threads)`,
    );
  }
  progressDone();

  const meta: Meta = { ...machine(), labId: lab.labId, options: opts, labUpSeconds };
  if (opts.json) {
    const round = (_k: string, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
    const idle = c ? { ...c, expected: expectedIdle(a, c) } : null;
    process.stdout.write(
      JSON.stringify(
        { meta, snapshot: a, memory: mem, changes: b, idle, threads: d, targets: targets(a, b, c, mem, d) },
        round,
        2,
      ) + '\n',
    );
  } else {
    printText(meta, a, b, c, mem, d);
  }
  return 0;
}

if (process.argv.includes('--worker-collect')) {
  collectWorker(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`collection worker failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  runBench({
    usage: USAGE,
    options: OPTIONS,
    parse: parseOptions,
    needs: () => ({
      root: 'bench/agent.ts must run as root: it builds a lab of network namespaces',
      files: [NSENTER, BASH, TSX_LOADER],
    }),
    stopping: 'taking the lab down',
    run: measure,
  });
}
