// The node agent's probes (`POST /v1/probe`): ping, traceroute and `ip route get` run
// inside a pod's or the node's network namespace through `nsenter --net=PATH --`, always
// as an argv array (never a shell), each under a hard deadline (the process group is
// killed by its PID when it passes), at most `maxConcurrent` at a time with a bounded
// queue behind them. Every request is validated (lib/model/probe.ts) before anything is
// resolved or spawned, also when the caller validated it already.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parsePodRef } from '../lib/model/lab.js';
import {
  PROBE_ERROR_STATUS,
  PROBE_LIMITS,
  RAW_LINE_LIMIT,
  classifyTarget,
  parseProbeRequest,
  type NormalizedProbeRequest,
  type ProbeErrorBody,
  type ProbeErrorCode,
  type ProbeFrom,
  type ProbeResult,
  type ProbeResultBase,
} from '../lib/model/probe.js';
import { ProbeCounters, type ProbeOutcome, type ProbeStats } from './metrics.js';
import { parsePingOutput, parseRouteGetOutput, parseTracerouteOutput } from './probe-parse.js';

export class ProbeError extends Error {
  constructor(
    readonly code: ProbeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
  /** The HTTP status the agent answers with. */
  get status(): number {
    return PROBE_ERROR_STATUS[this.code];
  }
  toBody(): ProbeErrorBody {
    return { error: this.message, code: this.code };
  }
}

/** `POST /v1/probe` for the agent's server: 200 with the result (also when the probe
 *  failed: `ok` says so), or the ProbeError's status with { error, code }. */
export async function probeResponse(
  prober: Prober,
  body: unknown,
): Promise<{ status: number; body: ProbeResult | ProbeErrorBody }> {
  try {
    return { status: 200, body: await prober.run(body) };
  } catch (e) {
    if (e instanceof ProbeError) return { status: e.status, body: e.toBody() };
    throw e;
  }
}

export interface PodLocation {
  /** the pod's network namespace, a path such as /run/netns/NAME */
  netns: string;
  ip: string | null;
}

export interface ProberOptions {
  /** Called with a canonical reference (NAME in the default namespace, NAMESPACE/NAME
   *  otherwise: parse it with parsePodRef); null when this node does not know the pod. */
  resolvePod(ref: string): PodLocation | null;
  /** the node's network namespace as a path; null: the agent's own namespace */
  nodeNetns: string | null;
  /** processes running at once; default 4 */
  maxConcurrent?: number;
  /** requests waiting for a slot; beyond this they are refused as "busy"; default 2 × maxConcurrent */
  maxQueue?: number;
  /** where the prober counts what it runs and refuses (the agent's: Metrics.probes); default a new one */
  counters?: ProbeCounters;
}

export interface Prober {
  /** Validates, resolves, waits for a slot, runs, parses. Rejects with a ProbeError
   *  (code → HTTP status: PROBE_ERROR_STATUS) when no process could run; a probe that ran
   *  always resolves, with ok false when it failed or timed out. */
  run(req: unknown): Promise<ProbeResult>;
  stats(): ProbeStats;
  /** Kills the running probes and refuses the queued ones ("closed"); later runs are refused too. */
  close(): Promise<void>;
}

/** ping sends one echo request every PING_INTERVAL_MS (root may go below ping's 1 s default). */
export const PING_INTERVAL_MS = 200;
/** What a probe's budget keeps back for starting nsenter and the tool on a busy machine. */
const START_MARGIN_MS = 500;
/** Debian traceroute's default number of probes in flight at once (-N). */
const TRACEROUTE_SIMULTANEOUS = 16;
const OUTPUT_LIMIT = 64 * 1024;
const PROBE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

const seconds = (ms: number) => String(Math.round(ms) / 1000);

/** The tool's argv (without nsenter). The tool is asked to finish within the budget by
 *  itself; the deadline in run() is the hard stop. */
export function toolArgv(req: NormalizedProbeRequest, target: string): string[] {
  switch (req.kind) {
    case 'ping': {
      // Without replies ping takes (count-1) intervals plus -W after the last request.
      const waitMs = Math.max(100, req.timeoutMs - (req.count - 1) * PING_INTERVAL_MS - START_MARGIN_MS);
      // -O: "no answer yet for icmp_seq=N" lines, so a killed ping still tells how many it sent.
      // A payload above the default goes with DF set: a hop with a smaller MTU must drop it
      // (and say so) rather than fragment it, or the MTU test proves nothing.
      const size = req.size === PROBE_LIMITS.size.default ? [] : ['-s', String(req.size), '-M', 'do'];
      return [
        'ping',
        '-n',
        '-O',
        '-c',
        String(req.count),
        '-i',
        seconds(PING_INTERVAL_MS),
        '-W',
        seconds(waitMs),
        ...size,
        target,
      ];
    }
    case 'traceroute': {
      // Up to 16 hops are probed at once; silent hops cost one wait per round.
      const rounds = Math.ceil(req.maxHops / TRACEROUTE_SIMULTANEOUS);
      const waitMs = Math.max(50, Math.floor((req.timeoutMs - START_MARGIN_MS) / rounds));
      return ['traceroute', '-n', '-q', '1', '-w', seconds(waitMs), '-m', String(req.maxHops), target];
    }
    case 'route-get':
      return ['ip', '-j', 'route', 'get', target];
    case 'tcp': {
      // Connect, send nothing (stdin is /dev/null), close: exit 0 when connected.
      const connectS = seconds(Math.max(100, req.timeoutMs - START_MARGIN_MS));
      return ['socat', '-T', connectS, '/dev/null', `TCP:${target}:${req.port},connect-timeout=${connectS}`];
    }
  }
}

export function probeCommand(netns: string | null, argv: string[]): string[] {
  return netns ? ['nsenter', `--net=${netns}`, '--', ...argv] : argv;
}

export interface Exit {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** killed by close() */
  closed: boolean;
  durationMs: number;
}

/** Runs argv in a process group of its own, killed (the whole group, by PID) at the deadline. */
export function execute(argv: string[], deadlineMs: number, live: Set<() => void>, onSpawn: () => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: PROBE_ENV });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let closed = false;
    let spawned = false;
    /** false when the process had exited already (its 'close' is on its way) */
    const kill = (): boolean => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the group: nsenter execs the tool, which keeps the PID
      } catch {
        return child.kill('SIGKILL');
      }
      return true;
    };
    const timer = setTimeout(() => {
      timedOut = kill();
    }, deadlineMs);
    const closeKill = () => {
      closed = kill();
    };
    live.add(closeKill);
    child.on('spawn', () => {
      spawned = true;
      onSpawn();
    });
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += d.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(closeKill);
      if (!spawned) reject(new ProbeError('spawn-failed', `could not start ${argv[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(closeKill);
      resolve({
        stdout,
        stderr,
        exitCode: code,
        signal,
        timedOut,
        closed,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

export const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');

/** The tool's own complaint: the last line it printed on stderr. */
export function toolError(stderr: string): string | null {
  const l = lines(stderr);
  return l.length ? l[l.length - 1]! : null;
}

export function createProber(opts: ProberOptions): Prober {
  const maxConcurrent = opts.maxConcurrent ?? 4;
  const maxQueue = opts.maxQueue ?? 2 * maxConcurrent;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)
    throw new RangeError(`maxConcurrent must be a positive integer, got ${maxConcurrent}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 0)
    throw new RangeError(`maxQueue must be a non-negative integer, got ${maxQueue}`);

  const counters = opts.counters ?? new ProbeCounters();
  const { rejected } = counters;
  let closed = false;
  const queue: { grant: () => void; refuse: (e: ProbeError) => void }[] = [];
  /** the queue's length changed: the gauge follows */
  const queueChanged = () => {
    counters.queued = queue.length;
  };
  const live = new Set<() => void>();
  const running = new Set<Promise<unknown>>();

  const refuse = (code: ProbeErrorCode, message: string): never => {
    rejected[code]++;
    throw new ProbeError(code, message);
  };

  function acquire(): Promise<void> {
    if (closed) return Promise.reject(new ProbeError('closed', 'the prober is closed: the agent is shutting down'));
    if (counters.inFlight < maxConcurrent) {
      counters.inFlight++;
      return Promise.resolve();
    }
    if (queue.length >= maxQueue) {
      return Promise.reject(
        new ProbeError(
          'busy',
          `${maxConcurrent} probes are running and ${queue.length} are waiting (the most this agent queues): try again later`,
        ),
      );
    }
    return new Promise((grant, refuseWaiter) => {
      queue.push({ grant, refuse: refuseWaiter });
      queueChanged();
    });
  }

  function release(): void {
    const next = queue.shift();
    queueChanged();
    if (next)
      next.grant(); // the slot passes on: inFlight stays
    else counters.inFlight--;
  }

  function resolveSource(from: ProbeFrom): { netns: string | null; label: string } {
    if ('node' in from) {
      if (opts.nodeNetns !== null && !existsSync(opts.nodeNetns))
        refuse('source-unavailable', `the node's network namespace ${opts.nodeNetns} does not exist`);
      return { netns: opts.nodeNetns, label: 'the node' };
    }
    const loc = opts.resolvePod(from.pod);
    if (!loc) return refuse('unknown-pod', `from.pod: no pod ${describePod(from.pod)} on this node`);
    return { netns: loc.netns, label: `pod ${from.pod}` };
  }

  function resolveTarget(to: string): { ip: string; pod: string | null } {
    const c = classifyTarget(to);
    if (!c.ok) return refuse('invalid', c.error); // parseProbeRequest refused it already
    if ('ip' in c.target) return { ip: c.target.ip, pod: null };
    const loc = opts.resolvePod(c.target.pod);
    if (!loc)
      return refuse(
        'unknown-pod',
        `to: no pod ${describePod(c.target.pod)} (hostnames are not resolved: give a pod or an IPv4 address)`,
      );
    if (!loc.ip) return refuse('pod-without-ip', `to: pod ${describePod(c.target.pod)} has no IP address yet`);
    return { ip: loc.ip, pod: c.target.pod };
  }

  async function run(body: unknown): Promise<ProbeResult> {
    const parsed = parseProbeRequest(body);
    if (!parsed.ok) return refuse('invalid', parsed.error);
    const req = parsed.request;
    const source = resolveSource(req.from);
    const target = resolveTarget(req.to);

    const queuedAt = performance.now();
    try {
      await acquire();
    } catch (e) {
      if (e instanceof ProbeError) rejected[e.code]++;
      throw e;
    }
    const queuedMs = Math.round(performance.now() - queuedAt);
    try {
      // The pod may have gone while the request waited.
      if (source.netns !== null && !existsSync(source.netns))
        refuse(
          'source-unavailable',
          `${source.label}'s network namespace ${source.netns} does not exist (is it being deleted?)`,
        );
      const command = probeCommand(source.netns, toolArgv(req, target.ip));
      const startedAt = new Date().toISOString();
      let exit: Exit;
      try {
        const p = execute(command, req.timeoutMs, live, () => counters.spawned++);
        running.add(p);
        exit = await p.finally(() => running.delete(p));
      } catch (e) {
        if (e instanceof ProbeError) rejected[e.code]++;
        throw e;
      }
      const result = interpret(req, exit, {
        kind: req.kind,
        ok: false,
        timedOut: exit.timedOut,
        from: req.from,
        to: { ref: req.to, ip: target.ip, pod: target.pod },
        command,
        exitCode: exit.exitCode,
        signal: exit.signal,
        error: null,
        durationMs: exit.durationMs,
        queuedMs,
        startedAt,
        raw: [...lines(exit.stdout), ...lines(exit.stderr)].slice(0, RAW_LINE_LIMIT),
      });
      if (exit.closed)
        Object.assign(result, { ok: false, error: 'killed: the prober was closed (the agent is shutting down)' });
      if (!result.ok && result.error === null)
        result.error = exit.timedOut ? `timed out after ${req.timeoutMs} ms: killed` : 'failed';
      const outcome: ProbeOutcome = result.ok ? 'ok' : result.timedOut ? 'timeout' : 'failed';
      counters.countRun(req.kind, outcome, exit.durationMs);
      return result;
    } finally {
      release();
    }
  }

  return {
    run,
    stats: () => ({
      maxConcurrent,
      maxQueue,
      inFlight: counters.inFlight,
      queued: queue.length,
      spawned: counters.spawned,
      runs: structuredClone(counters.runs),
      rejected: { ...rejected },
    }),
    async close() {
      closed = true;
      const waiting = queue.splice(0);
      queueChanged();
      for (const w of waiting) {
        rejected.closed++;
        w.refuse(new ProbeError('closed', 'the prober was closed: the agent is shutting down'));
      }
      for (const kill of live) kill();
      await Promise.allSettled([...running]);
    },
  };
}

/** "web-1" as default/web-1, so a message names the namespace it looked in. */
function describePod(ref: string): string {
  const { namespace, name } = parsePodRef(ref);
  return `${namespace}/${name}`;
}

/** A finished tool run as the result the agent answers with (exported for the schema tests:
 *  the dashboard must accept every shape this makes). */
export function interpret(req: NormalizedProbeRequest, exit: Exit, base: ProbeResultBase): ProbeResult {
  const timedOutMsg = `timed out after ${req.timeoutMs} ms: killed`;
  switch (req.kind) {
    case 'ping': {
      const p = parsePingOutput(exit.stdout);
      const received = p.summary?.received ?? p.replies.length;
      const sent = p.summary?.sent ?? Math.max(p.maxSeq, received);
      const lossPct = p.summary?.lossPct ?? (sent > 0 ? Math.round(((sent - received) / sent) * 1000) / 10 : null);
      const ok = !exit.timedOut && received > 0;
      const error = ok
        ? null
        : exit.timedOut
          ? timedOutMsg
          : ((p.icmpErrors[0] ? `${p.icmpErrors[0].message} (from ${p.icmpErrors[0].from})` : null) ??
            (received === 0 && p.summary ? `no reply: ${sent} sent, 0 received` : null) ??
            toolError(exit.stderr));
      return {
        ...base,
        kind: 'ping',
        ok,
        error,
        count: req.count,
        sent,
        received,
        lossPct,
        rttMs: p.rttMs,
        replies: p.replies,
        icmpErrors: p.icmpErrors,
      };
    }
    case 'traceroute': {
      const hops = parseTracerouteOutput(exit.stdout);
      const reached = hops.some((h) => h.address === base.to.ip);
      const ok = reached && !exit.timedOut;
      const last = hops[hops.length - 1];
      const error = ok
        ? null
        : exit.timedOut
          ? timedOutMsg
          : ((exit.exitCode !== 0 ? toolError(exit.stderr) : null) ??
            (last?.annotation
              ? `hop ${last.ttl} (${last.address}) answered ${last.annotation}`
              : `${base.to.ip} not reached within ${req.maxHops} hops`));
      return { ...base, kind: 'traceroute', ok, error, maxHops: req.maxHops, hops, reached };
    }
    case 'route-get': {
      const route = exit.exitCode === 0 ? parseRouteGetOutput(exit.stdout) : null;
      const ok = route !== null && !exit.timedOut;
      const error = ok ? null : exit.timedOut ? timedOutMsg : (toolError(exit.stderr) ?? 'ip printed no route');
      return { ...base, kind: 'route-get', ok, error, route };
    }
    case 'tcp': {
      const said = toolError(exit.stderr);
      const connected = exit.exitCode === 0 && !exit.timedOut;
      const refused = !connected && /Connection refused/i.test(said ?? '');
      // socat prints "… E connect(6, AF=2 10.244.2.2:80, 16): Connection refused": keep the reason.
      const reason = said?.replace(/^.*\): /, '') ?? null;
      const ok = connected || refused;
      const error = connected
        ? null
        : refused
          ? `connection refused: ${base.to.ip} answered, nothing listens on port ${req.port}`
          : exit.timedOut
            ? timedOutMsg
            : (reason ?? 'the connection failed');
      return { ...base, kind: 'tcp', ok, error, port: req.port, connected, refused };
    }
  }
}
