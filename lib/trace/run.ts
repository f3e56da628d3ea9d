// A trace from request to diagnosis: the expected path first (from the snapshots, at
// once), then each node's kernel lookups as they answer, then the live probe from the
// source pod (ping, a large ping with DF for the MTU, traceroute, TCP with a port), then
// the neighbour entries the probe left. Every step re-judges the hops and hands the whole
// result to `onUpdate`, so a terminal or a page shows progress, not a spinner. The agents
// are reached through `deps`: the CLI and the dashboard's server pass their own clients.
import type { ProbeRequest, ProbeResult, PingResult, TcpResult, TracerouteResult } from '../model/probe';
import { PROBE_LIMITS } from '../model/probe-limits';
import { classifyTarget, podRefProblem } from '../model/refs';
import { parsePodRef, podRef } from '../model/lab';
import { podKey } from '../model/topology';
import type {
  KernelCheck,
  Lookup,
  LookupResult,
  TraceEndpoint,
  TraceProbe,
  TraceRequest,
  TraceResult,
} from '../model/trace';
import { MAX_LOOKUPS } from '../model/trace';
import { diagnose } from './diagnose';
import { traceNodes, tracePods, type TraceInputs, type TracePod } from './inputs';
import { evaluateHops } from './judge';
import { cidrHolds } from './lpm';
import { planPath, type TraceContext } from './path';

export interface TraceDeps {
  /** POST /v1/lookup on `node`'s agent; rejects when the agent does not answer */
  lookup(node: string, lookups: Lookup[]): Promise<LookupResult[]>;
  /** POST /v1/probe on `node`'s agent; rejects when it cannot run */
  probe(node: string, request: ProbeRequest): Promise<ProbeResult>;
}

/** The request cannot be traced as given: exit 2, nothing was sent anywhere. */
export class TraceInputError extends Error {}

export const PROBE_SETTINGS = { count: 3, intervalMs: 200, timeoutMs: 2_000, maxHops: 8 } as const;

/** Validates the request's shape before anything is looked up. */
export function validateTraceRequest(req: { from: unknown; to: unknown; port?: unknown }): TraceRequest {
  if (typeof req.from !== 'string')
    throw new TraceInputError('FROM must be a pod: NAME (default namespace) or NAMESPACE/NAME');
  const fromProblem = podRefProblem(req.from, 'FROM');
  if (fromProblem) throw new TraceInputError(fromProblem);
  if (typeof req.to !== 'string') throw new TraceInputError('TO must be a pod or an IPv4 address');
  const to = classifyTarget(req.to);
  if (!to.ok) throw new TraceInputError(to.error.replace(/^to /, 'TO '));
  let port: number | null = null;
  if (req.port !== undefined && req.port !== null) {
    const n = typeof req.port === 'string' && /^\d{1,5}$/.test(req.port) ? Number(req.port) : req.port;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535)
      throw new TraceInputError(`--port must be a TCP port 1-65535, got ${JSON.stringify(req.port)}`);
    port = n;
  }
  return {
    from: podRef(parsePodRef(req.from)),
    to: 'pod' in to.target ? to.target.pod : to.target.ip,
    port,
    noProbe: false,
  };
}

function endpointOf(p: TracePod, ref: string, ip: string | null): TraceEndpoint {
  return { ref, kind: 'pod', pod: p.key, ip, node: p.node?.name ?? null, netns: p.onNode?.netns ?? null };
}

interface Resolved {
  ctx: TraceContext;
  from: TracePod;
  toPod: TracePod | null;
  fromEnd: TraceEndpoint;
  toEnd: TraceEndpoint;
  dstIp: string;
}

export function resolveTrace(inputs: TraceInputs, req: TraceRequest): Resolved {
  const nodes = traceNodes(inputs);
  const pods = tracePods(inputs, nodes);
  const ctx: TraceContext = {
    inputs,
    nodes,
    pods,
    routing: inputs.info.routing,
    clusterNetwork: inputs.info.podNetwork,
  };
  const key = (ref: string) => podKey(parsePodRef(ref));
  const from = pods.find((p) => p.key === key(req.from));
  if (!from)
    throw new TraceInputError(
      `no pod ${key(req.from)} in this cluster${
        pods.length
          ? ` (pods: ${pods
              .slice(0, 6)
              .map((p) => p.key)
              .join(', ')}${pods.length > 6 ? ', …' : ''})`
          : ''
      }`,
    );
  if (!from.node) throw new TraceInputError(`${from.key} runs on no known node: it cannot send anything`);
  const srcIp = from.agentIp ?? from.apiIp;
  if (!srcIp) throw new TraceInputError(`${from.key} has no IP address yet`);
  const target = classifyTarget(req.to);
  let toPod: TracePod | null = null;
  let dstIp: string;
  if (target.ok && 'pod' in target.target) {
    toPod = pods.find((p) => p.key === key(req.to)) ?? null;
    if (!toPod) throw new TraceInputError(`no pod ${key(req.to)} in this cluster`);
    // What a client uses to reach it: the API's address (Services, DNS); the node's when the API has none.
    const ip = toPod.apiIp ?? toPod.agentIp;
    if (!ip) throw new TraceInputError(`${toPod.key} has no IP address yet`);
    dstIp = ip;
  } else {
    dstIp = req.to;
    toPod = pods.find((p) => p.agentIp === dstIp) ?? pods.find((p) => p.apiIp === dstIp) ?? null;
  }
  if (toPod === from && dstIp === srcIp)
    throw new TraceInputError(`FROM and TO are the same pod ${from.key}: nothing crosses the network`);
  const fromEnd = endpointOf(from, req.from, srcIp);
  const owner = nodes.find((n) => n.podCIDR && toPod === null && cidrHolds(n.podCIDR, dstIp));
  const toEnd: TraceEndpoint = toPod
    ? endpointOf(toPod, req.to, dstIp)
    : {
        ref: req.to,
        kind: 'ip',
        pod: null,
        ip: dstIp,
        node: owner?.name ?? nodes.find((n) => n.ip === dstIp)?.name ?? null,
        netns: null,
      };
  return { ctx, from, toPod, fromEnd, toEnd, dstIp };
}

function matchTraceroute(r: Resolved, probe: TraceProbe, forward: TraceResult['forward']): TraceProbe['matched'] {
  const tr = probe.traceroute;
  if (!tr) return [];
  return tr.hops.map((x) => {
    if (!x.address) return { ttl: x.ttl, address: null, hop: null };
    if (x.address === r.dstIp) return { ttl: x.ttl, address: x.address, hop: forward.at(-1)?.id ?? null };
    const node = r.ctx.nodes.find(
      (n) =>
        n.ip === x.address ||
        n.snapshot?.node.gateway === x.address ||
        n.snapshot?.addresses.some((a) => a.address === x.address),
    );
    if (node)
      return {
        ttl: x.ttl,
        address: x.address,
        hop: forward.find((h) => h.role === 'node' && h.where.node === node.name)?.id ?? null,
      };
    if (r.ctx.inputs.plane.router?.ip === x.address)
      return { ttl: x.ttl, address: x.address, hop: forward.find((h) => h.role === 'router')?.id ?? null };
    return { ttl: x.ttl, address: x.address, hop: null };
  });
}

/** Runs the trace to its end; `onUpdate` sees every intermediate result. */
export async function runTrace(
  inputs: TraceInputs,
  req: TraceRequest,
  deps: TraceDeps,
  onUpdate: (r: TraceResult) => void = () => {},
): Promise<TraceResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const r = resolveTrace(inputs, req);
  const plan = planPath(r.ctx, r.from, r.toEnd, r.toPod);
  const checks: KernelCheck[] = plan.checks;
  const srcNode = r.from.node!;
  const srcMtu = r.from.onNode
    ? (srcNode.snapshot?.links.find((l) => l.name === r.from.onNode!.hostVeth)?.mtu ?? null)
    : null;
  const largeSize =
    srcMtu && srcMtu - 28 > PROBE_LIMITS.size.default ? Math.min(srcMtu - 28, PROBE_LIMITS.size.max) : null;
  const probe: TraceProbe | null = req.noProbe
    ? null
    : {
        settings: {
          count: PROBE_SETTINGS.count,
          intervalMs: PROBE_SETTINGS.intervalMs,
          timeoutMs: PROBE_SETTINGS.timeoutMs,
          largeSize,
          port: req.port,
        },
        ping: null,
        largePing: null,
        traceroute: null,
        tcp: null,
        errors: [],
        skipped: null,
        matched: [],
        reachable: null,
      };
  const notes = [...plan.notes];
  if (req.noProbe) notes.push("no packets sent (read-only): the expected path and the kernel's lookups only");
  const timings: TraceResult['timings'] = { pathMs: 0, kernelMs: null, probeMs: null, totalMs: null };
  let phase: TraceResult['phase'] = 'path';

  const snapshotOf = (done: boolean): TraceResult => {
    const forward = evaluateHops(plan.forward, checks);
    const back = evaluateHops(plan.back, checks);
    if (probe) probe.matched = matchTraceroute(r, probe, forward);
    const v = diagnose({ ctx: r.ctx, from: r.from, dstIp: r.dstIp, toPod: r.toPod, forward, back, probe }, done);
    return {
      request: req,
      startedAt,
      phase,
      status: v.status,
      summary: v.summary,
      from: r.fromEnd,
      to: r.toEnd,
      routing: r.ctx.routing,
      forward,
      back,
      checks: structuredClone(checks),
      probe: structuredClone(probe),
      diagnoses: v.diagnoses,
      notes: [...notes, ...v.notes],
      timings: { ...timings },
    };
  };
  timings.pathMs = Math.round(performance.now() - t0);
  // The last result sent: what the probe's plan reads, instead of judging the hops again.
  let last = snapshotOf(false);
  onUpdate(last);
  const emit = () => {
    last = snapshotOf(false);
    onUpdate(last);
  };

  // The kernel, node by node, in parallel; each answer shown as it comes.
  const ask = async (list: KernelCheck[]) => {
    const byNode = new Map<string, KernelCheck[]>();
    for (const c of list) byNode.set(c.node, [...(byNode.get(c.node) ?? []), c]);
    await Promise.all(
      [...byNode].map(async ([node, cs]) => {
        // The same question at one node (its firewall, asked for the way there and back) is asked once.
        const unique = new Map<string, KernelCheck[]>();
        for (const c of cs) {
          const key = JSON.stringify(c.lookup);
          unique.set(key, [...(unique.get(key) ?? []), c]);
        }
        const groups = [...unique.values()];
        for (let i = 0; i < groups.length; i += MAX_LOOKUPS) {
          const part = groups.slice(i, i + MAX_LOOKUPS);
          try {
            const results = await deps.lookup(
              node,
              part.map((g) => g[0]!.lookup),
            );
            part.forEach((g, j) => g.forEach((c) => (c.result = structuredClone(results[j] ?? null))));
          } catch (e) {
            for (const c of part.flat()) c.error = (e as Error).message;
            notes.push(`${node}'s lookups are not verified: ${(e as Error).message}`);
          }
          emit();
        }
      }),
    );
  };
  await ask(checks.filter((c) => !c.late));
  timings.kernelMs = Math.round(performance.now() - t0);
  phase = 'kernel';

  if (probe) {
    if (!srcNode.live) {
      probe.errors.push(`${srcNode.name}'s agent does not answer: no probe could run from ${r.from.key}`);
    } else {
      const from = { pod: r.from.key };
      const run = async <T extends ProbeResult>(what: string, request: ProbeRequest, put: (x: T) => void) => {
        try {
          put((await deps.probe(srcNode.name, request)) as T);
        } catch (e) {
          probe.errors.push(`${what}: ${(e as Error).message}`);
        }
        emit();
      };
      const { count, timeoutMs, maxHops } = PROBE_SETTINGS;
      // The kernel already refuses at a hop: the pings confirm it; a traceroute and the MTU
      // test would only wait out their deadlines (the pings' ICMP errors use up the kernel's
      // rate limit, so they get no answer at all).
      const confirmed = last.forward.find((h) => h.verdict === 'dropped' && h.kernel === 'agrees');
      if (confirmed)
        probe.skipped = `the kernel at hop ${confirmed.index} (${confirmed.where.name}) refuses already: the traceroute and the large ping would only wait out their deadlines`;
      emit();
      await Promise.all([
        run<PingResult>('ping', { kind: 'ping', from, to: r.dstIp, count, timeoutMs }, (x) => (probe.ping = x)),
        largeSize && !confirmed
          ? run<PingResult>(
              'large ping',
              { kind: 'ping', from, to: r.dstIp, count: 1, timeoutMs, size: largeSize },
              (x) => (probe.largePing = x),
            )
          : null,
        confirmed
          ? null
          : run<TracerouteResult>(
              'traceroute',
              { kind: 'traceroute', from, to: r.dstIp, maxHops, timeoutMs },
              (x) => (probe.traceroute = x),
            ),
        req.port
          ? run<TcpResult>('tcp', { kind: 'tcp', from, to: r.dstIp, port: req.port, timeoutMs }, (x) => (probe.tcp = x))
          : null,
      ]);
      probe.reachable = probe.tcp ? probe.tcp.ok : probe.ping ? probe.ping.ok : null;
    }
    timings.probeMs = Math.round(performance.now() - t0);
    phase = 'probe';
  }
  // Neighbour entries say most once traffic has tried them.
  await ask(checks.filter((c) => c.late));
  phase = 'done';
  timings.totalMs = Math.round(performance.now() - t0);
  const final = snapshotOf(true);
  onUpdate(final);
  return final;
}
