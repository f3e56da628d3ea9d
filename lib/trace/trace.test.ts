// The trace's pure parts on snapshot fixtures named after what they show: the expected
// path both ways, the verdicts, the diagnosis and its fix; then the kernel's answers and
// a probe applied, as the agents would send them.
import { describe, expect, it } from 'vitest';
import type { Lookup, LookupResult, TraceRequest, TraceResult } from '../model/trace';
import type { PingResult, ProbeRequest, ProbeResult } from '../model/probe';
import {
  crossNodeRouteMissing,
  heldMissingRoute,
  labCluster,
  node1ForwardingOff,
  node2AgentUnreachable,
  node2BridgeDown,
  node2ForwardDrop,
  node2SmallMtu,
  node2StaleLease,
  returnPathViaNode3,
  vethOf,
  web1VethDetached,
  web3IpMismatch,
  web3VethDown,
  withNode,
  wrongGateway,
} from '../../test/fixtures/trace-cluster';
import { diagnose } from './diagnose';
import { longestPrefixMatch } from './lpm';
import type { TraceInputs } from './inputs';
import { evaluateHops } from './judge';
import { planPath } from './path';
import { renderTraceMarkdown, renderTraceText } from './render';
import { resolveTrace, runTrace, TraceInputError, validateTraceRequest, type TraceDeps } from './run';

const req = (from: string, to: string, port: number | null = null): TraceRequest => ({
  from,
  to,
  port,
  noProbe: false,
});

/** The expected path, judged from the snapshots alone, and its diagnosis. */
function expectedTrace(inputs: TraceInputs, from: string, to: string) {
  const r = resolveTrace(inputs, req(from, to));
  const plan = planPath(r.ctx, r.from, r.toEnd, r.toPod);
  // The kernel's answers still pending: the path as the snapshots predict it.
  const forward = evaluateHops(plan.forward, plan.checks);
  const back = evaluateHops(plan.back, plan.checks);
  const v = diagnose({ ctx: r.ctx, from: r.from, dstIp: r.dstIp, toPod: r.toPod, forward, back, probe: null }, true);
  return { forward, back, plan, ...v };
}

const where = (hops: { where: { name: string } }[]) => hops.map((h) => h.where.name);

describe('the expected path', () => {
  it('same node: the pod, its node bridging to the other pod, the other pod — no routing', () => {
    const t = expectedTrace(labCluster(), 'web-1', 'web-2');
    expect(where(t.forward)).toEqual(['default/web-1', 'node1', 'default/web-2']);
    expect(t.forward[0]!.rule).toMatchObject({ kind: 'route', dst: '10.244.1.0/24', gateway: null, dev: 'eth0' });
    expect(t.forward[1]).toMatchObject({
      routed: false,
      in: { name: vethOf('web-1') },
      out: { name: vethOf('web-2') },
      bridge: { name: 'v-net-0', state: 'up' },
    });
    expect(t.forward.map((h) => h.verdict)).toEqual(['forwarded', 'forwarded', 'delivered']);
    expect(where(t.back)).toEqual(['default/web-2', 'node1', 'default/web-1']);
    expect(t.status).toBe('ok');
    expect(t.diagnoses).toEqual([]);
  });

  it("cross-node host-gw: pod, node1 routes via node2 (podnet's route), the LAN, node2, pod — and back", () => {
    const t = expectedTrace(labCluster(), 'web-1', 'web-3');
    expect(where(t.forward)).toEqual(['default/web-1', 'node1', 'LAN', 'node2', 'default/web-3']);
    expect(t.forward[0]!.rule).toMatchObject({ dst: 'default', gateway: '10.244.1.1' });
    expect(t.forward[1]!.rule).toMatchObject({
      kind: 'route',
      dst: '10.244.2.0/24',
      gateway: '192.168.1.12',
      dev: 'eth0',
      ownedByPodnet: true,
    });
    expect(t.forward[1]).toMatchObject({
      routed: true,
      inL3: 'v-net-0',
      settings: { ipForward: true },
      firewall: { verdict: 'accept', masquerade: false },
    });
    expect(t.forward[2]!.rule).toEqual({ kind: 'lan', to: '192.168.1.12', host: 'node2' });
    expect(t.forward[3]).toMatchObject({
      in: { name: 'eth0' },
      out: { name: vethOf('web-3') },
      rule: { dst: '10.244.2.0/24', dev: 'v-net-0' },
    });
    expect(t.forward[1]!.elements).toEqual(
      expect.arrayContaining([
        'node:node1',
        'veth:default/web-1',
        'bridge:node1',
        'uplink:node1',
        'route:node1 10.244.2.0/24',
      ]),
    );
    expect(where(t.back)).toEqual(['default/web-3', 'node2', 'LAN', 'node1', 'default/web-1']);
    expect(t.back[1]!.rule).toMatchObject({ dst: '10.244.1.0/24', gateway: '192.168.1.11' });
    expect(t.status).toBe('ok');
  });

  it('cross-node via the router: the router hop comes from the intended table and is not verified', () => {
    const t = expectedTrace(labCluster('router'), 'web-1', 'web-5');
    expect(where(t.forward)).toEqual([
      'default/web-1',
      'node1',
      'LAN',
      'router 192.168.1.1',
      'LAN',
      'node3',
      'default/web-5',
    ]);
    expect(t.forward[1]!.rule).toMatchObject({ dst: 'default', gateway: '192.168.1.1' });
    expect(t.forward[3]).toMatchObject({
      role: 'router',
      kernel: 'not-verified',
      verdict: 'forwarded',
      rule: { dst: '10.244.3.0/24', gateway: '192.168.1.13', table: 'intended' },
    });
    expect(t.forward[3]!.elements).toContain('router');
    expect(t.plan.checks.some((c) => c.hop === t.forward[3]!.id)).toBe(false);
  });

  it('to the outside host: the node masquerades, the reply comes back to the node and is handed to the pod', () => {
    const t = expectedTrace(labCluster(), 'web-1', '192.168.1.200');
    expect(where(t.forward)).toEqual(['default/web-1', 'node1', 'LAN', '192.168.1.200']);
    expect(t.forward[1]!.firewall).toMatchObject({ masquerade: true });
    expect(t.forward[3]).toMatchObject({ verdict: 'delivered', kernel: 'not-verified' });
    expect(where(t.back)).toEqual(['192.168.1.200', 'LAN', 'node1', 'default/web-1']);
    expect(t.back[1]!.rule).toMatchObject({ kind: 'lan', to: '192.168.1.11', host: 'node1' });
    expect(t.notes.join(' ') + t.plan.notes.join(' ')).toMatch(/masquerades the packet as 192\.168\.1\.11/);
  });

  it("the return path can differ: node2 answers node1's pods via node3", () => {
    const t = expectedTrace(returnPathViaNode3(), 'web-1', 'web-3');
    expect(where(t.forward)).toEqual(['default/web-1', 'node1', 'LAN', 'node2', 'default/web-3']);
    expect(where(t.back)).toEqual(['default/web-3', 'node2', 'LAN', 'node3', 'LAN', 'node1', 'default/web-1']);
    // A detour that works is worth saying, not a break.
    expect(t.diagnoses).toEqual([
      expect.objectContaining({ kind: 'route-wrong-gateway', severity: 'warning', hop: t.back[1]!.id }),
    ]);
    expect(t.status).toBe('ok');
  });
});

describe('each fault, found and explained from the snapshots', () => {
  const cases: [string, () => TraceInputs, string, string, Record<string, unknown>, string | null][] = [
    [
      "a node without a route to another node's pods",
      crossNodeRouteMissing,
      'web-3',
      'node1',
      {
        kind: 'route-missing',
        cause: 'node1 has no route to 10.244.2.2',
        elements: ['node:node1', 'route:node1 10.244.2.0/24'],
      },
      'ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151',
    ],
    [
      'a route with the wrong gateway',
      wrongGateway,
      'web-3',
      'node1',
      { kind: 'route-wrong-gateway', cause: expect.stringContaining('192.168.1.99, which nobody answers for') },
      'ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151',
    ],
    ['a bridge that is down', node2BridgeDown, 'web-3', 'node2', { kind: 'bridge-down' }, 'ip link set v-net-0 up'],
    [
      'a veth that is down',
      web3VethDown,
      'web-3',
      'node2',
      { kind: 'veth-down', cause: expect.stringContaining('default/web-3'), elements: ['veth:default/web-3'] },
      `ip link set ${vethOf('web-3')} up`,
    ],
    [
      'a veth not on the bridge',
      web1VethDetached,
      'web-3',
      'node1',
      { kind: 'veth-detached', actual: 'no master' },
      `ip link set ${vethOf('web-1')} master v-net-0`,
    ],
    [
      'forwarding off',
      node1ForwardingOff,
      'web-3',
      'node1',
      { kind: 'forwarding-off' },
      'sysctl -w net.ipv4.ip_forward=1',
    ],
    [
      'the FORWARD policy dropping pod traffic',
      node2ForwardDrop,
      'web-3',
      'node2',
      { kind: 'forward-drop' },
      'iptables -I FORWARD -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT && iptables -I FORWARD -d 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
    ],
    [
      'a smaller MTU on one side',
      node2SmallMtu,
      'web-3',
      'LAN',
      { kind: 'mtu-mismatch', actual: 'node2: 1000' },
      'ip link set eth0 mtu 1500',
    ],
    [
      'a destination no pod holds (a stale lease)',
      node2StaleLease,
      '10.244.2.200',
      'node2',
      { kind: 'no-pod-for-ip', cause: expect.stringContaining('stale lease') },
      'rm -- /run/podnet/nodes/node2/ipam/podnet/10.244.2.200',
    ],
  ];
  for (const [what, fixture, to, hopWhere, diag, fixText] of cases) {
    it(what, () => {
      const t = expectedTrace(fixture(), 'web-1', to);
      expect(t.status).toBe('broken');
      const first = t.diagnoses[0]!;
      expect(first).toMatchObject({ severity: 'broken', ...diag });
      const hop = [...t.forward, ...t.back].find((h) => h.id === first.hop)!;
      expect(hop.where.name).toBe(hopWhere);
      expect(first.fix?.text ?? null).toBe(fixText);
      if (first.fix) expect(first.fix.node).toBeTruthy();
      // What the graph draws red: elements the hop crosses (or the route it lacks), never nothing.
      expect(first.elements.length).toBeGreaterThan(0);
    });
  }

  it("a wrong gateway nobody answers for is named as the route's fault once the neighbour has failed", () => {
    const inputs = wrongGateway();
    const r = resolveTrace(inputs, req('web-1', 'web-3'));
    const plan = planPath(r.ctx, r.from, r.toEnd, r.toPod);
    const neigh = plan.checks.find((c) => c.hop === 'f2' && c.role === 'neigh')!;
    neigh.result = {
      kind: 'neigh',
      ok: true,
      error: null,
      command: [],
      durationMs: 1,
      neigh: { address: '192.168.1.99', dev: 'eth0', state: ['FAILED'], mac: null },
    };
    const forward = evaluateHops(plan.forward, plan.checks);
    const v = diagnose(
      {
        ctx: r.ctx,
        from: r.from,
        dstIp: r.dstIp,
        toPod: r.toPod,
        forward,
        back: evaluateHops(plan.back, plan.checks),
        probe: null,
      },
      true,
    );
    expect(v.diagnoses[0]).toMatchObject({
      kind: 'route-wrong-gateway',
      hop: 'f2',
      severity: 'broken',
      actual: '10.244.2.0/24 via 192.168.1.99 dev eth0 proto boot',
    });
    expect(v.diagnoses[0]!.fix!.commands).toEqual([
      ['ip', 'route', 'replace', '10.244.2.0/24', 'via', '192.168.1.12', 'dev', 'eth0', 'proto', '151'],
    ]);
  });

  it('strict rp_filter on a node whose way back leaves by another interface', () => {
    // node2 would answer node1's pods out of eth1: with rp_filter=1 a packet from them on eth0 is dropped.
    const inputs = withNode(labCluster(), 'node2', (s) => ({
      ...s,
      routes: s.routes.map((r) => (r.dst === '10.244.1.0/24' ? { ...r, gateway: null, dev: 'eth1' } : r)),
    }));
    const r = resolveTrace(inputs, req('web-1', 'web-3'));
    const plan = planPath(r.ctx, r.from, r.toEnd, r.toPod);
    const sysctl = plan.checks.find((c) => c.hop === 'f4' && c.role === 'sysctl')!;
    expect(sysctl.lookup).toEqual({ kind: 'sysctl', at: { node: true }, dev: 'eth0' });
    sysctl.result = {
      kind: 'sysctl',
      ok: true,
      error: null,
      command: [],
      durationMs: 1,
      sysctl: { ipForward: true, rpFilter: { all: 1, dev: 0 } },
    };
    const forward = evaluateHops(plan.forward, plan.checks);
    expect(forward[3]).toMatchObject({ verdict: 'dropped', problem: 'rp-filter', settings: { rpFilter: 1 } });
    const v = diagnose(
      {
        ctx: r.ctx,
        from: r.from,
        dstIp: r.dstIp,
        toPod: r.toPod,
        forward,
        back: evaluateHops(plan.back, plan.checks),
        probe: null,
      },
      true,
    );
    expect(v.diagnoses[0]).toMatchObject({
      kind: 'rp-filter',
      fix: {
        node: 'node2',
        commands: [['sysctl', '-w', 'net.ipv4.conf.all.rp_filter=2', 'net.ipv4.conf.eth0.rp_filter=2']],
      },
    });
  });

  it('a pod whose IP the API and its node disagree on', () => {
    const t = expectedTrace(web3IpMismatch(), 'web-1', 'web-3');
    expect(t.diagnoses[0]).toMatchObject({ kind: 'pod-ip-mismatch', severity: 'broken', actual: '10.244.2.2' });
    expect(t.diagnoses[0]!.cause).toContain('10.244.2.9');
    // The trace goes where clients send: the API's address, which no pod holds.
    expect(t.forward.find((h) => h.where.name === 'node2')).toMatchObject({
      verdict: 'dropped',
      problem: 'no-pod-for-ip',
    });
  });

  it('a node whose agent does not answer: unknown beyond here, not dropped', () => {
    const t = expectedTrace(node2AgentUnreachable(), 'web-1', 'web-3');
    const node2 = t.forward.find((h) => h.where.name === 'node2')!;
    expect(node2).toMatchObject({ verdict: 'unknown', kernel: 'not-verified', agentLive: false });
    expect(node2.reason).toContain('ECONNREFUSED');
    expect(t.forward.some((h) => h.verdict === 'dropped')).toBe(false);
    expect(t.status).toBe('unknown');
    expect(t.diagnoses[0]).toMatchObject({ kind: 'agent-unreachable', severity: 'unknown' });
  });

  it('a fault the lab holds is named as held', () => {
    const t = expectedTrace({ ...crossNodeRouteMissing(), faults: [heldMissingRoute] }, 'web-1', 'web-3');
    expect(t.diagnoses[0]!.heldFault).toContain('missing-route on node1');
  });
});

/** Agents answering from a table of lookups, and a probe with a given outcome. */
function fakeAgents(
  answer: (node: string, l: Lookup) => Partial<LookupResult>,
  probe: (r: ProbeRequest) => Partial<ProbeResult>,
): TraceDeps & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async lookup(node, lookups) {
      asked.push(...lookups.map((l) => `${node} ${l.kind}`));
      return lookups.map(
        (l) =>
          ({ kind: l.kind, ok: true, error: null, command: [], durationMs: 1, ...answer(node, l) }) as LookupResult,
      );
    },
    async probe(_node, r) {
      return {
        kind: r.kind,
        ok: true,
        error: null,
        hops: [],
        replies: [],
        icmpErrors: [],
        ...probe(r),
      } as unknown as ProbeResult;
    },
  };
}

/** A kernel that decides as the healthy cluster's snapshots say. */
const agreeing = (node: string, l: Lookup): Partial<LookupResult> => {
  const snap = labCluster().agents.get(node)!.snapshot!;
  if (l.kind === 'link') {
    const x = snap.links.find((k) => k.name === l.dev);
    return x
      ? { link: { name: x.name, up: x.up, operState: x.operState, mtu: x.mtu, master: x.master } }
      : { ok: false, error: `no link ${l.dev}`, link: null };
  }
  if (l.kind === 'sysctl') return { sysctl: { ipForward: true, rpFilter: { all: 0, dev: 0 } } };
  if (l.kind === 'firewall') return { firewall: snap.node.firewall };
  if (l.kind === 'neigh') return { neigh: null };
  const route = (type: string, gateway: string | null, dev: string) => ({
    route: { dst: l.dst, type, gateway, dev, prefsrc: null, table: null, flags: [], raw: {} },
  });
  const i = Number(node.slice(4));
  if ('pod' in l.at) {
    if (l.iif) return route('local', null, 'lo');
    return l.dst.startsWith(`10.244.${i}.`)
      ? route('unicast', null, 'eth0')
      : route('unicast', `10.244.${i}.1`, 'eth0');
  }
  const r = longestPrefixMatch(snap.routes, l.dst)!;
  return route('unicast', r.gateway, r.dev!);
};

describe("the kernel's answers and the probe", () => {
  it('a route lookup that differs from the snapshot marks the hop "disagrees" and says what the kernel said', async () => {
    const updates: TraceResult[] = [];
    const deps = fakeAgents(
      (node, l) => {
        if (l.kind === 'route' && node === 'node1' && 'node' in l.at)
          return { ok: false, error: 'No route to host', route: null };
        if (l.kind === 'link')
          return {
            link: {
              name: l.dev,
              up: true,
              operState: 'UP',
              mtu: 1500,
              master: l.dev.startsWith('veth') ? 'v-net-0' : null,
            },
          };
        if (l.kind === 'sysctl') return { sysctl: { ipForward: true, rpFilter: { all: 0, dev: 0 } } };
        if (l.kind === 'firewall')
          return {
            firewall: {
              forwardPolicy: 'accept',
              table: true,
              masquerade: true,
              forwardAccepts: true,
              inputRestricted: true,
            },
          };
        return agreeing(node, l);
      },
      () => ({ ok: false, received: 0, sent: 3, error: 'no reply' }) as Partial<PingResult>,
    );
    const result = await runTrace(labCluster(), req('web-1', 'web-3'), deps, (r) => updates.push(r));
    const node1 = result.forward[1]!;
    expect(node1.kernel).toBe('disagrees');
    expect(node1.kernelSays).toContain('No route to host');
    expect(node1.verdict).toBe('dropped');
    expect(result.status).toBe('broken');
    // Progress: the path first (nothing answered), then the kernel, then the probe.
    expect(updates[0]!.phase).toBe('path');
    expect(updates[0]!.checks.every((c) => c.result === null)).toBe(true);
    expect(updates.at(-1)!.phase).toBe('done');
    expect(deps.asked).toContain('node2 route');
  });

  it('a large ping that fails while small ones pass is an MTU problem even when no snapshot shows it', async () => {
    const deps = fakeAgents(
      agreeing,
      (r) =>
        (r.kind === 'ping' && r.size
          ? { ok: false, received: 0, sent: 1, error: 'no reply' }
          : { ok: true, received: 3, sent: 3 }) as Partial<PingResult>,
    );
    const result = await runTrace(labCluster(), req('web-1', 'web-3'), deps);
    expect(result.probe?.settings.largeSize).toBe(1472);
    expect(result.diagnoses[0]).toMatchObject({ kind: 'mtu-mismatch', severity: 'broken' });
    expect(result.status).toBe('broken');
  });

  it('a refused TCP connection counts as reachable', async () => {
    const deps = fakeAgents(
      agreeing,
      (r) =>
        (r.kind === 'tcp'
          ? { ok: true, connected: false, refused: true, port: 8080 }
          : { ok: false, received: 0, sent: 3 }) as Partial<ProbeResult>,
    );
    const result = await runTrace(labCluster(), req('web-1', 'web-3', 8080), deps);
    expect(result.probe?.reachable).toBe(true);
    expect(result.status).toBe('ok');
  });

  it('read-only: no probe is sent, and the result says so', async () => {
    const deps = fakeAgents(agreeing, () => {
      throw new Error('a probe was sent in read-only mode');
    });
    const result = await runTrace(labCluster(), { ...req('web-1', 'web-3'), noProbe: true }, deps);
    expect(result.probe).toBeNull();
    expect(result.notes.join(' ')).toContain('no packets sent');
  });

  it('renders as a table and as Markdown with the fix', () => {
    const t = expectedTrace(crossNodeRouteMissing(), 'web-1', 'web-3');
    const result = {
      request: req('web-1', 'web-3'),
      startedAt: '2026-12-01T00:00:00.000Z',
      phase: 'done',
      status: t.status,
      summary: t.summary,
      from: { ref: 'web-1', kind: 'pod', pod: 'default/web-1', ip: '10.244.1.2', node: 'node1', netns: null },
      to: { ref: 'web-3', kind: 'pod', pod: 'default/web-3', ip: '10.244.2.2', node: 'node2', netns: null },
      routing: 'host-gw',
      forward: t.forward,
      back: t.back,
      checks: [],
      probe: null,
      diagnoses: t.diagnoses,
      notes: [],
      timings: { pathMs: 1, kernelMs: null, probeMs: null, totalMs: null },
    } satisfies TraceResult;
    const text = renderTraceText(result);
    expect(text).toMatch(/^ {2}2 +node1 .* no route .* dropped$/m);
    expect(text).toContain('BROKEN at hop 2 (node1): node1 has no route to 10.244.2.2');
    expect(text).toContain('fix (on node1): ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151');
    const md = renderTraceMarkdown(result, 'http://127.0.0.1:3000/?trace=default/web-1,default/web-3');
    expect(md).toContain('| 2 | node1 |');
    expect(md).toContain('`ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151`');
  });
});

describe('bad input is refused before anything is asked', () => {
  for (const [from, to, port, message] of [
    ['web-1\nx', 'web-3', undefined, /FROM/],
    ['web-1', 'web-3; rm -rf /', undefined, /neither an IPv4 address nor a pod/],
    ['web-1', '10.244.1.300', undefined, /not an IPv4 address/],
    ['web-1', '224.0.0.1', undefined, /multicast/],
    ['web-1', 'web-3', '0', /--port/],
    ['web-1', 'web-3', '99999', /--port/],
    ['web-1', 'fe80::1', undefined, /IPv6/],
  ] as const) {
    it(`${JSON.stringify(from)} → ${JSON.stringify(to)}${port ? ` --port ${port}` : ''}`, () => {
      expect(() => validateTraceRequest({ from, to, port })).toThrow(message);
    });
  }

  it('an unknown pod, and a trace to itself', () => {
    expect(() => resolveTrace(labCluster(), req('web-9', 'web-3'))).toThrow(TraceInputError);
    expect(() => resolveTrace(labCluster(), req('web-1', 'web-1'))).toThrow(/same pod/);
  });
});
