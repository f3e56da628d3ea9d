// CNI latency benchmark: podnet (type podnet + ipam podnet-ipam) on its own and with the
// node agent's fast path (the shim hands the verb to agent/cni-socket/), against the
// reference plugins (type bridge + ipam host-local from /usr/lib/cni), same config shape,
// driven the way a container runtime drives them (CNI_* variables, config on stdin, the
// plugin run inside the node's network namespace through nsenter). See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/cni.ts [--sequential N] [--concurrent N] [--json]
//
// Everything it makes is in namespaces named podnet-b<random>-… and in one temp dir; the
// harness (bench/harness.ts) removes both, and kills the plugins and agents it started by
// their pid, at the end, on failure and on SIGINT/SIGTERM. Nothing is created in, and no
// traffic is sent from, the root network namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { install, repoRoot } from '../cni/install.js';
import { DEFAULT_BRIDGE } from '../lib/model/cni.js';
import {
  BenchFailure,
  f1,
  f2,
  machine,
  progress,
  runTimed,
  say,
  stat,
  table,
  type Outcome,
  type Stat,
} from './common.js';
import { freshLabId, harness, numberOption, runBench, type OptionValues } from './harness.js';

// ---------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/cni.ts [options]

Times CNI ADD and DEL of podnet (podnet + podnet-ipam), alone and with the node agent's
fast path (podnet+agent), against the reference plugins (bridge + host-local from
/usr/lib/cni), side by side and interleaved, in two environments (clean: only CNI_* and PATH; runtime: this process's environment, with
NODE_EXTRA_CA_CERTS set). Runs as root; creates only namespaces named podnet-b<random>-…

options:
  --sequential N   pods per plugin for the sequential scenario (default 100; 0 skips it)
  --concurrent N   pods per plugin per concurrent batch (default 20; 0 skips it)
  --rounds N       concurrent batches per plugin and environment (default 5)
  --samples N      samples per start-up probe in "where the time goes" (default 30)
  --json           print the results as JSON on stdout (progress still goes to stderr)
  -h, --help       this text

Smoke run: --sequential 5 --concurrent 3 --rounds 1 --samples 3`;

const OPTIONS = {
  sequential: { type: 'string' },
  concurrent: { type: 'string' },
  rounds: { type: 'string' },
  samples: { type: 'string' },
} as const;

interface Options {
  sequential: number;
  concurrent: number;
  rounds: number;
  samples: number;
  json: boolean;
}

function parseOptions(values: OptionValues<typeof OPTIONS>): Options {
  // 10.244.1.0/24 leaves 253 addresses for pods (the gateway takes .1).
  return {
    sequential: numberOption('sequential', values.sequential, 100, 0, 250),
    concurrent: numberOption('concurrent', values.concurrent, 20, 0, 250),
    rounds: numberOption('rounds', values.rounds, 5, 1, 1000),
    samples: numberOption('samples', values.samples, 30, 1, 10000),
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------
// Constants of the setup

const REFERENCE_DIR = '/usr/lib/cni';
const NODE = '/usr/bin/node';
const NSENTER = '/usr/bin/nsenter';
const NETWORK = 'benchnet';
const SUBNET = '10.244.1.0/24';
const BRIDGE = DEFAULT_BRIDGE;
const IFNAME = 'eth0';
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';

type PluginKey = 'podnet' | 'agent' | 'reference';
const PLUGIN_KEYS: PluginKey[] = ['podnet', 'agent', 'reference'];
const LABEL: Record<PluginKey, string> = { podnet: 'podnet', agent: 'podnet+agent', reference: 'reference' };
const SHORT: Record<PluginKey, string> = { podnet: 'pn', agent: 'ag', reference: 'ref' };
const TSX_LOADER = join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const AGENT_SCRIPT = join(repoRoot, 'agent', 'cni-socket-standalone.ts');
type Verb = 'ADD' | 'DEL';
type EnvKind = 'clean' | 'runtime';

// ---------------------------------------------------------------------------------------
// Resources: namespaces, a temp dir, child processes — all the harness's to remove

/** every namespace of this run starts with it: the harness removes what is left */
const NS_PREFIX = `podnet-${freshLabId()}-`;
let tempRoot = '';

function ipBatchForce(lines: string[]): { status: number; stderr: string } {
  const r = spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr ?? '' };
}

/** Creates network namespaces (not timed); returns their names. */
function addNamespaces(suffixes: string[]): string[] {
  const names = suffixes.map((s) => NS_PREFIX + s);
  const r = ipBatchForce(names.map((n) => `netns add ${n}`));
  if (r.status !== 0) throw new Error(`creating namespaces failed: ${r.stderr.trim()}`);
  return names;
}

function removeNamespaces(names: string[]): void {
  const mine = names.filter((n) => n.startsWith(NS_PREFIX));
  if (mine.length === 0) return;
  const r = ipBatchForce(mine.map((n) => `netns del ${n}`));
  if (r.status !== 0 && mine.some((n) => existsSync(`/run/netns/${n}`)))
    process.stderr.write(`warning: removing namespaces: ${r.stderr.trim()}\n`);
}

/** A plugin (or probe) run, timed from spawn to exit; `stdin` null: none. */
const timed = (file: string, args: string[], env: Record<string, string>, stdin: string | null): Promise<Outcome> =>
  runTimed(file, args, { env, stdin: stdin ?? undefined, live: harness.children });

// ---------------------------------------------------------------------------------------
// The plugins under test, each in its own node namespace with its own data dirs

interface Bed {
  key: PluginKey;
  env: EnvKind;
  file: string;
  nodeNs: string;
  dataDir: string;
  stateDir: string | null;
  conf: Record<string, unknown>;
  /** podnet+agent: the agent serving this stream, in its node namespace */
  agent: ChildProcess | null;
}

function baseConf(): Record<string, unknown> {
  return { cniVersion: '1.0.0', name: NETWORK, bridge: BRIDGE, isGateway: true, isDefaultGateway: true, ipMasq: false };
}

let binDir = '';

/**
 * Starts the agent's CNI socket in a node namespace, as the node agent runs it there (a
 * resident Node process), and waits until it listens. Its environment is only PATH: what
 * the runtime passes the plugin does not reach the agent.
 */
function startAgent(nodeNs: string, socket: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      NSENTER,
      [`--net=/run/netns/${nodeNs}`, '--', NODE, '--import', TSX_LOADER, AGENT_SCRIPT, '--socket', socket],
      {
        env: { PATH: CLEAN_PATH },
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    harness.children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new BenchFailure(`the agent in ${nodeNs} did not listen within 60 s: ${err.trim()}`)),
      60_000,
    );
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"listening"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('exit', (code, signal) => {
      harness.children.delete(child);
      clearTimeout(timer);
      reject(new BenchFailure(`the agent in ${nodeNs} exited (${signal ?? code}): ${err.trim()}`));
    });
  });
}

/** SIGTERM (it finishes acknowledged verbs and removes its socket), SIGKILL after 10 s. */
async function stopAgent(agent: ChildProcess | null): Promise<void> {
  if (!agent || agent.pid === undefined || agent.exitCode !== null || agent.signalCode !== null) return;
  const exited = new Promise<void>((r) => agent.once('exit', () => r()));
  process.kill(agent.pid, 'SIGTERM');
  const timer = setTimeout(() => agent.pid !== undefined && process.kill(agent.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  harness.children.delete(agent);
}

async function makeBed(key: PluginKey, env: EnvKind, tag: string): Promise<Bed> {
  const dir = join(tempRoot, `${tag}-${env}-${key}`);
  const dataDir = join(dir, 'ipam');
  const stateDir = key !== 'reference' ? join(dir, 'state') : null;
  mkdirSync(dataDir, { recursive: true });
  if (stateDir) mkdirSync(stateDir, { recursive: true });
  const [nodeNs] = addNamespaces([`${tag}-${env[0]}${SHORT[key]}-node`]);
  const ranges = [[{ subnet: SUBNET }]];
  const podnetConf = { ...baseConf(), type: 'podnet', stateDir, ipam: { type: 'podnet-ipam', ranges, dataDir } };
  const socket = join(dir, 'agent', 'cni.sock');
  const conf =
    key === 'podnet'
      ? podnetConf
      : key === 'agent'
        ? { ...podnetConf, agentSocket: socket }
        : { ...baseConf(), type: 'bridge', ipam: { type: 'host-local', ranges, dataDir } };
  const agent = key === 'agent' ? await startAgent(nodeNs!, socket) : null;
  return {
    key,
    env,
    file: key === 'reference' ? join(REFERENCE_DIR, 'bridge') : join(binDir, 'podnet'),
    nodeNs: nodeNs!,
    dataDir,
    stateDir,
    conf,
    agent,
  };
}

function envFor(kind: EnvKind, vars: Record<string, string>): Record<string, string> {
  if (kind === 'clean') return { PATH: CLEAN_PATH, ...vars };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  env.NODE_EXTRA_CA_CERTS ??= CA_CERTS;
  return { ...env, ...vars };
}

interface OpResult extends Outcome {
  containerID: string;
  verb: Verb;
  ip: string | null;
}

async function cniOp(bed: Bed, verb: Verb, containerID: string, podNs: string): Promise<OpResult> {
  const env = envFor(bed.env, {
    CNI_COMMAND: verb,
    CNI_CONTAINERID: containerID,
    CNI_NETNS: `/run/netns/${podNs}`,
    CNI_IFNAME: IFNAME,
    CNI_PATH: `${binDir}:${REFERENCE_DIR}`,
  });
  const o = await timed(NSENTER, [`--net=/run/netns/${bed.nodeNs}`, '--', bed.file], env, JSON.stringify(bed.conf));
  let ip: string | null = null;
  if (verb === 'ADD' && o.status === 0) {
    try {
      const r = JSON.parse(o.stdout) as { ips?: { address?: string }[] };
      ip = r.ips?.[0]?.address?.split('/')[0] ?? null;
    } catch {
      ip = null;
    }
  }
  return { ...o, containerID, verb, ip };
}

function failOp(bed: Bed, op: OpResult, what: string): never {
  throw new BenchFailure(
    `${LABEL[bed.key]} ${op.verb} ${op.containerID}: ${what} (exit ${op.status})\n  stdout: ${op.stdout.trim() || '(empty)'}\n  stderr: ${op.stderr.trim() || '(empty)'}`,
  );
}

function checkOp(bed: Bed, op: OpResult): void {
  if (op.status !== 0) failOp(bed, op, 'failed');
  if (op.verb === 'ADD' && !op.ip) failOp(bed, op, 'succeeded but its result has no IP');
}

/** Lease files (one per leased IP, host-local layout) in a bed's data dir. */
function leases(bed: Bed): string[] {
  try {
    return readdirSync(join(bed.dataDir, NETWORK)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  } catch {
    return [];
  }
}

function vethsOnNode(bed: Bed): string[] {
  const r = spawnSync('ip', ['-n', bed.nodeNs, '-j', 'link', 'show', 'type', 'veth'], { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchFailure(`ip -n ${bed.nodeNs} link show failed: ${r.stderr}`);
  const out = r.stdout.trim();
  return out ? (JSON.parse(out) as { ifname: string }[]).map((l) => l.ifname) : [];
}

function attachments(bed: Bed): string[] {
  if (!bed.stateDir) return [];
  try {
    return readdirSync(join(bed.stateDir, 'attachments', NETWORK));
  } catch {
    return [];
  }
}

/** After an ADD batch: all succeeded, IPs unique, and exactly those IPs are leased. */
function verifyAdds(bed: Bed, ops: OpResult[], label: string): void {
  for (const op of ops) checkOp(bed, op);
  const ips = ops.map((o) => o.ip!);
  const unique = new Set(ips);
  if (unique.size !== ips.length) {
    const dup = ips.filter((ip, i) => ips.indexOf(ip) !== i);
    throw new BenchFailure(`${label}: ${LABEL[bed.key]} handed out duplicate IPs: ${[...new Set(dup)].join(', ')}`);
  }
  const leased = new Set(leases(bed));
  const missing = ips.filter((ip) => !leased.has(ip));
  const extra = [...leased].filter((ip) => !unique.has(ip));
  if (missing.length || extra.length) {
    throw new BenchFailure(
      `${label}: ${LABEL[bed.key]} leases do not match its results: not leased [${missing.join(', ')}], leased but not returned [${extra.join(', ')}]`,
    );
  }
}

/** After a DEL batch: all succeeded, no lease, no veth, no attachment record left. */
function verifyDels(bed: Bed, ops: OpResult[], label: string): void {
  for (const op of ops) checkOp(bed, op);
  const left = leases(bed);
  if (left.length)
    throw new BenchFailure(`${label}: ${LABEL[bed.key]} DEL left ${left.length} lease(s): ${left.join(', ')}`);
  const veths = vethsOnNode(bed);
  if (veths.length)
    throw new BenchFailure(
      `${label}: ${LABEL[bed.key]} DEL left ${veths.length} veth(s) on the node: ${veths.join(', ')}`,
    );
  const att = attachments(bed);
  if (att.length)
    throw new BenchFailure(
      `${label}: ${LABEL[bed.key]} DEL left ${att.length} attachment record(s): ${att.join(', ')}`,
    );
}

/** In-process durations podnet logged ("ADD done"/"DEL done", field ms), by verb and
 *  container ID, and whether the agent served the op (field via: "agent"). */
function loggedMs(bed: Bed): Map<string, { ms: number; agent: boolean }> {
  const out = new Map<string, { ms: number; agent: boolean }>();
  if (!bed.stateDir) return out;
  let text = '';
  try {
    text = readFileSync(join(bed.stateDir, 'cni.log'), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { msg?: string; ms?: number; containerID?: string; via?: string };
      if ((e.msg === 'ADD done' || e.msg === 'DEL done') && typeof e.ms === 'number' && e.containerID) {
        out.set(`${e.msg.slice(0, 3)} ${e.containerID}`, { ms: e.ms, agent: e.via === 'agent' });
      }
    } catch {
      /* not a JSON line */
    }
  }
  return out;
}

/** One untimed ADD+DEL per bed: creates the bridge, warms the page cache. */
async function warmUp(beds: Bed[], tag: string): Promise<void> {
  const pods = addNamespaces(beds.map((b) => `${tag}-warm-${b.env[0]}${SHORT[b.key]}`));
  for (const [i, bed] of beds.entries()) {
    const add = await cniOp(bed, 'ADD', `${tag}-warm`, pods[i]!);
    verifyAdds(bed, [add], `${tag} warm-up`);
    const del = await cniOp(bed, 'DEL', `${tag}-warm`, pods[i]!);
    verifyDels(bed, [del], `${tag} warm-up`);
  }
  removeNamespaces(pods);
}

// ---------------------------------------------------------------------------------------
// Scenarios

type Samples = Record<PluginKey, number[]>;
const emptySamples = (): Samples => ({ podnet: [], agent: [], reference: [] });
type PodnetKey = Exclude<PluginKey, 'reference'>;
const byVerb = (): Record<Verb, number[]> => ({ ADD: [], DEL: [] });

interface ScenarioResult {
  env: EnvKind;
  scenario: 'sequential' | 'concurrent';
  size: number;
  rounds: number;
  /** wall ms per operation */
  perOp: Record<Verb, Samples>;
  /** wall ms per concurrent batch (first spawn to last exit) */
  batch: Record<Verb, Samples> | null;
  /** podnet's own logged in-process ms (podnet: the plugin process; agent: the agent's thread) */
  inProcess: Record<PodnetKey, Record<Verb, number[]>>;
  /** per op: wall ms minus logged in-process ms (podnet: start-up and exit; agent: nsenter, shim, socket, queue) */
  outside: Record<PodnetKey, Record<Verb, number[]>>;
  /** podnet+agent ops the agent did not serve (the shim fell back to podnet-node) */
  fallbacks: Record<Verb, number>;
}

function collectInProcess(bed: Bed, ops: OpResult[], into: ScenarioResult): void {
  if (bed.key === 'reference') return;
  const logged = loggedMs(bed);
  for (const op of ops) {
    const e = logged.get(`${op.verb} ${op.containerID}`);
    if (e === undefined)
      throw new BenchFailure(
        `${LABEL[bed.key]} logged no "${op.verb} done" for ${op.containerID} in ${bed.stateDir}/cni.log`,
      );
    if (bed.key === 'podnet' && e.agent)
      throw new BenchFailure(`podnet (no agentSocket) says the agent served ${op.verb} ${op.containerID}`);
    if (bed.key === 'agent' && !e.agent) into.fallbacks[op.verb]++;
    into.inProcess[bed.key][op.verb].push(e.ms);
    into.outside[bed.key][op.verb].push(op.ms - e.ms);
  }
}

const ENVS: EnvKind[] = ['clean', 'runtime'];
const short = (b: Bed) => `${b.env[0]}${SHORT[b.key]}`;
/** The i-th rotation of a list: interleaves the streams so none always goes first. */
const rotate = <T>(xs: T[], i: number): T[] => xs.map((_, j) => xs[(i + j) % xs.length]!);

/** Fresh beds for one scenario: a node namespace and data dirs per env x plugin (and an agent for podnet+agent). */
async function makeBeds(tag: string): Promise<Bed[]> {
  const beds: Bed[] = [];
  for (const env of ENVS) for (const k of PLUGIN_KEYS) beds.push(await makeBed(k, env, tag));
  return beds;
}

/** Ends a scenario: stops its agents, then removes its node namespaces. */
async function dropBeds(beds: Bed[]): Promise<void> {
  await Promise.all(beds.map((b) => stopAgent(b.agent)));
  removeNamespaces(beds.map((b) => b.nodeNs));
}

function newResults(scenario: ScenarioResult['scenario'], size: number, rounds: number): Map<EnvKind, ScenarioResult> {
  return new Map(
    ENVS.map((env) => [
      env,
      {
        env,
        scenario,
        size,
        rounds,
        perOp: { ADD: emptySamples(), DEL: emptySamples() },
        batch: scenario === 'concurrent' ? { ADD: emptySamples(), DEL: emptySamples() } : null,
        inProcess: { podnet: byVerb(), agent: byVerb() },
        outside: { podnet: byVerb(), agent: byVerb() },
        fallbacks: { ADD: 0, DEL: 0 },
      },
    ]),
  );
}

/**
 * N sequential ADDs then N sequential DELs for each env x plugin stream. The six streams
 * are interleaved op by op, in a rotating order, so machine noise hits all of them alike.
 */
async function sequential(n: number): Promise<ScenarioResult[]> {
  const tag = 's';
  const beds = await makeBeds(tag);
  await warmUp(beds, tag);
  // Pod namespaces, made before the timed part.
  const pods = new Map<Bed, string[]>();
  for (const bed of beds)
    pods.set(bed, addNamespaces(Array.from({ length: n }, (_, i) => `${tag}-${short(bed)}-${i}`)));
  const res = newResults('sequential', n, 1);
  for (const verb of ['ADD', 'DEL'] as Verb[]) {
    const ops = new Map<Bed, OpResult[]>(beds.map((b) => [b, []]));
    for (let i = 0; i < n; i++) {
      progress(`sequential ${verb} ${i + 1}/${n} (x ${beds.length}: clean/runtime x podnet/podnet+agent/reference)`);
      for (const bed of rotate(beds, i)) {
        const op = await cniOp(bed, verb, `${tag}-${i}`, pods.get(bed)![i]!);
        checkOp(bed, op); // fail at once on the first error
        ops.get(bed)!.push(op);
        res.get(bed.env)!.perOp[verb][bed.key].push(op.ms);
      }
    }
    progress(`sequential ${verb}: ${n} per stream done`, true);
    for (const bed of beds) {
      const batch = ops.get(bed)!;
      if (verb === 'ADD') verifyAdds(bed, batch, `sequential ${bed.env}`);
      else verifyDels(bed, batch, `sequential ${bed.env}`);
      collectInProcess(bed, batch, res.get(bed.env)!);
    }
  }
  for (const bed of beds) removeNamespaces(pods.get(bed)!);
  await dropBeds(beds);
  return [...res.values()];
}

/**
 * Rounds of: for each env x plugin stream (in a rotating order), N concurrent ADDs; then,
 * in the same order, N concurrent DELs. Only one batch runs at a time.
 */
async function concurrent(n: number, rounds: number): Promise<ScenarioResult[]> {
  const tag = 'c';
  const beds = await makeBeds(tag);
  await warmUp(beds, tag);
  const res = newResults('concurrent', n, rounds);
  for (let r = 0; r < rounds; r++) {
    const pods = new Map<Bed, string[]>();
    for (const bed of beds)
      pods.set(bed, addNamespaces(Array.from({ length: n }, (_, i) => `${tag}${r}-${short(bed)}-${i}`)));
    const order = rotate(beds, r);
    for (const verb of ['ADD', 'DEL'] as Verb[]) {
      for (const bed of order) {
        progress(`concurrent round ${r + 1}/${rounds}: ${n} x ${LABEL[bed.key]} ${verb} (${bed.env} env)`);
        const t0 = process.hrtime.bigint();
        const ops = await Promise.all(pods.get(bed)!.map((pod, i) => cniOp(bed, verb, `${tag}${r}-${i}`, pod)));
        const total = Number(process.hrtime.bigint() - t0) / 1e6;
        if (verb === 'ADD') verifyAdds(bed, ops, `concurrent ${bed.env} round ${r + 1}`);
        else verifyDels(bed, ops, `concurrent ${bed.env} round ${r + 1}`);
        const out = res.get(bed.env)!;
        for (const op of ops) out.perOp[verb][bed.key].push(op.ms);
        out.batch![verb][bed.key].push(total);
        collectInProcess(bed, ops, out);
      }
    }
    for (const bed of beds) removeNamespaces(pods.get(bed)!);
  }
  progress(`concurrent: ${rounds} round(s) of ${n} per stream done`, true);
  await dropBeds(beds);
  return [...res.values()];
}

// ---------------------------------------------------------------------------------------
// Where the time goes: start-up costs, measured interleaved

interface Probe {
  name: string;
  run: () => Promise<Outcome>;
}

async function startupProbes(samples: number): Promise<Record<string, Stat>> {
  const [scratch] = addNamespaces(['probe-node']);
  const nodeNet = `--net=/run/netns/${scratch}`;
  const version = JSON.stringify({ cniVersion: '1.0.0' });
  const socket = join(tempRoot, 'probe-agent', 'cni.sock');
  const agent = await startAgent(scratch!, socket);
  const versionViaAgent = JSON.stringify({ cniVersion: '1.0.0', agentSocket: socket });
  const versionEnv = (kind: EnvKind) =>
    envFor(kind, { CNI_COMMAND: 'VERSION', CNI_PATH: `${binDir}:${REFERENCE_DIR}` });
  const probes: Probe[] = [
    {
      name: 'env -i /usr/bin/node -e 0',
      run: () => timed('/usr/bin/env', ['-i', NODE, '-e', '0'], { PATH: CLEAN_PATH }, null),
    },
    {
      name: `env -i NODE_EXTRA_CA_CERTS=${CA_CERTS} /usr/bin/node -e 0`,
      run: () =>
        timed('/usr/bin/env', ['-i', `NODE_EXTRA_CA_CERTS=${CA_CERTS}`, NODE, '-e', '0'], { PATH: CLEAN_PATH }, null),
    },
    { name: 'ip -V', run: () => timed('ip', ['-V'], { PATH: CLEAN_PATH }, null) },
    {
      name: 'nsenter --net=<node> -- /bin/true',
      run: () => timed(NSENTER, [nodeNet, '--', '/bin/true'], { PATH: CLEAN_PATH }, null),
    },
    {
      name: 'podnet VERSION via nsenter (clean env): shim, podnet-node',
      run: () => timed(NSENTER, [nodeNet, '--', join(binDir, 'podnet')], versionEnv('clean'), version),
    },
    {
      name: 'podnet VERSION via nsenter (runtime env): shim, podnet-node',
      run: () => timed(NSENTER, [nodeNet, '--', join(binDir, 'podnet')], versionEnv('runtime'), version),
    },
    {
      name: 'podnet-node VERSION via nsenter (clean env): no shim',
      run: () => timed(NSENTER, [nodeNet, '--', join(binDir, 'podnet-node')], versionEnv('clean'), version),
    },
    {
      name: 'podnet VERSION via nsenter (clean env): shim, agent',
      run: () => timed(NSENTER, [nodeNet, '--', join(binDir, 'podnet')], versionEnv('clean'), versionViaAgent),
    },
    {
      name: 'bridge VERSION via nsenter (clean env)',
      run: () => timed(NSENTER, [nodeNet, '--', join(REFERENCE_DIR, 'bridge')], versionEnv('clean'), version),
    },
  ];
  const out: Record<string, number[]> = Object.fromEntries(probes.map((p) => [p.name, []]));
  for (let i = 0; i < samples; i++) {
    progress(`[where the time goes] sample ${i + 1}/${samples}`);
    // rotate the order each sample so no probe always runs right after the same one
    for (let j = 0; j < probes.length; j++) {
      const p = probes[(i + j) % probes.length]!;
      const o = await p.run();
      if (o.status !== 0) throw new BenchFailure(`probe "${p.name}" failed (exit ${o.status}): ${o.stderr.trim()}`);
      out[p.name]!.push(o.ms);
    }
  }
  progress(`[where the time goes] ${samples} samples done`, true);
  await stopAgent(agent);
  removeNamespaces([scratch!]);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, stat(v)]));
}

// ---------------------------------------------------------------------------------------
// Report

interface Row {
  env: EnvKind;
  scenario: string;
  verb: string;
  n: number;
  podnet: { p50: number; p95: number };
  agent: { p50: number; p95: number };
  reference: { p50: number; p95: number };
  /** podnet ÷ reference */
  ratio: { p50: number; p95: number };
  /** podnet+agent ÷ reference */
  agentRatio: { p50: number; p95: number };
}

function row(env: EnvKind, scenario: string, verb: string, s: Samples): Row {
  const a = stat(s.podnet);
  const g = stat(s.agent);
  const b = stat(s.reference);
  return {
    env,
    scenario,
    verb,
    n: a.n,
    podnet: { p50: a.p50, p95: a.p95 },
    agent: { p50: g.p50, p95: g.p95 },
    reference: { p50: b.p50, p95: b.p95 },
    ratio: { p50: a.p50 / b.p50, p95: a.p95 / b.p95 },
    agentRatio: { p50: g.p50 / b.p50, p95: g.p95 / b.p95 },
  };
}

function rowsOf(results: ScenarioResult[]): Row[] {
  const rows: Row[] = [];
  for (const r of results) {
    const scen = r.scenario === 'sequential' ? `sequential ${r.size}` : `concurrent ${r.size} x${r.rounds}`;
    for (const verb of ['ADD', 'DEL'] as Verb[]) {
      rows.push(row(r.env, scen, r.scenario === 'concurrent' ? `${verb} per op` : verb, r.perOp[verb]));
      if (r.batch) rows.push(row(r.env, scen, `${verb} batch total`, r.batch[verb]));
    }
  }
  return rows;
}

function printText(
  meta: Record<string, unknown>,
  rows: Row[],
  results: ScenarioResult[],
  probes: Record<string, Stat>,
): void {
  const lines: string[] = [];
  lines.push(`podnet CNI benchmark — ${meta.date}`);
  lines.push(
    `node ${meta.node}, kernel ${meta.kernel}, ${meta.cpus} CPU(s); cniVersion 1.0.0, bridge ${BRIDGE}, subnet ${SUBNET}`,
  );
  lines.push(
    `podnet = podnet + podnet-ipam as cni/install.ts installs them (${meta.shim ? 'the shim, no agentSocket: it execs podnet-node' : 'no shim: podnet is the Node plugin'});`,
  );
  lines.push(
    `podnet+agent = the same with agentSocket: the shim hands the verb to the agent's CNI socket (agent/cni-socket/) in the node namespace;`,
  );
  lines.push(`reference = ${REFERENCE_DIR}/bridge + host-local`);
  lines.push(
    `wall time per CNI invocation in ms (spawn of nsenter into the node namespace until exit), nearest-rank percentiles`,
  );
  lines.push(
    `env clean = only CNI_* and PATH; env runtime = this process's environment (NODE_EXTRA_CA_CERTS=${meta.runtimeCaCerts})`,
  );
  lines.push(
    'the six streams (env x plugin), each with its own node namespace and data dirs, run interleaved in a rotating order',
  );
  lines.push('ratio = podnet ÷ reference, agent ratio = podnet+agent ÷ reference');
  lines.push('');
  lines.push(
    table(
      [
        'env',
        'scenario',
        'verb',
        'n',
        'podnet p50',
        'p95',
        '+agent p50',
        'p95',
        'reference p50',
        'p95',
        'ratio p50',
        'p95',
        'agent ratio p50',
        'p95',
      ],
      rows.map((r) => [
        r.env,
        r.scenario,
        r.verb,
        String(r.n),
        f1(r.podnet.p50),
        f1(r.podnet.p95),
        f1(r.agent.p50),
        f1(r.agent.p95),
        f1(r.reference.p50),
        f1(r.reference.p95),
        f2(r.ratio.p50),
        f2(r.ratio.p95),
        f2(r.agentRatio.p50),
        f2(r.agentRatio.p95),
      ]),
      3,
    ),
  );
  const fellBack = results.flatMap((r) =>
    (['ADD', 'DEL'] as Verb[])
      .filter((v) => r.fallbacks[v] > 0)
      .map((v) => `${r.env} ${r.scenario} ${v}: ${r.fallbacks[v]}`),
  );
  lines.push('');
  lines.push(
    `podnet+agent ops the agent did not serve (the shim fell back to podnet-node): ${fellBack.length ? fellBack.join('; ') : 'none'}`,
  );
  lines.push('');
  lines.push('where the time goes (ms)');
  lines.push('');
  lines.push(
    table(
      ['start-up probe', 'n', 'p50', 'p95', 'min'],
      Object.entries(probes).map(([k, s]) => [k, String(s.n), f1(s.p50), f1(s.p95), f1(s.min)]),
      1,
    ),
  );
  lines.push('');
  const ipRows: string[][] = [];
  for (const r of results) {
    const scen = r.scenario === 'sequential' ? `sequential ${r.size}` : `concurrent ${r.size} x${r.rounds}`;
    for (const key of ['podnet', 'agent'] as PodnetKey[]) {
      for (const verb of ['ADD', 'DEL'] as Verb[]) {
        const inp = stat(r.inProcess[key][verb]);
        const wall = stat(r.perOp[verb][key]);
        const outside = stat(r.outside[key][verb]);
        ipRows.push([
          r.env,
          scen,
          `${LABEL[key]} ${verb}`,
          String(inp.n),
          f1(wall.p50),
          f1(wall.p95),
          f1(inp.p50),
          f1(inp.p95),
          f1(outside.p50),
          f1(outside.p95),
        ]);
      }
    }
  }
  lines.push(
    table(
      ['env', 'scenario', 'verb', 'n', 'wall p50', 'p95', 'in-process p50', 'p95', 'outside p50', 'p95'],
      ipRows,
      3,
    ),
  );
  lines.push('');
  lines.push(
    'in-process = the "ms" podnet logs in <stateDir>/cni.log ("ADD done"/"DEL done"): from the verb\'s entry (podnet: after',
  );
  lines.push(
    "Node start-up and loading the bundle; podnet+agent: when the agent's verb thread takes it up) to its end, including",
  );
  lines.push('its own ip/nsenter children.');
  lines.push(
    'outside = wall - in-process, per op. podnet: start-up (nsenter, the shim, sh launcher, env -i, node, bundle load) and',
  );
  lines.push('exit. podnet+agent: nsenter, the shim, the socket round trip and any wait for a free verb thread.');
  process.stdout.write(lines.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------
// Main

async function run(opts: Options): Promise<number> {
  if (process.execPath !== NODE)
    say(`note: running under ${process.execPath}; the installed plugins will exec that node, not ${NODE}`);
  const runtimeCaCerts = process.env.NODE_EXTRA_CA_CERTS;
  say(
    runtimeCaCerts
      ? `runtime env: NODE_EXTRA_CA_CERTS=${runtimeCaCerts} (from this process's environment)`
      : `runtime env: NODE_EXTRA_CA_CERTS is not set here; setting it to ${CA_CERTS} for the runtime pass`,
  );

  harness.namespaces(NS_PREFIX);
  tempRoot = harness.tempDir('cni');
  binDir = join(tempRoot, 'bin');
  say(`installing podnet plugins into ${binDir} (namespaces: ${NS_PREFIX}*)`);
  const installed = await install(binDir, null);
  if (!installed.shim)
    say(`note: no shim (${installed.noShim}): podnet+agent falls back to the Node plugin on every op`);

  const results: ScenarioResult[] = [];
  if (opts.sequential > 0) results.push(...(await sequential(opts.sequential)));
  if (opts.concurrent > 0) results.push(...(await concurrent(opts.concurrent, opts.rounds)));
  // env-major order for the report
  results.sort((a, b) => ENVS.indexOf(a.env) - ENVS.indexOf(b.env));
  const probes = await startupProbes(opts.samples);

  const rows = rowsOf(results);
  const meta = {
    ...machine(),
    runtimeCaCerts: runtimeCaCerts ?? `${CA_CERTS} (set by the bench)`,
    shim: installed.shim,
    options: opts,
  };
  if (opts.json) {
    const inProcess = results.flatMap((r) =>
      (['podnet', 'agent'] as PodnetKey[]).flatMap((key) =>
        (['ADD', 'DEL'] as Verb[]).map((verb) => ({
          plugin: LABEL[key],
          env: r.env,
          scenario: r.scenario,
          size: r.size,
          rounds: r.rounds,
          verb,
          wall: stat(r.perOp[verb][key]),
          inProcess: stat(r.inProcess[key][verb]),
          outside: stat(r.outside[key][verb]),
          ...(key === 'agent' ? { fallbacks: r.fallbacks[verb] } : {}),
        })),
      ),
    );
    const round = (_k: string, v: unknown) =>
      typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v;
    process.stdout.write(
      JSON.stringify({ meta, rows, whereTheTimeGoes: { startup: probes, podnetInProcess: inProcess } }, round, 2) +
        '\n',
    );
  } else {
    printText(meta, rows, results, probes);
  }
  return 0;
}

runBench({
  usage: USAGE,
  options: OPTIONS,
  parse: parseOptions,
  needs: () => ({
    root: 'bench/cni.ts must run as root: it creates network namespaces',
    files: [NODE, NSENTER, join(REFERENCE_DIR, 'bridge'), join(REFERENCE_DIR, 'host-local')],
  }),
  stopping: 'removing namespaces and temp dirs',
  run,
});
