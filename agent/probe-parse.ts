// Parsers of the probe tools' output (`LC_ALL=C ping -n -O`, `traceroute -n -q 1`,
// `ip -j route get`) into the model's result parts, for the prober (agent/probe.ts) and
// the agent's lookups (agent/lookup.ts).
import { parseIpv4 } from '../lib/model/ipv4.js';
import type { KernelRoute, PingIcmpError, PingReply, TracerouteHop } from '../lib/model/probe.js';

const num = (s: string | undefined): number | null =>
  s === undefined || s === '' || Number.isNaN(Number(s)) ? null : Number(s);

export interface ParsedPing {
  replies: PingReply[];
  icmpErrors: PingIcmpError[];
  /** the summary, when ping lived to print it */
  summary: { sent: number; received: number; lossPct: number } | null;
  rttMs: { min: number; avg: number; max: number; mdev: number } | null;
  /** highest icmp_seq seen in any line */
  maxSeq: number;
}

export function parsePingOutput(stdout: string): ParsedPing {
  const out: ParsedPing = { replies: [], icmpErrors: [], summary: null, rttMs: null, maxSeq: 0 };
  for (const line of stdout.split('\n')) {
    let m = /^\d+ bytes from ([0-9.]+): icmp_seq=(\d+)(?: ttl=(\d+))?(?: time=([0-9.]+) ms)?/.exec(line);
    if (m) {
      const seq = Number(m[2]);
      out.replies.push({ seq, from: m[1]!, ttl: num(m[3]), rttMs: num(m[4]) });
      out.maxSeq = Math.max(out.maxSeq, seq);
      continue;
    }
    m = /^From ([0-9.]+)(?: icmp_seq=(\d+))? (.+)$/.exec(line);
    if (m) {
      const seq = num(m[2]);
      out.icmpErrors.push({ seq, from: m[1]!, message: m[3]!.trim() });
      if (seq !== null) out.maxSeq = Math.max(out.maxSeq, seq);
      continue;
    }
    m = /^no answer yet for icmp_seq=(\d+)/.exec(line);
    if (m) {
      out.maxSeq = Math.max(out.maxSeq, Number(m[1]));
      continue;
    }
    m = /^(\d+) packets transmitted, (\d+) received,.*?([0-9.]+)% packet loss/.exec(line);
    if (m) {
      out.summary = { sent: Number(m[1]), received: Number(m[2]), lossPct: Number(m[3]) };
      continue;
    }
    m = /^rtt min\/avg\/max\/mdev = ([0-9.]+)\/([0-9.]+)\/([0-9.]+)\/([0-9.]+) ms/.exec(line);
    if (m) out.rttMs = { min: Number(m[1]), avg: Number(m[2]), max: Number(m[3]), mdev: Number(m[4]) };
  }
  return out;
}

export function parseTracerouteOutput(stdout: string): TracerouteHop[] {
  const hops: TracerouteHop[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ttl = Number(m[1]);
    const rest = m[2]!.trim().split(/\s+/);
    if (rest[0] === '*' || rest[0] === undefined) {
      hops.push({ ttl, address: null, rttMs: null, annotation: null });
      continue;
    }
    const address = parseIpv4(rest[0]) !== null ? rest[0] : null;
    const msAt = rest.indexOf('ms');
    const rttMs = msAt > 0 ? num(rest[msAt - 1]) : null;
    const annotation = rest.find((t) => t.startsWith('!')) ?? null;
    hops.push({ ttl, address, rttMs, annotation });
  }
  return hops;
}

export function parseRouteGetOutput(stdout: string): KernelRoute | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return null;
  }
  const first = Array.isArray(parsed) ? (parsed[0] as unknown) : null;
  if (typeof first !== 'object' || first === null) return null;
  const r = first as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : null);
  return {
    dst: str('dst') ?? '',
    type: str('type') ?? 'unicast',
    gateway: str('gateway'),
    dev: str('dev'),
    prefsrc: str('prefsrc'),
    table: str('table'),
    flags: Array.isArray(r.flags) ? r.flags.filter((f): f is string => typeof f === 'string') : [],
    raw: r,
  };
}
