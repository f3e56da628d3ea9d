// The agent's `POST /v1/lookup`: the trace asks a node's kernel what it would do with a
// packet at a hop — the route lookup the forwarding path itself does (`ip route get DST
// from SRC iif DEV`, so forwarding off, rp_filter and a missing route come back as the
// kernel's own error), a link's state, a neighbour entry, the forwarding sysctls, the
// firewall facts. The body is validated here, field by field, before anything runs:
// addresses are parsed as IPv4, interface names by the kernel's rule, pods as references.
// Isomorphic: the agent validates with it, the trace builds requests that pass it.
import { IFNAME_RULE, validIfname } from './ifname';
import { parseIpv4 } from './ipv4';
import { parsePodRef, podRef } from './lab';
import { podRefProblem, showValue } from './refs';
import { LOOKUP_KINDS, MAX_LOOKUPS, type Lookup, type LookupAt } from './trace';

export type ParsedLookups = { ok: true; lookups: Lookup[] } | { ok: false; error: string };

const EXAMPLE =
  '{"lookups":[{"kind":"route","at":{"node":true},"dst":"10.244.2.2","from":"10.244.1.2","iif":"v-net-0"}]}';
const FIELDS: Record<Lookup['kind'], string[]> = {
  route: ['kind', 'at', 'dst', 'from', 'iif'],
  link: ['kind', 'at', 'dev'],
  neigh: ['kind', 'at', 'address', 'dev'],
  sysctl: ['kind', 'at', 'dev'],
  firewall: ['kind', 'at'],
};

class Invalid extends Error {}

function address(where: string, v: unknown): string {
  if (typeof v !== 'string' || parseIpv4(v) === null)
    throw new Invalid(`${where} must be an IPv4 address such as 10.244.2.2, got ${showValue(v)}`);
  return v;
}

function ifname(where: string, v: unknown): string {
  if (typeof v !== 'string' || !validIfname(v))
    throw new Invalid(`${where} must be an interface name (${IFNAME_RULE}), got ${showValue(v)}`);
  return v;
}

function at(where: string, v: unknown, nodeOnly: boolean): LookupAt {
  const help = nodeOnly ? '{"node": true}' : '{"node": true} or {"pod": "NAMESPACE/NAME"}';
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Invalid(`${where} must be ${help}, got ${showValue(v)}`);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === 'node' && o.node === true) return { node: true };
  if (!nodeOnly && keys.length === 1 && keys[0] === 'pod') {
    if (typeof o.pod !== 'string') throw new Invalid(`${where}.pod must be a string, got ${showValue(o.pod)}`);
    const problem = podRefProblem(o.pod, `${where}.pod`);
    if (problem) throw new Invalid(problem);
    return { pod: podRef(parsePodRef(o.pod)) };
  }
  throw new Invalid(`${where} must be ${help}`);
}

function one(v: unknown, i: number): Lookup {
  const where = `lookups[${i}]`;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Invalid(`${where} must be an object, got ${showValue(v)}`);
  const o = v as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== 'string' || !(LOOKUP_KINDS as readonly string[]).includes(kind))
    throw new Invalid(`${where}.kind must be one of ${LOOKUP_KINDS.join(', ')}, got ${showValue(kind)}`);
  const k = kind as Lookup['kind'];
  const extra = Object.keys(o).filter((f) => !FIELDS[k].includes(f));
  if (extra.length)
    throw new Invalid(
      `${where}: unknown field ${extra.map((f) => showValue(f)).join(', ')} for a ${k} lookup (allowed: ${FIELDS[k].join(', ')})`,
    );
  switch (k) {
    case 'route': {
      const l: Lookup = { kind: 'route', at: at(`${where}.at`, o.at, false), dst: address(`${where}.dst`, o.dst) };
      if (o.from !== undefined) l.from = address(`${where}.from`, o.from);
      if (o.iif !== undefined) {
        // An input lookup needs a source: the kernel refuses "iif" alone.
        if (o.from === undefined) throw new Invalid(`${where}: iif needs from (the packet's source address)`);
        l.iif = ifname(`${where}.iif`, o.iif);
      }
      return l;
    }
    case 'link':
      return { kind: 'link', at: at(`${where}.at`, o.at, false), dev: ifname(`${where}.dev`, o.dev) };
    case 'neigh':
      return {
        kind: 'neigh',
        at: at(`${where}.at`, o.at, false),
        address: address(`${where}.address`, o.address),
        dev: ifname(`${where}.dev`, o.dev),
      };
    case 'sysctl': {
      const l: Lookup = { kind: 'sysctl', at: at(`${where}.at`, o.at, true) as { node: true } };
      if (o.dev !== undefined) l.dev = ifname(`${where}.dev`, o.dev);
      return l;
    }
    case 'firewall':
      return { kind: 'firewall', at: at(`${where}.at`, o.at, true) as { node: true } };
  }
}

/** Validates a request body (already JSON-parsed); the first problem is named with what is allowed. */
export function parseLookupRequest(body: unknown): ParsedLookups {
  try {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new Invalid(`the request body must be a JSON object such as ${EXAMPLE}, got ${showValue(body)}`);
    const o = body as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'lookups');
    if (extra.length)
      throw new Invalid(`unknown field ${extra.map((k) => showValue(k)).join(', ')}: the body is {"lookups": [...]}`);
    if (!Array.isArray(o.lookups))
      throw new Invalid(`lookups must be an array such as ${EXAMPLE}, got ${showValue(o.lookups)}`);
    if (o.lookups.length === 0 || o.lookups.length > MAX_LOOKUPS)
      throw new Invalid(`lookups must hold 1 to ${MAX_LOOKUPS} lookups, got ${o.lookups.length}`);
    return { ok: true, lookups: o.lookups.map(one) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}
