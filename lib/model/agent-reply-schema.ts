// How the dashboard and `podnet trace` read an agent's answers to `POST /v1/probe` and
// `POST /v1/lookup`: parsed with these schemas as they arrive, so a broken or newer agent
// is an error naming the node and the field, shown where a probe or lookup error is shown
// (a hop not verified, the probe panel), never a TypeError inside lib/trace. A separate
// file from probe.ts and trace.ts because their importers (lib/trace, the CLI, the agent)
// must not load zod; lib/agent/trace-deps.ts loads this one only when a reply arrives.
// Isomorphic.
import * as z from 'zod';
import {
  RAW_LINE_LIMIT,
  type KernelRoute,
  type PingResult,
  type ProbeFrom,
  type ProbeKind,
  type ProbeResult,
  type RouteGetResult,
  type TcpResult,
  type TracerouteResult,
} from './probe';
import { showValue } from './refs';
import { parseWith, type Parsed } from './schema-issues';
import { firewallSummarySchema, ipv4 } from './snapshot-schema';
import type { Lookup, LookupResult } from './trace';

// Typed against the model's interfaces, so the two cannot drift apart. Unknown fields are
// dropped (a newer agent may send more); a missing or mistyped field is refused, naming it.
// What the trace and the page reason with (the target's address, a hop's address, the
// counts) is parsed as such; what the kernel or a tool said (a route's type, an ICMP
// message) is taken as the words it is.

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

const kernelRouteSchema: z.ZodType<KernelRoute> = z.object({
  dst: z.string(),
  type: z.string(),
  gateway: z.string().nullable(),
  dev: z.string().nullable(),
  prefsrc: z.string().nullable(),
  table: z.string().nullable(),
  flags: z.array(z.string()),
  raw: z.record(z.string(), z.unknown()),
});

const fromSchema: z.ZodType<ProbeFrom> = z.union(
  [z.strictObject({ pod: z.string().min(1) }), z.strictObject({ node: z.literal(true) })],
  {
    error: (iss) => `must be {"pod": NAME} or {"node": true}, got ${showValue(iss.input)}`,
  },
);

/** The kind asked for: an answer of another kind is not the answer to this request. */
const kindOf = <K extends ProbeKind>(kind: K) =>
  z.literal(kind, { error: (iss) => `a ${kind} result was asked for, got ${showValue(iss.input)}` });

const base = {
  ok: z.boolean(),
  timedOut: z.boolean(),
  from: fromSchema,
  to: z.object({ ref: z.string(), ip: ipv4, pod: z.string().nullable() }),
  command: z.array(z.string()),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  error: z.string().nullable(),
  durationMs: ms,
  queuedMs: ms,
  startedAt: z.string(),
  raw: z.array(z.string()).max(RAW_LINE_LIMIT),
};

export const pingResultSchema: z.ZodType<PingResult> = z.object({
  ...base,
  kind: kindOf('ping'),
  count: count,
  sent: count,
  received: count,
  lossPct: z.number().min(0).max(100).nullable(),
  rttMs: z.object({ min: ms, avg: ms, max: ms, mdev: ms }).nullable(),
  replies: z.array(z.object({ seq: count, from: z.string(), ttl: count.nullable(), rttMs: ms.nullable() })),
  icmpErrors: z.array(z.object({ seq: count.nullable(), from: z.string(), message: z.string() })),
});

export const tracerouteResultSchema: z.ZodType<TracerouteResult> = z.object({
  ...base,
  kind: kindOf('traceroute'),
  maxHops: count,
  hops: z.array(
    z.object({ ttl: count, address: ipv4.nullable(), rttMs: ms.nullable(), annotation: z.string().nullable() }),
  ),
  reached: z.boolean(),
});

export const routeGetResultSchema: z.ZodType<RouteGetResult> = z.object({
  ...base,
  kind: kindOf('route-get'),
  route: kernelRouteSchema.nullable(),
});

export const tcpResultSchema: z.ZodType<TcpResult> = z.object({
  ...base,
  kind: kindOf('tcp'),
  port: z.number().int().min(1).max(65535),
  connected: z.boolean(),
  refused: z.boolean(),
});

/** One schema per kind: a reply is parsed with the one of the kind that was asked for. */
export const probeResultSchemas: { [K in ProbeKind]: z.ZodType<Extract<ProbeResult, { kind: K }>> } = {
  ping: pingResultSchema,
  traceroute: tracerouteResultSchema,
  'route-get': routeGetResultSchema,
  tcp: tcpResultSchema,
};

export const lookupResultSchema: z.ZodType<LookupResult> = z.object({
  kind: z.enum(['route', 'link', 'neigh', 'sysctl', 'firewall']),
  ok: z.boolean(),
  error: z.string().nullable(),
  command: z.array(z.string()),
  route: kernelRouteSchema.nullable().optional(),
  link: z
    .object({ name: z.string(), up: z.boolean(), operState: z.string(), mtu: count, master: z.string().nullable() })
    .nullable()
    .optional(),
  neigh: z
    .object({ address: z.string(), dev: z.string(), state: z.array(z.string()), mac: z.string().nullable() })
    .nullable()
    .optional(),
  sysctl: z
    .object({ ipForward: z.boolean(), rpFilter: z.object({ all: count, dev: count.nullable() }) })
    .nullable()
    .optional(),
  firewall: firewallSummarySchema.nullable().optional(),
  durationMs: ms,
});

const lookupReplySchema = z.object({ results: z.array(lookupResultSchema) });

const invalid = (node: string, what: string, error: string) =>
  `the agent on ${node} sent an invalid ${what} reply: ${error}`;

/** A 200 answer to `POST /v1/probe` for a request of `kind`. */
export function parseProbeReply<K extends ProbeKind>(
  node: string,
  kind: K,
  body: unknown,
): Parsed<Extract<ProbeResult, { kind: K }>> {
  const r = parseWith(probeResultSchemas[kind], body);
  return r.ok ? r : { ok: false, error: invalid(node, `${kind} probe`, r.error) };
}

/** A 200 answer to `POST /v1/lookup` for `lookups`: one result per lookup, in their order
 *  and of their kinds (the trace pairs them by position). */
export function parseLookupReply(node: string, lookups: readonly Lookup[], body: unknown): Parsed<LookupResult[]> {
  const r = parseWith(lookupReplySchema, body);
  if (!r.ok) return { ok: false, error: invalid(node, 'lookup', r.error) };
  const results = r.value.results;
  if (results.length !== lookups.length)
    return { ok: false, error: invalid(node, 'lookup', `results: ${results.length} for ${lookups.length} lookups`) };
  const wrong = lookups.findIndex((l, i) => results[i]!.kind !== l.kind);
  if (wrong >= 0)
    return {
      ok: false,
      error: invalid(
        node,
        'lookup',
        `results[${wrong}].kind: a ${lookups[wrong]!.kind} lookup was asked, got ${showValue(results[wrong]!.kind)}`,
      ),
    };
  return { ok: true, value: results };
}
