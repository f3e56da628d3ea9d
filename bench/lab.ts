// Lab benchmark: `podnet lab up` / `lab down`, driven from the CLI the way a user runs
// them, against a plain bash script that builds the same namespaces, veths, addresses,
// bridges, sysctls and routes with one `ip` (or `nsenter … sysctl`) command per step, and
// removes them with one `ip netns del` per namespace. See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/lab.ts [--sizes 3x2,20x10] [--rounds N] [--json]
//
// Everything it makes is in namespaces named podnet-b<random>-… (the lab's under its own
// lab id b<random>, the script's under podnet-b<random>-sh-…), the lab's state dir
// /run/podnet/b<random>, and one temp dir; the harness (bench/harness.ts) removes them all
// at the end, on failure and on SIGINT/SIGTERM. Nothing is created in, and no traffic is sent from, the root network
// namespace: the script only runs `ip netns add|del` and `ip -n <ns>`/`nsenter --net=<ns>`.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORWARDING_SYSCTLS, lanPort } from '../lab/topology.js';
import { BRIDGE, LAN_CIDR, MAX_NODE_INDEX, OUTSIDE_IP, nodeGateway, nodeIp, nodePodCIDR } from '../lib/model/lab.js';
import {
  BenchFailure,
  UsageError,
  failRun,
  f0,
  f2,
  machine,
  progress,
  runTimed,
  say,
  sleep,
  stat as fullStat,
  table,
  type Machine,
  type Outcome,
  type Stat as FullStat,
} from './common.js';
import { benchNamespaces, freshLabId, harness, numberOption, runBench, type OptionValues } from './harness.js';

// ---------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/lab.ts [options]

Times "bin/podnet lab up" and "bin/podnet lab down" (host-gw) against a plain bash
script that builds the same namespaces, veths, addresses, bridges, sysctls and routes
with one ip command per step (pods get their addresses directly, no CNI), and tears
them down with one "ip netns del" per namespace. Lab and script alternate; after every
up, a pod on node1 must ping a pod on the last node. Runs as root; creates only
namespaces named podnet-b<random>-… and the lab state dir /run/podnet/b<random>.

options:
  --sizes LIST     comma-separated NODESxPODS_PER_NODE (default 3x2,20x10; nodes 2-${MAX_NODE_INDEX}, pods 1-250)
  --rounds N       measurements per size, operation and method (default 3)
  --settle S       seconds to wait after each teardown, untimed, so the kernel's
                   namespace clean-up does not land in the next measurement (default 2)
  --print-script   print the up and down scripts for the first size and exit
  --json           print the results as JSON on stdout (progress still goes to stderr)
  -h, --help       this text

Smoke run: --sizes 2x1 --rounds 1 --settle 0`;

interface Size {
  nodes: number;
  pods: number;
}

const OPTIONS = {
  sizes: { type: 'string' },
  rounds: { type: 'string' },
  settle: { type: 'string' },
  'print-script': { type: 'boolean' },
} as const;

interface Options {
  sizes: Size[];
  rounds: number;
  settle: number;
  printScript: boolean;
  json: boolean;
}

function parseSizes(text: string): Size[] {
  const sizes = text.split(',').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m) throw new UsageError(`--sizes: "${s}" is not NODESxPODS (for example 20x10)`);
    const nodes = Number(m[1]);
    const pods = Number(m[2]);
    // A cross-node ping needs two nodes and a pod on each; 10.244.N.0/24 holds 253 pods.
    if (nodes < 2 || nodes > MAX_NODE_INDEX)
      throw new UsageError(`--sizes: "${s}": nodes must be 2 to ${MAX_NODE_INDEX}`);
    if (pods < 1 || pods > 250) throw new UsageError(`--sizes: "${s}": pods per node must be 1 to 250`);
    return { nodes, pods };
  });
  const keys = sizes.map(sizeName);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new UsageError(`--sizes: ${dup} is listed twice`);
  return sizes;
}

function parseOptions(values: OptionValues<typeof OPTIONS>): Options {
  return {
    sizes: parseSizes(values.sizes ?? '3x2,20x10'),
    rounds: numberOption('rounds', values.rounds, 3, 1, 100),
    settle: numberOption('settle', values.settle, 2, 0, 60, false),
    printScript: values['print-script'] ?? false,
    json: values.json,
  };
}

const sizeName = (s: Size) => `${s.nodes}x${s.pods}`;

// ---------------------------------------------------------------------------------------
// Constants of the setup

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PODNET = join(REPO, 'bin', 'podnet');
const NSENTER = '/usr/bin/nsenter';
const PING = '/usr/bin/ping';
const BASH = '/usr/bin/bash';

type Method = 'lab' | 'script';
const METHODS: Method[] = ['lab', 'script'];
type Operation = 'up' | 'down';
const OPERATIONS: Operation[] = ['up', 'down'];

// ---------------------------------------------------------------------------------------
// Resources: the lab, namespaces, the temp dir, child processes — the harness's to remove

let LAB_ID = '';
/** every namespace of this run starts with this: the lab's and the script's */
let NS_PREFIX = '';
/** the script's namespaces */
let SCRIPT_PREFIX = '';
let tempRoot = '';

const ourNamespaces = (prefix = NS_PREFIX) => benchNamespaces(prefix);

// ---------------------------------------------------------------------------------------
// Running processes, timed, with each stderr line's arrival time

const timed = (file: string, args: string[], onLine?: (text: string) => void): Promise<Outcome> =>
  runTimed(file, args, { cwd: REPO, live: harness.children, onLine });

// ---------------------------------------------------------------------------------------
// The manual way: a bash script, one command per step, generated from the size

interface Script {
  up: string;
  down: string;
  namespaces: string[];
  /** commands (processes) each script runs, markers excluded */
  upCommands: number;
  downCommands: number;
  ping: { fromNs: string; toIp: string };
}

const SAFE_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

/**
 * The same topology `lab up` builds (lab/topology.ts, host-gw), by hand: LAN bridge, a
 * veth per host into it, node addresses, v-net-0 with the gateway, forwarding sysctls,
 * a route per other node; and pods, each a veth into v-net-0 with 10.244.N.(2+k)/24 and a
 * default route via the gateway — the addresses the lab's IPAM hands out in order. The
 * script echoes a marker to stderr before each phase so the bench can time the phases.
 */
function makeScript(size: Size, prefix: string): Script {
  const lan = `${prefix}lan`;
  const outside = `${prefix}outside`;
  const nodes = Array.from({ length: size.nodes }, (_, i) => ({ n: i + 1, ns: `${prefix}node${i + 1}` }));
  const pods = nodes.flatMap((node) =>
    Array.from({ length: size.pods }, (_, k) => ({
      node,
      ns: `${prefix}pod-web-${(node.n - 1) * size.pods + k + 1}`,
      ip: `10.244.${node.n}.${2 + k}`,
      veth: `vethn${node.n}p${k + 1}`,
    })),
  );
  const namespaces = [lan, outside, ...nodes.map((n) => n.ns), ...pods.map((p) => p.ns)];
  for (const ns of namespaces)
    if (!SAFE_NAME.test(ns) || !ns.startsWith(prefix)) throw new Error(`bad namespace name ${ns}`);
  const len = LAN_CIDR.split('/')[1];
  const up: string[] = [];
  const mark = (text: string) => up.push(`echo ${JSON.stringify(`script: ${text}`)} >&2`);
  const ipn = (ns: string, cmd: string) => up.push(`ip -n ${ns} ${cmd}`);

  mark(`creating ${namespaces.length} namespaces`);
  for (const ns of namespaces) up.push(`ip netns add ${ns}`);
  ipn(lan, 'link set lo up');
  ipn(lan, 'link add lan0 type bridge');
  ipn(lan, 'link set lan0 up');
  for (const h of [...nodes.map((n) => ({ name: `node${n.n}`, ns: n.ns })), { name: 'outside', ns: outside }]) {
    const port = lanPort(h.name);
    ipn(lan, `link add ${port} type veth peer name eth0 netns ${h.ns}`);
    ipn(lan, `link set ${port} master lan0`);
    ipn(lan, `link set ${port} up`);
  }
  ipn(outside, 'link set lo up');
  ipn(outside, `addr add ${OUTSIDE_IP}/${len} dev eth0`);
  ipn(outside, 'link set eth0 up');

  mark(`configuring ${nodes.length} nodes (host-gw)`);
  for (const node of nodes) {
    for (const s of FORWARDING_SYSCTLS) up.push(`nsenter --net=/run/netns/${node.ns} sysctl -qw ${s}`);
    ipn(node.ns, 'link set lo up');
    ipn(node.ns, `addr add ${nodeIp(node.n)}/${len} dev eth0`);
    ipn(node.ns, 'link set eth0 up');
    ipn(node.ns, `link add ${BRIDGE} type bridge`);
    ipn(node.ns, `addr add ${nodeGateway(node.n)}/24 dev ${BRIDGE}`);
    ipn(node.ns, `link set ${BRIDGE} up`);
    for (const other of nodes)
      if (other !== node) ipn(node.ns, `route add ${nodePodCIDR(other.n)} via ${nodeIp(other.n)} dev eth0`);
  }

  mark(`attaching ${pods.length} pods (addresses assigned directly)`);
  for (const pod of pods) {
    ipn(pod.node.ns, `link add ${pod.veth} type veth peer name eth0 netns ${pod.ns}`);
    ipn(pod.node.ns, `link set ${pod.veth} master ${BRIDGE}`);
    ipn(pod.node.ns, `link set ${pod.veth} up`);
    ipn(pod.ns, 'link set lo up');
    ipn(pod.ns, `addr add ${pod.ip}/24 dev eth0`);
    ipn(pod.ns, 'link set eth0 up');
    ipn(pod.ns, `route add default via ${nodeGateway(pod.node.n)}`);
  }

  // Pods first, the LAN last: the reverse of how they were made.
  const down = [...namespaces].reverse().map((ns) => `ip netns del ${ns}`);
  const header = (what: string) => [
    '#!/bin/bash',
    `# ${what}: ${size.nodes} nodes x ${size.pods} pods, host-gw, one command per step (generated by bench/lab.ts)`,
    'set -euo pipefail',
  ];
  const script: Script = {
    up: [...header('podnet lab by hand, up'), ...up, ''].join('\n'),
    down: [...header('podnet lab by hand, down'), ...down, ''].join('\n'),
    namespaces,
    upCommands: up.filter((l) => !l.startsWith('echo ')).length,
    downCommands: down.length,
    ping: { fromNs: pods.find((p) => p.node.n === 1)!.ns, toIp: pods.find((p) => p.node.n === size.nodes)!.ip },
  };
  assertConfined(script.up, prefix);
  assertConfined(script.down, prefix);
  return script;
}

/** Every command touches only namespaces of this run: nothing runs in the root namespace. */
function assertConfined(text: string, prefix: string): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line === 'set -euo pipefail' || /^echo "[^"$`\\]*" >&2$/.test(line))
      continue;
    const words = line.split(' ');
    const inNs = (name: string | undefined) => name !== undefined && name.startsWith(prefix) && SAFE_NAME.test(name);
    const ok =
      (words[0] === 'ip' &&
        words[1] === 'netns' &&
        (words[2] === 'add' || words[2] === 'del') &&
        words.length === 4 &&
        inNs(words[3])) ||
      (words[0] === 'ip' &&
        words[1] === '-n' &&
        inNs(words[2]) &&
        (!line.includes(' netns ') || inNs(words[words.indexOf('netns') + 1]))) ||
      (words[0] === 'nsenter' &&
        words[1]?.startsWith('--net=/run/netns/') &&
        inNs(words[1].slice('--net=/run/netns/'.length)) &&
        words[2] === 'sysctl');
    if (!ok) throw new Error(`generated script line would leave this run's namespaces: ${line}`);
  }
}

// ---------------------------------------------------------------------------------------
// Phases, from the progress lines on stderr (lab: "lab up: …"; script: "script: …")

const PHASES = [
  'start-up',
  'namespaces, LAN, outside',
  'install CNI plugins',
  'configure nodes',
  'attach pods',
  'finish',
] as const;
type Phase = (typeof PHASES)[number];

function phaseOf(line: string, totalPods: number): Phase | null {
  const m = /^(?:lab up|script): (.*)$/.exec(line);
  if (!m) return null;
  const msg = m[1]!;
  if (msg.startsWith('creating')) return 'namespaces, LAN, outside';
  if (msg.startsWith('installing')) return 'install CNI plugins';
  if (msg.startsWith('configuring')) return 'configure nodes';
  if (msg.startsWith('attaching')) return 'attach pods';
  if (msg === `attached ${totalPods}/${totalPods} pods`) return 'finish';
  return null;
}

/** ms per phase: from the line that starts it to the next phase's line (or the exit). */
function phases(o: Outcome, totalPods: number): Partial<Record<Phase, number>> {
  const out: Partial<Record<Phase, number>> = {};
  let current: Phase = 'start-up';
  let since = 0;
  for (const l of o.lines) {
    const p = phaseOf(l.text, totalPods);
    if (!p || p === current) continue;
    out[current] = (out[current] ?? 0) + (l.at - since);
    current = p;
    since = l.at;
  }
  out[current] = (out[current] ?? 0) + (o.ms - since);
  return out;
}

// ---------------------------------------------------------------------------------------
// Measurements

interface Sample {
  size: string;
  method: Method;
  operation: Operation;
  round: number;
  ms: number;
  phases?: Partial<Record<Phase, number>>;
}

/** One ping from a pod namespace: nsenter into it, never from the root namespace. */
async function pingFrom(fromNs: string, toIp: string, label: string): Promise<void> {
  if (!fromNs.startsWith(NS_PREFIX)) throw new Error(`refusing to ping from ${fromNs}: not a namespace of this run`);
  const o = await timed(NSENTER, [`--net=/run/netns/${fromNs}`, '--', PING, '-c', '1', '-W', '3', '-q', toIp]);
  if (o.status !== 0) failRun(`${label}: ping from ${fromNs} to ${toIp}`, o);
}

interface LabStatusJson {
  healthy: boolean;
  missing: string[];
  nodes: { name: string; netns: string }[];
  pods: { name: string; node: string; ip: string | null; netns: string }[];
}

async function labUp(size: Size, label: string): Promise<Sample> {
  harness.lab(LAB_ID); // from here on clean-up runs lab down
  const total = size.nodes * size.pods;
  const o = await timed(
    PODNET,
    ['lab', 'up', '--lab-id', LAB_ID, '--nodes', String(size.nodes), '--pods-per-node', String(size.pods)],
    (line) => progress(`${label}: ${line}`),
  );
  if (o.status !== 0) failRun(`${label}: bin/podnet lab up --lab-id ${LAB_ID}`, o);
  // Untimed: what the lab says it holds, and one cross-node ping between its pods.
  const st = await timed(PODNET, ['lab', 'status', '--lab-id', LAB_ID, '--json']);
  if (st.status !== 0) failRun(`${label}: bin/podnet lab status --json`, st);
  const status = JSON.parse(st.stdout) as LabStatusJson;
  if (!status.healthy)
    throw new BenchFailure(`${label}: lab status says the lab is not healthy (missing: ${status.missing.join(', ')})`);
  if (status.nodes.length !== size.nodes || status.pods.length !== total || status.pods.some((p) => !p.ip)) {
    throw new BenchFailure(
      `${label}: lab status shows ${status.nodes.length} nodes and ${status.pods.length} pods (${status.pods.filter((p) => !p.ip).length} without an address), expected ${size.nodes} and ${total}`,
    );
  }
  const from = status.pods.find((p) => p.node === 'node1')!;
  const to = status.pods.find((p) => p.node === `node${size.nodes}`)!;
  await pingFrom(from.netns, to.ip!, label);
  return { size: sizeName(size), method: 'lab', operation: 'up', round: 0, ms: o.ms, phases: phases(o, total) };
}

async function labDown(size: Size, label: string): Promise<Sample> {
  const o = await timed(PODNET, ['lab', 'down', '--lab-id', LAB_ID]);
  if (o.status !== 0) failRun(`${label}: bin/podnet lab down --lab-id ${LAB_ID}`, o);
  harness.labIsDown(LAB_ID);
  const left = ourNamespaces(`podnet-${LAB_ID}-`);
  if (left.length)
    throw new BenchFailure(`${label}: lab down left ${left.length} namespace(s): ${left.slice(0, 5).join(' ')}`);
  if (existsSync(`/run/podnet/${LAB_ID}`)) throw new BenchFailure(`${label}: lab down left /run/podnet/${LAB_ID}`);
  return { size: sizeName(size), method: 'lab', operation: 'down', round: 0, ms: o.ms };
}

function scriptFiles(size: Size, script: Script): { up: string; down: string } {
  const up = join(tempRoot, `up-${sizeName(size)}.sh`);
  const down = join(tempRoot, `down-${sizeName(size)}.sh`);
  writeFileSync(up, script.up);
  writeFileSync(down, script.down);
  return { up, down };
}

async function scriptUp(size: Size, script: Script, file: string, label: string): Promise<Sample> {
  const o = await timed(BASH, [file], (line) => progress(`${label}: ${line}`));
  if (o.status !== 0) failRun(`${label}: bash ${file}`, o);
  const missing = script.namespaces.filter((n) => !existsSync(`/run/netns/${n}`));
  if (missing.length)
    throw new BenchFailure(
      `${label}: the script exited 0 but ${missing.length} namespace(s) are missing: ${missing.slice(0, 5).join(' ')}`,
    );
  await pingFrom(script.ping.fromNs, script.ping.toIp, label);
  return {
    size: sizeName(size),
    method: 'script',
    operation: 'up',
    round: 0,
    ms: o.ms,
    phases: phases(o, size.nodes * size.pods),
  };
}

async function scriptDown(size: Size, script: Script, file: string, label: string): Promise<Sample> {
  const o = await timed(BASH, [file]);
  if (o.status !== 0) failRun(`${label}: bash ${file}`, o);
  const left = ourNamespaces(SCRIPT_PREFIX);
  if (left.length)
    throw new BenchFailure(
      `${label}: the teardown script left ${left.length} namespace(s): ${left.slice(0, 5).join(' ')}`,
    );
  return { size: sizeName(size), method: 'script', operation: 'down', round: 0, ms: o.ms };
}

/** The CLI's own start-up: node, tsx and every command's imports, doing nothing. */
async function cliStartup(): Promise<number> {
  const o = await timed(PODNET, ['lab', 'up', '--help']);
  if (o.status !== 0) failRun('bin/podnet lab up --help', o);
  return o.ms;
}

// ---------------------------------------------------------------------------------------
// Statistics

/** The shared summary without p95: this bench reports (and its JSON holds) n, p50, min and max. */
type Stat = Omit<FullStat, 'p95'>;

function stat(xs: number[]): Stat {
  const { n, p50, min, max } = fullStat(xs);
  return { n, p50, min, max };
}

// ---------------------------------------------------------------------------------------
// Report

interface Row {
  size: string;
  operation: Operation;
  lab: Stat;
  script: Stat;
  ratio: number;
}

interface PhaseRow {
  size: string;
  phase: Phase;
  lab: Stat;
  script: Stat | null;
}

function rowsOf(sizes: Size[], samples: Sample[]): Row[] {
  const of = (size: string, m: Method, op: Operation) =>
    samples.filter((s) => s.size === size && s.method === m && s.operation === op).map((s) => s.ms);
  return sizes.flatMap((sz) =>
    OPERATIONS.map((op) => {
      const lab = stat(of(sizeName(sz), 'lab', op));
      const script = stat(of(sizeName(sz), 'script', op));
      return { size: sizeName(sz), operation: op, lab, script, ratio: lab.p50 / script.p50 };
    }),
  );
}

function phaseRowsOf(sizes: Size[], samples: Sample[]): PhaseRow[] {
  const rows: PhaseRow[] = [];
  for (const sz of sizes) {
    const ups = (m: Method) => samples.filter((s) => s.size === sizeName(sz) && s.method === m && s.operation === 'up');
    for (const phase of PHASES) {
      const lab = ups('lab')
        .map((s) => s.phases?.[phase])
        .filter((x): x is number => x !== undefined);
      const script = ups('script')
        .map((s) => s.phases?.[phase])
        .filter((x): x is number => x !== undefined);
      if (lab.length === 0 && script.length === 0) continue;
      rows.push({ size: sizeName(sz), phase, lab: stat(lab), script: script.length ? stat(script) : null });
    }
  }
  return rows;
}

interface Meta extends Machine {
  labId: string;
  options: Omit<Options, 'sizes'> & { sizes: string[] };
  scripts: Record<string, { namespaces: number; upCommands: number; downCommands: number }>;
}

function printText(meta: Meta, rows: Row[], phaseRows: PhaseRow[], startup: Stat): void {
  const lines: string[] = [];
  lines.push(`podnet lab benchmark — ${meta.date}`);
  lines.push(
    `node ${meta.node}, kernel ${meta.kernel}, ${meta.cpus} CPU(s); routing host-gw; ${meta.options.rounds} round(s), lab and script alternating`,
  );
  lines.push(
    'lab    = bin/podnet lab up|down --lab-id ID (wall time of the command: node start-up, CNI plugins for every pod, firewall)',
  );
  lines.push(
    'script = bash running one ip/nsenter command per step; pods get their addresses directly (no CNI, no firewall);',
  );
  lines.push('         down = one "ip netns del" per namespace');
  for (const [size, s] of Object.entries(meta.scripts)) {
    lines.push(
      `         ${size}: ${s.namespaces} namespaces, up ${s.upCommands} commands, down ${s.downCommands} commands`,
    );
  }
  lines.push(
    `after every up, a pod on node1 pinged a pod on the last node (inside the namespaces); ms, nearest-rank p50`,
  );
  lines.push('');
  lines.push(
    table(
      ['size', 'op', 'n', 'lab p50', 'min', 'max', 'script p50', 'min', 'max', 'lab/script p50'],
      rows.map((r) => [
        r.size,
        r.operation,
        String(r.lab.n),
        f0(r.lab.p50),
        f0(r.lab.min),
        f0(r.lab.max),
        f0(r.script.p50),
        f0(r.script.min),
        f0(r.script.max),
        f2(r.ratio),
      ]),
      2,
    ),
  );
  lines.push('');
  lines.push('where up spends its time (ms, p50 per phase, from the progress lines on stderr)');
  lines.push('');
  lines.push(
    table(
      ['size', 'phase', 'lab p50', 'min', 'max', 'share', 'script p50', 'share'],
      phaseRows.map((r) => {
        const labTotal = rows.find((x) => x.size === r.size && x.operation === 'up')!.lab.p50;
        const scriptTotal = rows.find((x) => x.size === r.size && x.operation === 'up')!.script.p50;
        return [
          r.size,
          r.phase,
          f0(r.lab.p50),
          f0(r.lab.min),
          f0(r.lab.max),
          `${f0((100 * r.lab.p50) / labTotal)}%`,
          r.script ? f0(r.script.p50) : '-',
          r.script ? `${f0((100 * r.script.p50) / scriptTotal)}%` : '-',
        ];
      }),
      2,
    ),
  );
  lines.push('');
  lines.push(
    `CLI start-up alone (bin/podnet lab up --help: node, tsx, imports): p50 ${f0(startup.p50)} ms (min ${f0(startup.min)}, max ${f0(startup.max)}, n ${startup.n})`,
  );
  lines.push(
    'lab phases: start-up = spawn to "creating"; configure nodes = sysctls, ip batch, nftables/iptables firewall, conflist per',
  );
  lines.push(
    'node, then "lo up" in every pod; attach pods = CNI ADD per pod (4 nodes at a time); finish = last "attached" line to exit.',
  );
  lines.push('script phases: start-up = bash start; attach pods includes each pod\'s "lo up".');
  process.stdout.write(lines.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------
// Main

async function run(opts: Options): Promise<number> {
  LAB_ID = freshLabId();
  NS_PREFIX = `podnet-${LAB_ID}-`;
  SCRIPT_PREFIX = `${NS_PREFIX}sh-`;
  harness.namespaces(NS_PREFIX);
  tempRoot = harness.tempDir('lab');
  say(`lab id ${LAB_ID}: lab namespaces ${NS_PREFIX}*, script namespaces ${SCRIPT_PREFIX}*, scripts in ${tempRoot}`);

  const scripts = new Map<string, { script: Script; files: { up: string; down: string } }>();
  for (const size of opts.sizes) {
    const script = makeScript(size, SCRIPT_PREFIX);
    scripts.set(sizeName(size), { script, files: scriptFiles(size, script) });
  }
  const settle = async () => {
    if (opts.settle > 0) await sleep(opts.settle * 1000);
  };

  const one = async (size: Size, method: Method, label: string): Promise<Sample[]> => {
    const s = scripts.get(sizeName(size))!;
    if (method === 'lab') {
      progress(`${label}: lab up`);
      const up = await labUp(size, `${label} lab up`);
      progress(`${label}: lab down`);
      const down = await labDown(size, `${label} lab down`);
      await settle();
      return [up, down];
    }
    progress(`${label}: script up`);
    const up = await scriptUp(size, s.script, s.files.up, `${label} script up`);
    progress(`${label}: script down`);
    const down = await scriptDown(size, s.script, s.files.down, `${label} script down`);
    await settle();
    return [up, down];
  };

  // Untimed warm-up at the smallest size: the page cache, tsx's transform cache, and a
  // check that both ways work before the long part.
  const smallest = [...opts.sizes].sort((a, b) => a.nodes * a.pods - b.nodes * b.pods)[0]!;
  for (const m of METHODS) await one(smallest, m, `warm-up ${sizeName(smallest)} ${m}`);
  say(`warm-up at ${sizeName(smallest)}: lab and script both built, pinged across nodes and tore down`);

  const samples: Sample[] = [];
  const startup: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    for (const size of opts.sizes) {
      // Alternate which goes first, so neither always runs on the other's leftovers.
      const order = (r + opts.sizes.indexOf(size)) % 2 === 0 ? METHODS : [...METHODS].reverse();
      for (const m of order) {
        const label = `round ${r + 1}/${opts.rounds} ${sizeName(size)}`;
        const [up, down] = await one(size, m, label);
        for (const s of [up!, down!]) samples.push({ ...s, round: r + 1 });
        say(`${label} ${m.padEnd(6)}: up ${f0(up!.ms)} ms, down ${f0(down!.ms)} ms (ping ok)`);
      }
      startup.push(await cliStartup());
    }
  }

  const rows = rowsOf(opts.sizes, samples);
  const phaseRows = phaseRowsOf(opts.sizes, samples);
  const meta: Meta = {
    ...machine(),
    labId: LAB_ID,
    options: { ...opts, sizes: opts.sizes.map(sizeName) },
    scripts: Object.fromEntries(
      [...scripts].map(([k, v]) => [
        k,
        {
          namespaces: v.script.namespaces.length,
          upCommands: v.script.upCommands,
          downCommands: v.script.downCommands,
        },
      ]),
    ),
  };
  if (opts.json) {
    const round = (_k: string, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v;
    process.stdout.write(
      JSON.stringify({ meta, rows, phases: phaseRows, cliStartup: stat(startup), samples }, round, 2) + '\n',
    );
  } else {
    printText(meta, rows, phaseRows, stat(startup));
  }
  return 0;
}

function printScript(opts: Options): number {
  const s = makeScript(opts.sizes[0]!, 'podnet-bxxxxxx-sh-');
  process.stdout.write(`${s.up}\n${s.down}`);
  return 0;
}

runBench({
  usage: USAGE,
  options: OPTIONS,
  parse: parseOptions,
  // --print-script only prints: no root, no lab
  needs: (o) =>
    o.printScript
      ? null
      : {
          root: 'bench/lab.ts must run as root: it creates network namespaces',
          files: [PODNET, NSENTER, PING, BASH, join(REPO, 'node_modules/tsx/dist/loader.mjs')],
        },
  stopping: 'running lab down and removing namespaces',
  run: async (opts) => (opts.printScript ? printScript(opts) : run(opts)),
});
