// Probes: ping, traceroute and `ip route get` from a pod's (or the node's) network
// namespace, as the node agent runs them for `POST /v1/probe`. Pure and isomorphic: the
// request schema and its error messages (the HTTP 400 bodies), the result types, and the
// error codes with their HTTP statuses. The agent runs the processes (agent/probe.ts),
// parses their output (agent/probe-parse.ts) and counts them (agent/metrics.ts); the
// dashboard reads the same types.
import * as z from 'zod';
import { parsePodRef, podRef } from './lab';
import { PROBE_KINDS, PROBE_LIMITS, type ProbeKind } from './probe-limits';
import { classifyTarget, podRefProblem, showValue, TARGET_HELP } from './refs';

// Re-exported: the probe's callers validate with the same words and bounds.
export { classifyTarget, MAX_REF_LENGTH, podRefProblem, showValue, type ProbeTarget } from './refs';
export { PROBE_KINDS, PROBE_LIMITS, type ProbeKind } from './probe-limits';

export type ProbeFrom = { pod: string } | { node: true };

/** What a client sends. */
export interface ProbeRequest {
  kind: ProbeKind;
  from: ProbeFrom;
  /** a pod (NAME in the default namespace, or NAMESPACE/NAME) or an IPv4 address */
  to: string;
  /** ping only */
  count?: number;
  timeoutMs?: number;
  /** traceroute only */
  maxHops?: number;
  /** ping only */
  size?: number;
  /** tcp only */
  port?: number;
}

/** A request after parseProbeRequest: defaults filled in, pod references canonical
 *  (NAME for the default namespace, NAMESPACE/NAME otherwise), fields of other kinds absent. */
export type NormalizedProbeRequest =
  | { kind: 'ping'; from: ProbeFrom; to: string; count: number; timeoutMs: number; size: number }
  | { kind: 'tcp'; from: ProbeFrom; to: string; port: number; timeoutMs: number }
  | { kind: 'traceroute'; from: ProbeFrom; to: string; maxHops: number; timeoutMs: number }
  | { kind: 'route-get'; from: ProbeFrom; to: string; timeoutMs: number };

// ---------------------------------------------------------------------------------------
// Validation

const EXAMPLE = '{"kind":"ping","from":{"pod":"web-1"},"to":"web-4"}';
function fromProblem(v: unknown): string | null {
  const help = 'from must be {"pod": "NAME" or "NAMESPACE/NAME"} or {"node": true}';
  if (v === undefined) return `from is required: ${help}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${help}, got ${showValue(v)}`;
  const keys = Object.keys(v);
  const o = v as Record<string, unknown>;
  if (keys.includes('pod') && keys.includes('node')) return `${help}, not both`;
  const extra = keys.filter((k) => k !== 'pod' && k !== 'node');
  if (extra.length)
    return `from has unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => showValue(k)).join(', ')}: ${help}`;
  if (keys.includes('node')) return o.node === true ? null : `from.node must be true, got ${showValue(o.node)}`;
  if (!keys.includes('pod')) return `${help}, got {}`;
  if (typeof o.pod !== 'string') return `from.pod must be a string, got ${showValue(o.pod)}`;
  return podRefProblem(o.pod, 'from.pod');
}

function intField(name: keyof typeof PROBE_LIMITS) {
  const lim = PROBE_LIMITS[name];
  const message = (input: unknown) =>
    `${name} must be an integer from ${lim.min} to ${lim.max} (default ${lim.default}), got ${showValue(input)}`;
  const error = (iss: { input?: unknown }) => message(iss.input);
  return z.number({ error }).int({ error }).min(lim.min, { error }).max(lim.max, { error }).optional();
}

const KIND_HELP = `one of ${PROBE_KINDS.join(', ')}`;

/** The request body's schema. Unknown fields are refused: a typo is an error, not a default. */
export const probeRequestSchema = z
  .strictObject(
    {
      kind: z.enum(PROBE_KINDS, {
        error: (iss) =>
          iss.input === undefined
            ? `kind is required: ${KIND_HELP}`
            : `kind must be ${KIND_HELP}, got ${showValue(iss.input)}`,
      }),
      from: z.custom<ProbeFrom>((v) => fromProblem(v) === null, {
        error: (iss) => fromProblem(iss.input) ?? 'from is invalid',
      }),
      to: z
        .string({
          error: (iss) =>
            iss.input === undefined
              ? `to is required: ${TARGET_HELP}`
              : `to must be a string: ${TARGET_HELP}, got ${showValue(iss.input)}`,
        })
        .check((ctx) => {
          const c = classifyTarget(ctx.value);
          if (!c.ok) ctx.issues.push({ code: 'custom', message: c.error, input: ctx.value });
        }),
      count: intField('count'),
      timeoutMs: intField('timeoutMs'),
      maxHops: intField('maxHops'),
      size: intField('size'),
      port: intField('port'),
    },
    {
      error: (iss) => {
        if (iss.code === 'unrecognized_keys') {
          const keys = iss.keys.map((k) => showValue(k)).join(', ');
          return `unknown field${iss.keys.length > 1 ? 's' : ''} ${keys}: allowed are kind, from, to, count, timeoutMs, maxHops, size, port`;
        }
        if (iss.code === 'invalid_type')
          return `the request body must be a JSON object such as ${EXAMPLE}, got ${showValue(iss.input)}`;
        return undefined;
      },
    },
  )
  .check((ctx) => {
    const r = ctx.value;
    if (r.count !== undefined && r.kind !== 'ping')
      ctx.issues.push({
        code: 'custom',
        message: `count applies to ping only, not ${r.kind}`,
        input: r.count,
        path: ['count'],
      });
    if (r.maxHops !== undefined && r.kind !== 'traceroute')
      ctx.issues.push({
        code: 'custom',
        message: `maxHops applies to traceroute only, not ${r.kind}`,
        input: r.maxHops,
        path: ['maxHops'],
      });
    if (r.size !== undefined && r.kind !== 'ping')
      ctx.issues.push({
        code: 'custom',
        message: `size applies to ping only, not ${r.kind}`,
        input: r.size,
        path: ['size'],
      });
    if (r.port !== undefined && r.kind !== 'tcp')
      ctx.issues.push({
        code: 'custom',
        message: `port applies to tcp only, not ${r.kind}`,
        input: r.port,
        path: ['port'],
      });
  });

export type ParsedProbeRequest = { ok: true; request: NormalizedProbeRequest } | { ok: false; error: string };

/** Validates a request body (already JSON-parsed). Every problem is named, with what is allowed. */
export function parseProbeRequest(body: unknown): ParsedProbeRequest {
  const r = probeRequestSchema.safeParse(body);
  if (!r.success) {
    const messages = [...new Set(r.error.issues.map((i) => i.message))];
    return { ok: false, error: messages.join('; ') };
  }
  const v = r.data;
  const from: ProbeFrom = 'pod' in v.from ? { pod: podRef(parsePodRef(v.from.pod)) } : { node: true };
  const target = classifyTarget(v.to);
  const to = target.ok && 'pod' in target.target ? target.target.pod : v.to;
  const timeoutMs = v.timeoutMs ?? PROBE_LIMITS.timeoutMs.default;
  switch (v.kind) {
    case 'ping':
      return {
        ok: true,
        request: {
          kind: 'ping',
          from,
          to,
          count: v.count ?? PROBE_LIMITS.count.default,
          timeoutMs,
          size: v.size ?? PROBE_LIMITS.size.default,
        },
      };
    case 'tcp':
      return { ok: true, request: { kind: 'tcp', from, to, port: v.port ?? PROBE_LIMITS.port.default, timeoutMs } };
    case 'traceroute':
      return {
        ok: true,
        request: { kind: 'traceroute', from, to, maxHops: v.maxHops ?? PROBE_LIMITS.maxHops.default, timeoutMs },
      };
    case 'route-get':
      return { ok: true, request: { kind: 'route-get', from, to, timeoutMs } };
  }
}

// ---------------------------------------------------------------------------------------
// Errors a probe can end with before any result exists

export type ProbeErrorCode =
  /** the request is malformed (the message says what and what is allowed) */
  | 'invalid'
  /** `from.pod` or `to` names a pod this node does not know */
  | 'unknown-pod'
  /** `to` names a pod that has no IP address yet */
  | 'pod-without-ip'
  /** the source's network namespace is gone (a pod being deleted, the node's path wrong) */
  | 'source-unavailable'
  /** every probe slot is busy and the queue is full: try again later */
  | 'busy'
  /** the prober was closed (the agent is shutting down) */
  | 'closed'
  /** the tool could not be started at all (not installed) */
  | 'spawn-failed';

export const PROBE_ERROR_STATUS: Record<ProbeErrorCode, number> = {
  invalid: 400,
  'unknown-pod': 404,
  'pod-without-ip': 409,
  'source-unavailable': 503,
  busy: 429,
  closed: 503,
  'spawn-failed': 500,
};

/** The JSON body of a failed `POST /v1/probe`: `error` in words, as the agent's other errors. */
export interface ProbeErrorBody {
  error: string;
  code: ProbeErrorCode;
}

// ---------------------------------------------------------------------------------------
// Results

export interface ProbeResultBase {
  kind: ProbeKind;
  /** ping: the target answered; traceroute: the target was reached; route-get: the kernel has a route */
  ok: boolean;
  /** the deadline (timeoutMs) passed and the process was killed; what it printed until then is parsed */
  timedOut: boolean;
  from: ProbeFrom;
  /** `to` as requested, and the address probed (a pod's IP) */
  to: { ref: string; ip: string; pod: string | null };
  /** exactly what ran, as an argv array (no shell) */
  command: string[];
  exitCode: number | null;
  signal: string | null;
  /** why it is not ok, in words (the tool's own error when it printed one); null when ok */
  error: string | null;
  /** from spawn to exit */
  durationMs: number;
  /** time spent waiting for a free probe slot */
  queuedMs: number;
  startedAt: string;
  /** what the tool printed (stdout, then stderr), at most RAW_LINE_LIMIT lines */
  raw: string[];
}

export const RAW_LINE_LIMIT = 200;

export interface PingReply {
  seq: number;
  from: string;
  ttl: number | null;
  rttMs: number | null;
}

export interface PingIcmpError {
  seq: number | null;
  from: string;
  message: string;
}

export interface PingResult extends ProbeResultBase {
  kind: 'ping';
  count: number;
  /** from ping's summary; on a timeout (no summary) the highest sequence number seen, a lower bound */
  sent: number;
  received: number;
  /** null when nothing was sent */
  lossPct: number | null;
  rttMs: { min: number; avg: number; max: number; mdev: number } | null;
  replies: PingReply[];
  /** ICMP errors instead of replies (e.g. "Destination Host Unreachable" from a gateway) */
  icmpErrors: PingIcmpError[];
}

export interface TracerouteHop {
  ttl: number;
  /** null: no answer within the wait ("*") */
  address: string | null;
  rttMs: number | null;
  /** traceroute's flag after the time: !H, !N, !P, !X, … (an ICMP unreachable); null when none */
  annotation: string | null;
}

export interface TracerouteResult extends ProbeResultBase {
  kind: 'traceroute';
  maxHops: number;
  hops: TracerouteHop[];
  /** a hop answered from the target address */
  reached: boolean;
}

/** One element of `ip -j route get`. */
export interface KernelRoute {
  dst: string;
  /** unicast, local, blackhole, unreachable, … (ip omits it for unicast) */
  type: string;
  gateway: string | null;
  dev: string | null;
  prefsrc: string | null;
  table: string | null;
  flags: string[];
  /** everything the kernel said, as ip printed it */
  raw: Record<string, unknown>;
}

export interface RouteGetResult extends ProbeResultBase {
  kind: 'route-get';
  route: KernelRoute | null;
}

/** A TCP connection attempt. A refused connection means the network delivered the SYN
 *  and the pod answered: the path works, nothing listens on that port. */
export interface TcpResult extends ProbeResultBase {
  kind: 'tcp';
  port: number;
  connected: boolean;
  refused: boolean;
}

export type ProbeResult = PingResult | TracerouteResult | RouteGetResult | TcpResult;
