// `POST /v1/lookup`: the kernel's own answer at a hop of a trace. Each lookup is validated
// (lib/model/lookup.ts) before anything runs, runs as an argv array through `nsenter
// --net=PATH` for a pod (never a shell), under a deadline, a few at a time. What the agent
// reads itself (sysctls, firewall facts) is read fresh, not taken from the last snapshot:
// the trace wants the kernel as it is now.
import { readFileSync } from 'node:fs';
import { firewallFacts } from '../lib/firewall/apply.js';
import { parseLookupRequest } from '../lib/model/lookup.js';
import type { Lookup, LookupResult } from '../lib/model/trace.js';
import { pool } from '../lib/proc/pool.js';
import { execute, probeCommand, toolError, type PodLocation } from './probe.js';
import { parseRouteGetOutput } from './probe-parse.js';

/** Each lookup is one short `ip` process; a trace sends at most MAX_LOOKUPS per node. */
const LOOKUP_DEADLINE_MS = 2_000;
const CONCURRENCY = 6;

export interface LookupDeps {
  resolvePod(ref: string): PodLocation | null;
}

interface IpLinkJson {
  ifname: string;
  flags: string[];
  operstate: string;
  mtu: number;
  master?: string;
}

interface IpNeighJson {
  dst: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

function readSysctl(path: string): number | null {
  try {
    return Number(readFileSync(`/proc/sys/net/ipv4/${path}`, 'utf8').trim());
  } catch {
    return null;
  }
}

function argvOf(l: Exclude<Lookup, { kind: 'sysctl' | 'firewall' }>): string[] {
  switch (l.kind) {
    case 'route':
      return ['ip', '-j', 'route', 'get', l.dst, ...(l.from ? ['from', l.from] : []), ...(l.iif ? ['iif', l.iif] : [])];
    case 'link':
      return ['ip', '-j', '-d', 'link', 'show', 'dev', l.dev];
    case 'neigh':
      return ['ip', '-j', 'neigh', 'show', 'to', l.address, 'dev', l.dev];
  }
}

async function runOne(l: Lookup, deps: LookupDeps): Promise<LookupResult> {
  const started = performance.now();
  const done = (r: Omit<LookupResult, 'kind' | 'durationMs'>): LookupResult => ({
    kind: l.kind,
    ...r,
    durationMs: Math.round(performance.now() - started),
  });
  if (l.kind === 'sysctl') {
    // The agent runs in the node's namespace: /proc/sys/net is that namespace's.
    const ipForward = readSysctl('ip_forward');
    const all = readSysctl('conf/all/rp_filter');
    const dev = l.dev ? readSysctl(`conf/${l.dev}/rp_filter`) : null;
    if (ipForward === null || all === null)
      return done({ ok: false, error: 'cannot read /proc/sys/net/ipv4', command: [], sysctl: null });
    if (l.dev && dev === null)
      return done({
        ok: false,
        error: `no interface ${l.dev} (no /proc/sys/net/ipv4/conf/${l.dev})`,
        command: [],
        sysctl: { ipForward: ipForward === 1, rpFilter: { all, dev: null } },
      });
    return done({ ok: true, error: null, command: [], sysctl: { ipForward: ipForward === 1, rpFilter: { all, dev } } });
  }
  if (l.kind === 'firewall') {
    try {
      const f = firewallFacts();
      return done({
        ok: true,
        error: null,
        command: [],
        firewall: {
          forwardPolicy: f.forwardPolicy,
          table: f.table,
          masquerade: f.masquerade,
          forwardAccepts: f.forwardAccepts,
          inputRestricted: f.inputRestricted,
        },
      });
    } catch (e) {
      return done({
        ok: false,
        error: `firewall facts unavailable: ${(e as Error).message}`,
        command: [],
        firewall: null,
      });
    }
  }
  let netns: string | null = null;
  if ('pod' in l.at) {
    const loc = deps.resolvePod(l.at.pod);
    if (!loc) return done({ ok: false, error: `no pod ${l.at.pod} on this node`, command: [] });
    netns = loc.netns;
  }
  const command = probeCommand(netns, argvOf(l));
  const exit = await execute(command, LOOKUP_DEADLINE_MS, new Set(), () => {});
  if (exit.timedOut) return done({ ok: false, error: `no answer within ${LOOKUP_DEADLINE_MS} ms`, command });
  const said = toolError(exit.stderr);
  const error = exit.exitCode === 0 ? null : (said?.replace(/^RTNETLINK answers: /, '') ?? `exit ${exit.exitCode}`);
  switch (l.kind) {
    case 'route':
      return done({
        ok: error === null,
        error,
        command,
        route: error === null ? parseRouteGetOutput(exit.stdout) : null,
      });
    case 'link': {
      if (error !== null)
        return done({
          ok: false,
          error: /does not exist|Cannot find device/i.test(error) ? `no link ${l.dev}` : error,
          command,
          link: null,
        });
      const link = (JSON.parse(exit.stdout || '[]') as IpLinkJson[])[0];
      return done({
        ok: !!link,
        error: link ? null : `no link ${l.dev}`,
        command,
        link: link
          ? {
              name: link.ifname,
              up: link.flags.includes('UP'),
              operState: link.operstate,
              mtu: link.mtu,
              master: link.master ?? null,
            }
          : null,
      });
    }
    case 'neigh': {
      if (error !== null) return done({ ok: false, error, command, neigh: null });
      const n = (JSON.parse(exit.stdout || '[]') as IpNeighJson[])[0];
      // No entry is an answer too: nothing was resolved there yet (or it expired).
      return done({
        ok: true,
        error: null,
        command,
        neigh: n ? { address: n.dst, dev: n.dev ?? l.dev, state: n.state ?? [], mac: n.lladdr ?? null } : null,
      });
    }
  }
}

/** Runs validated lookups, CONCURRENCY at a time, answers in the request's order. */
export function runLookups(lookups: Lookup[], deps: LookupDeps): Promise<LookupResult[]> {
  return pool(lookups, CONCURRENCY, (l) => runOne(l, deps));
}

/** `POST /v1/lookup` for the agent's server: 200 with { results }, or 400 with what was wrong. */
export async function lookupResponse(body: unknown, deps: LookupDeps): Promise<{ status: number; body: unknown }> {
  const parsed = parseLookupRequest(body);
  if (!parsed.ok) return { status: 400, body: { error: parsed.error, code: 'invalid' } };
  return { status: 200, body: { results: await runLookups(parsed.lookups, deps) } };
}
