// An agent's answers to POST /v1/probe and /v1/lookup are parsed before the trace uses
// them. Every shape the agent's own code makes passes (its prober and lookups run for real
// in this process's namespace, and its interpreter fed the tools' output the parser tests
// use), and a fake agent on a unix socket that answers with a wrong field makes an error
// naming the node and the field: for a trace, its kernel checks are not verified and its
// probe is "not run", with those words.
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLookups } from '../../agent/lookup.js';
import { createProber, interpret, type Exit } from '../../agent/probe.js';
import { parseLookupReply, parseProbeReply } from '../model/agent-reply-schema.js';
import {
  parseProbeRequest,
  type NormalizedProbeRequest,
  type ProbeResult,
  type ProbeResultBase,
} from '../model/probe.js';
import type { Lookup } from '../model/trace.js';
import { runTrace } from '../trace/run.js';
import { fakeJsonAgent, type FakeAgent } from '../../test/fake-agent.js';
import { labCluster } from '../../test/fixtures/trace-cluster.js';
import { agentTraceDeps } from './trace-deps.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The reply as it crosses the wire. */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function expectProbeReplyPasses(r: ProbeResult) {
  const parsed = parseProbeReply('node1', r.kind, wire(r));
  expect(parsed, JSON.stringify(r)).toEqual({ ok: true, value: wire(r) });
}

describe('every reply the agent makes passes the schemas', () => {
  it('its prober, run for real from this namespace: ping, traceroute, route-get, tcp connected and refused, a timeout', async () => {
    const listening = createTcpServer((s) => s.destroy());
    await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
    const open = (listening.address() as AddressInfo).port;
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const refused = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    cleanups.push(() => new Promise<void>((r) => listening.close(() => r())));
    const prober = createProber({ resolvePod: () => null, nodeNetns: null });
    cleanups.push(() => prober.close());
    const from = { node: true };
    const results = await Promise.all([
      prober.run({ kind: 'ping', from, to: '127.0.0.1', count: 1, timeoutMs: 2000 }),
      prober.run({ kind: 'traceroute', from, to: '127.0.0.1', maxHops: 2, timeoutMs: 2000 }),
      prober.run({ kind: 'route-get', from, to: '127.0.0.1' }),
      prober.run({ kind: 'tcp', from, to: '127.0.0.1', port: open, timeoutMs: 2000 }),
      prober.run({ kind: 'tcp', from, to: '127.0.0.1', port: refused, timeoutMs: 2000 }),
      // TEST-NET-1 answers nothing: killed at the deadline
      prober.run({ kind: 'ping', from, to: '192.0.2.1', count: 3, timeoutMs: 300 }),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['ping', 'traceroute', 'route-get', 'tcp', 'tcp', 'ping']);
    expect(results[2]).toMatchObject({ ok: true, route: { type: 'local' } });
    expect(results[3]).toMatchObject({ connected: true });
    expect(results[4]).toMatchObject({ refused: true });
    expect(results[5]!.timedOut || !results[5]!.ok).toBe(true);
    for (const r of results) expectProbeReplyPasses(r);
  });

  it("its interpreter, on the tools' output: ICMP errors, a killed ping, silent and annotated hops (the target reached, with !X), no route, a refused connection", () => {
    const request = (body: unknown): NormalizedProbeRequest => {
      const p = parseProbeRequest(body);
      if (!p.ok) throw new Error(p.error);
      return p.request;
    };
    const exit = (stdout: string, stderr = '', more: Partial<Exit> = {}): Exit => ({
      stdout,
      stderr,
      exitCode: 1,
      signal: null,
      timedOut: false,
      closed: false,
      durationMs: 12,
      ...more,
    });
    const base = (kind: ProbeResultBase['kind']): ProbeResultBase => ({
      kind,
      ok: false,
      timedOut: false,
      from: { pod: 'default/web-1' },
      to: { ref: 'web-3', ip: '10.244.2.2', pod: 'web-3' },
      command: ['nsenter', '--net=/run/netns/x', '--', 'true'],
      exitCode: 1,
      signal: null,
      error: null,
      durationMs: 12,
      queuedMs: 0,
      startedAt: '2026-12-01T02:13:05.000Z',
      raw: [],
    });
    // [request, stdout, stderr, how it ended]: the texts are the parser tests' (agent/probe-parse.test.ts)
    const killed = { exitCode: null, signal: 'SIGKILL', timedOut: true };
    const cases: Array<[Record<string, unknown>, string, string, Partial<Exit>]> = [
      [
        { kind: 'ping', to: '10.244.9.9' },
        'PING 10.244.9.9 (10.244.9.9) 56(84) bytes of data.\nFrom 10.244.1.1 icmp_seq=1 Destination Host Unreachable\n' +
          'From 10.244.1.1 icmp_seq=2 Destination Host Unreachable\n\n--- 10.244.9.9 ping statistics ---\n' +
          '2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 203ms\n',
        '',
        {},
      ],
      [
        { kind: 'ping', to: '10.9.9.2' },
        'PING 10.9.9.2 (10.9.9.2) 56(84) bytes of data.\nno answer yet for icmp_seq=1\n',
        '',
        killed,
      ],
      [{ kind: 'ping', to: '10.9.9.2' }, '', 'ping: connect: Network is unreachable\n', { exitCode: 2 }],
      [
        { kind: 'traceroute', to: '10.244.2.2' },
        'traceroute to 10.244.2.2 (10.244.2.2), 15 hops max, 60 byte packets\n 1  10.244.1.1  0.062 ms\n 2  *\n 3  10.244.2.2  0.120 ms !X\n',
        '',
        { exitCode: 0 },
      ],
      [
        { kind: 'traceroute', to: '10.244.2.2', maxHops: 2 },
        'traceroute to 10.244.2.2 (10.244.2.2), 2 hops max, 60 byte packets\n 1  *\n 2  *\n',
        '',
        { exitCode: 0 },
      ],
      [{ kind: 'route-get', to: '10.244.2.2' }, '', 'RTNETLINK answers: Network is unreachable\n', { exitCode: 2 }],
      [
        { kind: 'route-get', to: '10.244.2.2' },
        '[{"dst":"10.244.2.2","gateway":"10.244.1.1","dev":"eth0","prefsrc":"10.244.1.2","flags":[],"uid":0,"cache":[]}]\n',
        '',
        { exitCode: 0 },
      ],
      [
        { kind: 'tcp', to: '10.244.2.2', port: 80 },
        '',
        '2026/12/01 02:13:05 socat[42] E connect(6, AF=2 10.244.2.2:80, 16): Connection refused\n',
        {},
      ],
      [{ kind: 'tcp', to: '10.244.2.2', port: 80 }, '', '', killed],
    ];
    const results = cases.map(([body, stdout, stderr, end]) => {
      const req = request({ ...body, from: { pod: 'web-1' } });
      return interpret(req, exit(stdout, stderr, end), base(req.kind));
    });
    expect(results.map((r) => r.ok)).toEqual([false, false, false, true, false, false, true, true, false]);
    for (const r of results) expectProbeReplyPasses(r);
  });

  it('its lookups, run for real in this namespace: each kind, answered and refused, and a pod it does not know', async () => {
    const at = { node: true } as const;
    const lookups: Lookup[] = [
      { kind: 'route', at, dst: '127.0.0.1' },
      { kind: 'route', at, dst: '10.255.255.1', from: '10.255.255.2', iif: 'nosuch0' },
      { kind: 'link', at, dev: 'lo' },
      { kind: 'link', at, dev: 'nosuch0' },
      { kind: 'neigh', at, address: '127.0.0.1', dev: 'lo' },
      { kind: 'sysctl', at },
      { kind: 'sysctl', at, dev: 'lo' },
      { kind: 'sysctl', at, dev: 'nosuch0' },
      { kind: 'firewall', at },
      { kind: 'link', at: { pod: 'default/gone' }, dev: 'eth0' },
    ];
    const results = await runLookups(lookups, { resolvePod: () => null });
    expect(results.map((r) => [r.kind, r.ok])).toEqual([
      ['route', true],
      ['route', false],
      ['link', true],
      ['link', false],
      ['neigh', true],
      ['sysctl', true],
      ['sysctl', true],
      ['sysctl', false],
      ['firewall', results[8]!.ok],
      ['link', false],
    ]);
    expect(parseLookupReply('node1', lookups, wire({ results }))).toEqual({ ok: true, value: wire(results) });
  });
});

/** A fake agent, closed after the test. */
async function fakeAgent(answer: (path: string, body: unknown) => unknown): Promise<FakeAgent> {
  const agent = await fakeJsonAgent(answer);
  cleanups.push(() => agent.close());
  return agent;
}

const goodLookup = (l: Lookup) => ({ kind: l.kind, ok: true, error: null, command: [], durationMs: 1 });
const ping = {
  kind: 'ping',
  ok: true,
  timedOut: false,
  from: { pod: 'default/web-1' },
  to: { ref: '10.244.2.2', ip: '10.244.2.2', pod: null },
  command: ['ping'],
  exitCode: 0,
  signal: null,
  error: null,
  durationMs: 5,
  queuedMs: 0,
  startedAt: '2026-12-01T02:13:05.000Z',
  raw: [],
  count: 1,
  sent: 1,
  received: 1,
  lossPct: 0,
  rttMs: null,
  replies: [],
  icmpErrors: [],
};

describe('a wrong reply is an error naming the node and the field', () => {
  it('lookup: a mistyped field, a result missing, a result of another kind', async () => {
    const lookups: Lookup[] = [
      { kind: 'link', at: { node: true }, dev: 'eth0' },
      { kind: 'route', at: { node: true }, dst: '10.244.2.2' },
    ];
    const replies: unknown[] = [
      {
        results: [
          goodLookup(lookups[0]!),
          {
            ...goodLookup(lookups[1]!),
            route: {
              dst: '10.244.2.2',
              type: 'unicast',
              gateway: null,
              dev: 42,
              prefsrc: null,
              table: null,
              flags: [],
              raw: {},
            },
          },
        ],
      },
      { results: [goodLookup(lookups[0]!)] },
      { results: [goodLookup(lookups[1]!), goodLookup(lookups[1]!)] },
      { error: 'nothing' },
    ];
    const agent = await fakeAgent(() => replies.shift());
    const deps = agentTraceDeps(
      () => agent.address,
      () => 'a-token-of-sixteen',
    );
    await expect(deps.lookup('node2', lookups)).rejects.toThrow(
      /^the agent on node2 sent an invalid lookup reply: results\[1\]\.route\.dev: Invalid input: expected string, received number$/,
    );
    await expect(deps.lookup('node2', lookups)).rejects.toThrow(
      /^the agent on node2 sent an invalid lookup reply: results: 1 for 2 lookups$/,
    );
    await expect(deps.lookup('node2', lookups)).rejects.toThrow(
      /^the agent on node2 sent an invalid lookup reply: results\[0\]\.kind: a link lookup was asked, got "route"$/,
    );
    await expect(deps.lookup('node2', lookups)).rejects.toThrow(
      /^the agent on node2 sent an invalid lookup reply: results: Invalid input: expected array, received undefined$/,
    );
    expect(agent.asked.map((a) => a.path)).toEqual(['/v1/lookup', '/v1/lookup', '/v1/lookup', '/v1/lookup']);
  });

  it('probe: a mistyped field, a missing one, a result of another kind than asked', async () => {
    const replies: unknown[] = [
      { ...ping, received: '1' },
      { ...ping, to: { ref: 'x', ip: 'web-3', pod: null } },
      { ...ping, kind: 'traceroute' },
    ];
    const agent = await fakeAgent(() => replies.shift());
    const deps = agentTraceDeps(
      () => agent.address,
      () => null,
    );
    const request = { kind: 'ping', from: { pod: 'default/web-1' }, to: '10.244.2.2' } as const;
    await expect(deps.probe('node1', request)).rejects.toThrow(
      /^the agent on node1 sent an invalid ping probe reply: received: Invalid input: expected number, received string$/,
    );
    await expect(deps.probe('node1', request)).rejects.toThrow(
      /^the agent on node1 sent an invalid ping probe reply: to\.ip: must be an IPv4 address, got "web-3"$/,
    );
    await expect(deps.probe('node1', request)).rejects.toThrow(
      /^the agent on node1 sent an invalid ping probe reply: kind: a ping result was asked for, got "traceroute"$/,
    );
  });

  it('in a trace: node2\'s checks are not verified, saying why, and the probe is "not run" with the field named', async () => {
    const bad = {
      kind: 'route',
      ok: true,
      error: null,
      command: [],
      durationMs: 1,
      route: {
        dst: '10.244.2.2',
        type: 'unicast',
        gateway: null,
        dev: 42,
        prefsrc: null,
        table: null,
        flags: [],
        raw: {},
      },
    };
    const node1 = await fakeAgent((path, body) =>
      path === '/v1/lookup'
        ? { results: (body as { lookups: Lookup[] }).lookups.map(goodLookup) }
        : { ...ping, received: 'all of them' },
    );
    const node2 = await fakeAgent((_path, body) => ({
      results: (body as { lookups: Lookup[] }).lookups.map((l) =>
        l.kind === 'route' ? bad : l.kind === 'neigh' ? { ...goodLookup(l), ok: 'yes' } : goodLookup(l),
      ),
    }));
    const agents: Record<string, string> = { node1: node1.address, node2: node2.address };
    const deps = agentTraceDeps(
      (n) => agents[n],
      () => null,
    );
    const t = await runTrace(labCluster(), { from: 'web-1', to: 'web-3', port: null, noProbe: false }, deps);
    const atNode2 = t.checks.filter((c) => c.node === 'node2');
    expect(atNode2.some((c) => c.late)).toBe(true); // the neighbour entries: a reply of their own, after the probe
    for (const c of atNode2) {
      expect(c.result).toBeNull();
      // node2 is asked several routes at once: the first problems are named, the rest counted
      if (!c.late)
        expect(c.error).toMatch(
          /^the agent on node2 sent an invalid lookup reply: results\[\d+\]\.route\.dev: Invalid input: expected string, received number(;|$)/,
        );
      else
        expect(c.error).toMatch(
          /^the agent on node2 sent an invalid lookup reply: results\[0\]\.ok: Invalid input: expected boolean, received string(;|$)/,
        );
    }
    expect(t.forward.find((h) => h.where.name === 'node2')!.kernel).toBe('not-verified');
    expect(t.notes.join('\n')).toMatch(
      /node2's lookups are not verified: the agent on node2 sent an invalid lookup reply: results\[\d+\]\.route\.dev: /,
    );
    expect(t.checks.filter((c) => c.node === 'node1').every((c) => c.error === null && c.result !== null)).toBe(true);
    expect(t.probe!.ping).toBeNull();
    expect(t.probe!.errors).toContain(
      'ping: the agent on node1 sent an invalid ping probe reply: received: Invalid input: expected number, received string',
    );
  });
});
