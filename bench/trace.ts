// Path-trace benchmark (issue 9): `podnet trace` end to end, until the diagnosis is shown,
// on labs of its own — a healthy same-node trace (web-1 → web-2), a healthy cross-node one
// in host-gw (web-1 → web-3) and in router mode (a second lab), and a broken one
// (`lab fault missing-route` on node1, web-1 → web-3) — measured in-process (labTrace +
// runTrace, as the dashboard's server runs it), as a user runs the CLI (`bin/podnet trace
// … --json`, Node start-up included), and side by side the way an operator answers the same
// question by hand: `ip netns exec <pod> traceroute -n`, then `ip route get` in every
// namespace on the path, one process each. See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/trace.ts [--rounds N] [--quick] [--json]
//
// The labs are bt<random> (namespaces podnet-bt<random>-…, state in /run/podnet/bt<random>),
// built with `bin/podnet lab up` and taken down with `bin/podnet lab down` by the harness
// (bench/harness.ts) at the end, on failure and on SIGINT/SIGTERM. All traffic runs inside
// the labs' namespaces: the probes from the source pod (through its node's agent, or
// `ip netns exec` for the by-hand way).
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readInventory, type LabInventory } from '../lab/inventory.js';
import { labPaths, type LabPaths } from '../lab/paths.js';
import { labTrace } from '../lab/trace-inputs.js';
import { BRIDGE } from '../lib/model/lab.js';
import type { DiagnosisKind, TraceResult } from '../lib/model/trace.js';
import { runTrace, validateTraceRequest } from '../lib/trace/run.js';
import {
  BenchFailure,
  failRun,
  f0,
  f2,
  progress,
  runTimed,
  sayOver as say,
  sleep,
  stat,
  table,
  type Outcome,
  type Stat,
} from './common.js';
import { freshLabId, harness, numberOption, runBench, userEnv, type OptionValues } from './harness.js';

// ---------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/trace.ts [options]

Builds two labs of its own (3 nodes x 2 pods; host-gw, and router mode) and times
"podnet trace" until its diagnosis is shown, for a healthy same-node trace (web-1 ->
web-2), healthy cross-node traces in host-gw and router mode (web-1 -> web-3), and a broken
one (lab fault missing-route on node1, web-1 -> web-3): in-process (labTrace + runTrace, as
the dashboard's server runs it) and as a user runs "bin/podnet trace ... --json"; side by
side, an operator's way: ip netns exec <pod> traceroute -n, then ip route get in every
namespace on the path. Runs as root; creates only the labs bt<random>.

options:
  --rounds N    measurements per case and method (default 20)
  --gap S       seconds between two measurements of the same path, so the kernel's ICMP
                rate limit is full again, as for one person's trace (default 4; 0 turns it off)
  --quick       smoke run: 2 rounds
  --json        print the results as JSON on stdout (progress still goes to stderr)
  -h, --help    this text`;

const OPTIONS = { rounds: { type: 'string' }, gap: { type: 'string' }, quick: { type: 'boolean' } } as const;

interface Options {
  rounds: number;
  gapMs: number;
  quick: boolean;
  json: boolean;
}

function parseOptions(values: OptionValues<typeof OPTIONS>): Options {
  const quick = values.quick ?? false;
  return {
    rounds: numberOption('rounds', values.rounds, quick ? 2 : 20, 1, 1000),
    gapMs: numberOption('gap', values.gap, 4, 0, 60, false) * 1000,
    quick,
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------
// Constants of the setup

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PODNET_BIN = join(REPO, 'bin', 'podnet');
const TSX_LOADER = join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const TRACEROUTE = '/usr/bin/traceroute';
/** every lab host's interface on the LAN, as an operator types it in `iif` */
const LAN_DEV = 'eth0';
const TARGETS = { kernelMs: 300, healthyMs: 1000, brokenMs: 2000 } as const;

type LabKind = 'host-gw' | 'router';
type Method = 'in-process' | 'cli' | 'by-hand';
const METHODS: Method[] = ['in-process', 'cli', 'by-hand'];
const METHOD_LABEL: Record<Method, string> = {
  'in-process': 'podnet in-process',
  cli: 'podnet CLI --json',
  'by-hand': 'by hand (ip netns exec)',
};

interface Case {
  key: 'same-node' | 'host-gw' | 'router' | 'broken';
  title: string;
  lab: LabKind;
  from: string;
  to: string;
  /** the cause the diagnosis must name, on this node */
  breaks: { kind: DiagnosisKind; node: string } | null;
}

const CASES: Case[] = [
  { key: 'same-node', title: 'same node, web-1 → web-2', lab: 'host-gw', from: 'web-1', to: 'web-2', breaks: null },
  {
    key: 'host-gw',
    title: 'cross-node host-gw, web-1 → web-3',
    lab: 'host-gw',
    from: 'web-1',
    to: 'web-3',
    breaks: null,
  },
  { key: 'router', title: 'cross-node router, web-1 → web-3', lab: 'router', from: 'web-1', to: 'web-3', breaks: null },
  {
    key: 'broken',
    title: 'broken: missing-route on node1, web-1 → web-3',
    lab: 'host-gw',
    from: 'web-1',
    to: 'web-3',
    breaks: { kind: 'route-missing', node: 'node1' },
  },
];
const caseOf = (key: Case['key']) => CASES.find((c) => c.key === key)!;
/** the broken case needs its fault held; the healthy host-gw case needs it gone */
const PHASES: Case['key'][][] = [
  ['same-node', 'host-gw'],
  ['broken', 'router'],
];

// ---------------------------------------------------------------------------------------
// Resources: the labs and child processes — the harness's to remove

interface Lab {
  kind: LabKind;
  id: string;
  paths: LabPaths;
  inv: LabInventory;
}

const labs = new Map<LabKind, Lab>();
let faultHeld = false;

async function podnet(what: string, args: string[]): Promise<Outcome> {
  const o = await runTimed(PODNET_BIN, args, { cwd: REPO, env: userEnv(), live: harness.children });
  if (o.status !== 0) failRun(what, o);
  return o;
}

async function buildLab(kind: LabKind): Promise<{ lab: Lab; ms: number }> {
  const id = freshLabId('bt');
  harness.lab(id); // from here on clean-up takes it down
  say(`lab ${id}: bin/podnet lab up --lab-id ${id} --routing ${kind} (3 nodes x 2 pods)`);
  const up = await podnet(`bin/podnet lab up --lab-id ${id}`, [
    'lab',
    'up',
    '--lab-id',
    id,
    '--routing',
    kind,
    '--nodes',
    '3',
    '--pods-per-node',
    '2',
  ]);
  const paths = labPaths(id);
  const inv = readInventory(paths);
  if (!inv || inv.phase !== 'ready') throw new BenchFailure(`lab ${id} has no ready inventory after lab up`);
  for (const c of CASES.filter((x) => x.lab === kind))
    for (const pod of [c.from, c.to])
      if (!inv.pods.some((p) => p.name === pod && p.ip))
        throw new BenchFailure(`lab ${id} has no pod ${pod} with an address`);
  return { lab: { kind, id, paths, inv }, ms: up.ms };
}

async function setFault(held: boolean): Promise<void> {
  const lab = labs.get('host-gw')!;
  const args = held
    ? ['lab', 'fault', 'missing-route', '--node', 'node1', '--pod', 'web-3', '--lab-id', lab.id]
    : ['lab', 'fault', 'clear', '--lab-id', lab.id];
  say(`lab ${lab.id}: bin/podnet ${args.join(' ')}`);
  await podnet(`bin/podnet ${args.join(' ')}`, args);
  faultHeld = held;
}

// ---------------------------------------------------------------------------------------
// podnet's way: one sample

interface PodnetSample {
  round: number;
  /** every non-late kernel check answered (in the CLI: derived, see cli()) */
  kernelMs: number;
  /** the whole trace: the probe and the late lookups included */
  completeMs: number;
  /** the first update whose first broken diagnosis names the expected cause */
  namedMs: number | null;
  namedPhase: TraceResult['phase'] | null;
  /** named, and the kernel's answer at that hop is in */
  diagnosedMs: number | null;
  /** in-process: readInventory + labTrace (the agents' snapshots); CLI: all but runTrace
   *  (node, tsx, imports, labTrace, output) */
  outsideMs: number;
  timings: TraceResult['timings'];
  status: TraceResult['status'];
  summary: string;
  /** CLI only */
  exit: number | null;
  lookups: number;
  slowestLookupMs: number;
  pingMs: number | null;
  tracerouteMs: number | null;
  tracerouteHops: number;
  tracerouteUnanswered: number;
}

function requestOf(c: Case) {
  return { ...validateTraceRequest({ from: c.from, to: c.to }), noProbe: false };
}

/** The first broken diagnosis, when it names the case's cause on its node; and whether the
 *  kernel's answer at that hop is in. */
function namedCause(r: TraceResult, c: Case): { named: boolean; verified: boolean } {
  if (!c.breaks) return { named: false, verified: false };
  const d = r.diagnoses.find((x) => x.severity === 'broken');
  const hop = d?.hop ? [...r.forward, ...r.back].find((h) => h.id === d.hop) : undefined;
  const named = !!d && d.kind === c.breaks.kind && (hop?.where.node === c.breaks.node || d.fix?.node === c.breaks.node);
  return { named, verified: named && (hop?.kernel === 'agrees' || hop?.kernel === 'disagrees') };
}

const kernelDone = (r: TraceResult) => r.checks.every((k) => k.late || k.result !== null || k.error !== null);

function checkResult(r: TraceResult, c: Case, how: string): void {
  const want = c.breaks ? 'broken' : 'ok';
  if (r.status !== want)
    throw new BenchFailure(`${c.title}, ${how}: the trace says ${r.status} ("${r.summary}"), expected ${want}`);
  if (c.breaks && !namedCause(r, c).named)
    throw new BenchFailure(
      `${c.title}, ${how}: the diagnosis does not name ${c.breaks.kind} on ${c.breaks.node}: "${r.summary}"`,
    );
}

function sampleOf(
  r: TraceResult,
  round: number,
  t: Omit<
    PodnetSample,
    | 'round'
    | 'timings'
    | 'status'
    | 'summary'
    | 'lookups'
    | 'slowestLookupMs'
    | 'pingMs'
    | 'tracerouteMs'
    | 'tracerouteHops'
    | 'tracerouteUnanswered'
  >,
): PodnetSample {
  const tr = r.probe?.traceroute ?? null;
  return {
    round,
    ...t,
    timings: r.timings,
    status: r.status,
    summary: r.summary,
    lookups: r.checks.length,
    slowestLookupMs: Math.max(0, ...r.checks.map((k) => k.result?.durationMs ?? 0)),
    pingMs: r.probe?.ping?.durationMs ?? null,
    tracerouteMs: tr?.durationMs ?? null,
    tracerouteHops: tr?.hops.length ?? 0,
    tracerouteUnanswered: tr?.hops.filter((h) => h.address === null).length ?? 0,
  };
}

async function inProcess(c: Case, round: number): Promise<PodnetSample> {
  const lab = labs.get(c.lab)!;
  const t0 = performance.now();
  const inv = readInventory(lab.paths);
  if (!inv) throw new BenchFailure(`lab ${lab.id} has no inventory`);
  const { inputs, deps } = await labTrace(inv);
  const outsideMs = performance.now() - t0;
  let kernelMs: number | null = null;
  let namedMs: number | null = null;
  let namedPhase: TraceResult['phase'] | null = null;
  let diagnosedMs: number | null = null;
  const result = await runTrace(inputs, requestOf(c), deps, (r) => {
    const at = performance.now() - t0;
    if (kernelMs === null && kernelDone(r)) kernelMs = at;
    const n = namedCause(r, c);
    if (n.named && namedMs === null) [namedMs, namedPhase] = [at, r.phase];
    if (n.verified && diagnosedMs === null) diagnosedMs = at;
  });
  const completeMs = performance.now() - t0;
  checkResult(result, c, 'in-process');
  return sampleOf(result, round, {
    kernelMs: kernelMs ?? completeMs,
    completeMs,
    namedMs,
    namedPhase,
    diagnosedMs,
    outsideMs,
    exit: null,
  });
}

/** `bin/podnet trace FROM TO --lab-id ID --json`, from spawn to exit. With --json the result is
 *  shown at exit; the moment the kernel's verdicts were in inside the process is the exit less
 *  what runTrace did after them (its own timings). */
async function cli(c: Case, round: number): Promise<PodnetSample> {
  const lab = labs.get(c.lab)!;
  const o = await runTimed(PODNET_BIN, ['trace', c.from, c.to, '--lab-id', lab.id, '--json'], {
    cwd: REPO,
    env: userEnv(),
    live: harness.children,
  });
  const want = c.breaks ? 1 : 0;
  if (o.status !== want) failRun(`${c.title}: bin/podnet trace (exit ${want} expected)`, o);
  let r: TraceResult;
  try {
    r = JSON.parse(o.stdout) as TraceResult;
  } catch {
    return failRun(`${c.title}: bin/podnet trace --json printed no JSON`, o);
  }
  checkResult(r, c, 'CLI');
  const total = r.timings.totalMs ?? 0;
  const kernelMs = o.ms - (total - (r.timings.kernelMs ?? total));
  return sampleOf(r, round, {
    kernelMs,
    completeMs: o.ms,
    namedMs: c.breaks ? o.ms : null,
    namedPhase: c.breaks ? 'done' : null,
    diagnosedMs: c.breaks ? o.ms : null,
    outsideMs: o.ms - total,
    exit: o.status,
  });
}

// ---------------------------------------------------------------------------------------
// By hand: the commands an operator types, one process each, one after the other

interface HandStep {
  where: string;
  argv: string[];
}

interface HandPlan {
  traceroute: HandStep;
  routeGets: HandStep[];
}

interface HandSample {
  round: number;
  tracerouteMs: number;
  /** the route lookups run (up to the one that failed) */
  routeGetsMs: number;
  /** traceroute + the lookups: until the same answers are in (for a broken path, the lookup that fails) */
  totalMs: number;
  /** broken: where the first lookup failed, and what the kernel said */
  brokeAt: string | null;
  said: string | null;
  tracerouteLast: string;
  steps: { where: string; command: string; ms: number; status: number }[];
}

/** From the lab's inventory, as an operator reads `lab status`: the namespaces on the path. */
function handPlan(lab: Lab, c: Case): HandPlan {
  const inv = lab.inv;
  const pod = (name: string) => inv.pods.find((p) => p.name === name)!;
  const node = (name: string) => inv.nodes.find((n) => n.name === name)!;
  const [src, dst] = [pod(c.from), pod(c.to)];
  const [srcNode, dstNode] = [node(src.node), node(dst.node)];
  const inNs = (netns: string, argv: string[]) => ['ip', 'netns', 'exec', netns, ...argv];
  const get = (where: string, netns: string, extra: string[]) => ({
    where,
    argv: inNs(netns, ['ip', 'route', 'get', dst.ip!, ...extra]),
  });
  const from = ['from', src.ip!];
  const routeGets = [get(src.name, src.netns, []), get(srcNode.name, srcNode.netns, [...from, 'iif', BRIDGE])];
  if (srcNode !== dstNode) {
    if (inv.routing === 'router' && inv.router)
      routeGets.push(get('router', inv.router.netns, [...from, 'iif', LAN_DEV]));
    routeGets.push(get(dstNode.name, dstNode.netns, [...from, 'iif', LAN_DEV]));
  }
  routeGets.push(get(dst.name, dst.netns, [...from, 'iif', LAN_DEV]));
  return { traceroute: { where: src.name, argv: inNs(src.netns, ['traceroute', '-n', dst.ip!]) }, routeGets };
}

async function byHand(c: Case, round: number): Promise<HandSample> {
  const plan = handPlan(labs.get(c.lab)!, c);
  const steps: HandSample['steps'] = [];
  const t0 = performance.now();
  const step = async (s: HandStep) => {
    const o = await runTimed(s.argv[0]!, s.argv.slice(1), { live: harness.children });
    steps.push({ where: s.where, command: s.argv.join(' '), ms: o.ms, status: o.status });
    return o;
  };
  const tr = await step(plan.traceroute);
  if (tr.status !== 0) failRun(`${c.title}, by hand: ${plan.traceroute.argv.join(' ')}`, tr);
  const tracerouteMs = performance.now() - t0;
  let brokeAt: string | null = null;
  let said: string | null = null;
  let last: Outcome | null = null;
  for (const s of plan.routeGets) {
    last = await step(s);
    if (last.status !== 0) {
      [brokeAt, said] = [s.where, last.stderr.trim()];
      break;
    }
  }
  const totalMs = performance.now() - t0;
  if (c.breaks && brokeAt !== c.breaks.node)
    throw new BenchFailure(
      `${c.title}, by hand: expected the lookup on ${c.breaks.node} to fail, ${brokeAt ? `it failed on ${brokeAt}: ${said}` : 'all answered'}`,
    );
  if (!c.breaks && brokeAt) throw new BenchFailure(`${c.title}, by hand: ip route get failed on ${brokeAt}: ${said}`);
  if (!c.breaks && !/^local /.test(last!.stdout.trim()))
    throw new BenchFailure(
      `${c.title}, by hand: the destination pod's lookup says "${last!.stdout.trim()}", not local delivery`,
    );
  return {
    round,
    tracerouteMs,
    routeGetsMs: totalMs - tracerouteMs,
    totalMs,
    brokeAt,
    said,
    tracerouteLast: tr.stdout.trim().split('\n').at(-1)?.trim() ?? '',
    steps,
  };
}

// ---------------------------------------------------------------------------------------
// Rounds

interface CaseResults {
  'in-process': PodnetSample[];
  cli: PodnetSample[];
  'by-hand': HandSample[];
}

const results = new Map<Case['key'], CaseResults>(
  CASES.map((c) => [c.key, { 'in-process': [], cli: [], 'by-hand': [] }]),
);
/** when a measurement of each path last ended (the broken case shares host-gw's path) */
const lastEnd = new Map<string, number>();
const pathKey = (c: Case) => `${c.lab}:${c.from}>${c.to}`;

async function measure(c: Case, m: Method, round: number, opts: Options): Promise<void> {
  // The kernel limits the ICMP errors (time exceeded, unreachable) a namespace sends to one
  // address: a trace right after another from the same pod would find hops silent.
  const since = performance.now() - (lastEnd.get(pathKey(c)) ?? -Infinity);
  if (since < opts.gapMs) await sleep(opts.gapMs - since);
  try {
    const r = results.get(c.key)!;
    if (m === 'in-process') r['in-process'].push(await inProcess(c, round));
    else if (m === 'cli') r.cli.push(await cli(c, round));
    else r['by-hand'].push(await byHand(c, round));
  } finally {
    lastEnd.set(pathKey(c), performance.now());
  }
}

const rotate = <T>(xs: T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]!);

async function runPhase(keys: Case['key'][], opts: Options): Promise<void> {
  const cases = keys.map(caseOf);
  // One untimed pass: checks that every way works, warms tsx's cache, the agents and the JIT.
  for (const c of cases) {
    for (const m of METHODS) {
      progress(`warm-up: ${c.title}, ${METHOD_LABEL[m]}`);
      await measure(c, m, 0, opts);
      const r = results.get(c.key)!;
      if (m === 'by-hand') r['by-hand'].pop();
      else r[m].pop();
    }
  }
  for (let round = 1; round <= opts.rounds; round++) {
    // Methods take turns in an order rotated by round, cases likewise, so noise hits all alike.
    for (const m of rotate(METHODS, round)) {
      for (const c of rotate(cases, round)) {
        progress(`round ${round}/${opts.rounds}: ${c.title}, ${METHOD_LABEL[m]}`);
        await measure(c, m, round, opts);
      }
    }
    const line = cases.map((c) => {
      const r = results.get(c.key)!;
      const last = <T>(xs: T[]) => xs.at(-1)!;
      return `${c.key} ${f0(last(r['in-process']).completeMs)} / ${f0(last(r.cli).completeMs)} / ${f0(last(r['by-hand']).totalMs)}`;
    });
    say(`round ${round}/${opts.rounds} complete ms (in-process / CLI / by hand): ${line.join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------------
// Report

interface Row {
  method: Method | 'ratio-in-process' | 'ratio-cli';
  kernel: Stat;
  complete: Stat;
  diagnosed: Stat | null;
}

interface CaseReport {
  key: Case['key'];
  title: string;
  rows: Row[];
  /** in-process only: the first update naming the cause (maybe from the snapshots alone, before the kernel answered) */
  named: Stat | null;
  namedPhases: Record<string, number>;
  phases: Record<'inputs' | 'path' | 'kernel' | 'probe' | 'late', Stat>;
  cliOutside: Stat;
  lookups: Stat;
  slowestLookup: Stat;
  tracerouteUnansweredRounds: number;
  handTracerouteLast: string;
  handSaid: string | null;
}

const ratio = (a: Stat, b: Stat): Stat => ({
  n: Math.min(a.n, b.n),
  p50: a.p50 / b.p50,
  p95: a.p95 / b.p95,
  min: NaN,
  max: NaN,
});

function caseReport(c: Case): CaseReport {
  const r = results.get(c.key)!;
  const ip = r['in-process'];
  const hand = r['by-hand'];
  const pod = (s: PodnetSample[]): Omit<Row, 'method'> => ({
    kernel: stat(s.map((x) => x.kernelMs)),
    complete: stat(s.map((x) => x.completeMs)),
    diagnosed: c.breaks ? stat(s.map((x) => x.diagnosedMs ?? Infinity)) : null,
  });
  const handRow = {
    kernel: stat(hand.map((x) => x.routeGetsMs)),
    complete: stat(hand.map((x) => x.totalMs)),
    diagnosed: c.breaks ? stat(hand.map((x) => x.totalMs)) : null,
  };
  const rows: Row[] = [
    { method: 'in-process', ...pod(ip) },
    { method: 'cli', ...pod(r.cli) },
    { method: 'by-hand', ...handRow },
  ];
  for (const [method, base] of [
    ['ratio-in-process', rows[0]!],
    ['ratio-cli', rows[1]!],
  ] as const) {
    rows.push({
      method,
      kernel: ratio(base.kernel, handRow.kernel),
      complete: ratio(base.complete, handRow.complete),
      diagnosed: base.diagnosed && handRow.diagnosed ? ratio(base.diagnosed, handRow.diagnosed) : null,
    });
  }
  const t = (f: (x: PodnetSample) => number) => stat(ip.map(f));
  const namedPhases: Record<string, number> = {};
  for (const x of ip) if (x.namedPhase) namedPhases[x.namedPhase] = (namedPhases[x.namedPhase] ?? 0) + 1;
  return {
    key: c.key,
    title: c.title,
    rows,
    named: c.breaks ? stat(ip.map((x) => x.namedMs ?? Infinity)) : null,
    namedPhases,
    phases: {
      inputs: t((x) => x.outsideMs),
      path: t((x) => x.timings.pathMs),
      kernel: t((x) => (x.timings.kernelMs ?? 0) - x.timings.pathMs),
      probe: t((x) => (x.timings.probeMs ?? 0) - (x.timings.kernelMs ?? 0)),
      late: t((x) => (x.timings.totalMs ?? 0) - (x.timings.probeMs ?? 0)),
    },
    cliOutside: stat(r.cli.map((x) => x.outsideMs)),
    lookups: stat(ip.map((x) => x.lookups)),
    slowestLookup: stat([...ip, ...r.cli].map((x) => x.slowestLookupMs)),
    tracerouteUnansweredRounds: [...ip, ...r.cli].filter((x) => x.tracerouteUnanswered > 0).length,
    handTracerouteLast: hand.at(-1)?.tracerouteLast ?? '',
    handSaid: hand.find((x) => x.said)?.said ?? null,
  };
}

interface Target {
  what: string;
  value: number;
  target: number;
  met: boolean;
}

function targets(reports: CaseReport[]): Target[] {
  const out: Target[] = [];
  const add = (what: string, value: number, target: number) => out.push({ what, value, target, met: value <= target });
  for (const r of reports) {
    for (const row of r.rows.slice(0, 2)) {
      const who = row.method === 'cli' ? 'CLI' : 'in-process';
      add(`${r.key}: path + kernel verdicts p95, ${who}`, row.kernel.p95, TARGETS.kernelMs);
      if (row.diagnosed)
        add(
          `${r.key}: diagnosed p95, ${who}${who === 'CLI' ? ' (at exit)' : ' (cause named, kernel answered)'}`,
          row.diagnosed.p95,
          TARGETS.brokenMs,
        );
      else add(`${r.key}: complete (probe included) p95, ${who}`, row.complete.p95, TARGETS.healthyMs);
    }
  }
  return out;
}

interface Meta {
  date: string;
  node: string;
  kernel: string;
  cpus: number;
  loadavg: number[];
  labs: Record<LabKind, string>;
  labUpMs: Record<LabKind, number>;
  options: Options;
}

const ms = (x: number) => (Number.isFinite(x) ? f0(x) : x === Infinity ? 'never' : '-');
const rx = (x: number) => (Number.isFinite(x) ? `${f2(x)}x` : '-');

function printText(meta: Meta, reports: CaseReport[], tg: Target[]): void {
  const L: string[] = [];
  L.push(
    `podnet trace vs by hand: ${meta.options.rounds} rounds per case and method; labs ${meta.labs['host-gw']} (host-gw) and ${meta.labs.router} (router), 3 nodes x 2 pods`,
  );
  L.push(
    `${meta.date}, Node ${meta.node}, Linux ${meta.kernel}, ${meta.cpus} cores, load average ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')} at the end; ${meta.options.gapMs / 1000} s between two measurements of a path`,
  );
  L.push('');
  L.push(
    'ms, nearest-rank p50 / p95. in-process: readInventory + labTrace + runTrace; CLI: spawn of bin/podnet trace … --json to exit;',
  );
  L.push(
    'by hand: ip netns exec <pod> traceroute -n, then ip route get in each namespace on the path, one after the other.',
  );
  L.push(
    'path+kernel: every non-late kernel check answered (CLI: inside the process, shown at exit; by hand: the ip route get part);',
  );
  L.push(
    "complete: probe included (by hand: traceroute + lookups); diagnosed: the cause named with the kernel's answer at that hop (CLI: at exit; by hand: the failing lookup).",
  );
  L.push('');
  const body: string[][] = [];
  for (const r of reports) {
    body.push([r.title, '', '', '', '', '', '', '']);
    for (const row of r.rows) {
      const isRatio = row.method.startsWith('ratio');
      const f = isRatio ? rx : ms;
      const label =
        row.method === 'ratio-in-process'
          ? 'in-process ÷ by hand'
          : row.method === 'ratio-cli'
            ? 'CLI ÷ by hand'
            : METHOD_LABEL[row.method as Method];
      body.push([
        `  ${label}`,
        f(row.kernel.p50),
        f(row.kernel.p95),
        f(row.complete.p50),
        f(row.complete.p95),
        row.diagnosed ? f(row.diagnosed.p50) : '',
        row.diagnosed ? f(row.diagnosed.p95) : '',
        isRatio ? '' : String(row.complete.n),
      ]);
    }
  }
  L.push(
    table(['case / method', 'path+kernel p50', 'p95', 'complete p50', 'p95', 'diagnosed p50', 'p95', 'n'], body, 1),
  );
  L.push('');
  L.push('Targets (issue 9; reported, not enforced):');
  for (const t of tg) L.push(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.what}: ${ms(t.value)} ms (target ≤ ${t.target})`);
  L.push('');
  L.push(
    'Where the in-process time goes (p50 / p95 ms): inputs = readInventory + labTrace (3 snapshots); path = planPath; kernel = the lookups;',
  );
  L.push(
    'probe = ping x3 every 200 ms, large ping, traceroute (in parallel); late = the neighbour lookups after the probe. CLI outside = CLI wall − runTrace;',
  );
  L.push(
    'lookups = kernel checks sent to the agents; traceroute with * = podnet traces (in-process and CLI) whose traceroute had a silent hop.',
  );
  const pb: string[][] = reports.map((r) => [
    r.key,
    ...(['inputs', 'path', 'kernel', 'probe', 'late'] as const).map(
      (k) => `${ms(r.phases[k].p50)} / ${ms(r.phases[k].p95)}`,
    ),
    `${ms(r.cliOutside.p50)} / ${ms(r.cliOutside.p95)}`,
    f0(r.lookups.p50),
    `${ms(r.slowestLookup.p50)} / ${ms(r.slowestLookup.p95)}`,
    `${r.tracerouteUnansweredRounds}/${r.rows[0]!.complete.n + r.rows[1]!.complete.n}`,
  ]);
  L.push(
    table(
      [
        'case',
        'inputs',
        'path',
        'kernel',
        'probe',
        'late',
        'CLI outside',
        'lookups',
        'slowest lookup',
        'traceroute with *',
      ],
      pb,
      1,
    ),
  );
  for (const r of reports.filter((x) => x.named)) {
    const phases = Object.entries(r.namedPhases)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    L.push('');
    L.push(
      `${r.key}: the cause was first named (in-process) at p50 ${ms(r.named!.p50)} / p95 ${ms(r.named!.p95)} ms, in phase: ${phases}; by hand the lookup said "${r.handSaid}"`,
    );
    L.push(`  and the by-hand traceroute's last line: "${r.handTracerouteLast}"`);
  }
  process.stdout.write(L.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------
// main

async function run(opts: Options): Promise<number> {
  const labUpMs = {} as Record<LabKind, number>;
  for (const kind of ['host-gw', 'router'] as const) {
    const { lab, ms: t } = await buildLab(kind);
    labs.set(kind, lab);
    labUpMs[kind] = t;
  }
  for (const [i, keys] of PHASES.entries()) {
    if (keys.includes('broken')) await setFault(true);
    say(`phase ${i + 1}/${PHASES.length}: ${keys.map((k) => caseOf(k).title).join('; ')} — ${opts.rounds} rounds`);
    await runPhase(keys, opts);
    if (faultHeld) {
      await setFault(false);
      // Healed: the healthy cross-node trace works again (untimed).
      const healed = await inProcess(caseOf('host-gw'), 0);
      if (healed.status !== 'ok')
        throw new BenchFailure(`after lab fault clear the trace says ${healed.status}: ${healed.summary}`);
    }
  }
  const reports = CASES.map(caseReport);
  const tg = targets(reports);
  const meta: Meta = {
    date: new Date().toISOString(),
    node: process.versions.node,
    kernel: release(),
    cpus: cpus().length,
    loadavg: loadavg(),
    labs: { 'host-gw': labs.get('host-gw')!.id, router: labs.get('router')!.id },
    labUpMs,
    options: opts,
  };
  if (opts.json) {
    const raw = Object.fromEntries([...results].map(([k, v]) => [k, v]));
    process.stdout.write(
      JSON.stringify({ meta, cases: reports, targets: tg, samples: raw }, (_, v) => (v === Infinity ? null : v), 2) +
        '\n',
    );
  } else printText(meta, reports, tg);
  return 0;
}

runBench({
  usage: USAGE,
  options: OPTIONS,
  parse: parseOptions,
  needs: () => ({
    root: 'bench/trace.ts must run as root: it builds labs of network namespaces',
    files: [TSX_LOADER, TRACEROUTE],
  }),
  stopping: 'taking the labs down',
  run,
});
