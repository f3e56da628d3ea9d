// The agent's probes on a real lab of this test's own: ping, traceroute and route get
// from pods and from a node, a node that stops forwarding, a deadline that kills, the
// concurrency cap, and hostile requests that never reach a process.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInventory, type LabInventory } from '../lab/inventory.js';
import { labDown, labUp } from '../lab/lab.js';
import { labPaths } from '../lab/paths.js';
import { parsePodRef } from '../lib/model/lab.js';
import type { PingResult, RouteGetResult, TracerouteResult } from '../lib/model/probe.js';
import { ProbeError, createProber, probeResponse, type Prober, type ProberOptions } from './probe.js';

const quiet = () => {};
const labNamespaces = (prefix: string) =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix));
/** Processes whose command line mentions this lab's namespaces: the probes must leave none. */
const labProcesses = (prefix: string) =>
  spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes(`/run/netns/${prefix}`));

describe('probes on a lab', () => {
  const p = labPaths(`t${randomBytes(3).toString('hex')}`);
  let lab: LabInventory;
  const probers: Prober[] = [];

  const resolvePod: ProberOptions['resolvePod'] = (ref) => {
    const { namespace, name } = parsePodRef(ref);
    const pod = lab.pods.find((x) => x.namespace === namespace && x.name === name);
    return pod ? { netns: `/run/netns/${pod.netns}`, ip: pod.ip } : null;
  };
  /** node1's agent: its own namespace is node1's. */
  const proberFor = (opts: Partial<ProberOptions> = {}) => {
    const prober = createProber({ resolvePod, nodeNetns: `/run/netns/${lab.nodes[0]!.netns}`, ...opts });
    probers.push(prober);
    return prober;
  };
  const pod = (name: string) => lab.pods.find((x) => x.name === name)!;

  beforeAll(async () => {
    lab = (await labUp(p, { nodes: 3, podsPerNode: 2, routing: 'host-gw' }, quiet)).inventory;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(probers.map((x) => x.close()));
    await labDown(p); // also when a test failed half-way
    expect(labNamespaces(p.prefix)).toEqual([]);
    expect(labProcesses(p.prefix)).toEqual([]);
  });

  it('ping from web-1 to web-4 on another node: every reply comes back', async () => {
    const prober = proberFor();
    const r = (await prober.run({ kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', count: 3 })) as PingResult;
    expect(r).toMatchObject({
      kind: 'ping',
      ok: true,
      timedOut: false,
      sent: 3,
      received: 3,
      lossPct: 0,
      error: null,
      exitCode: 0,
      to: { ref: 'web-4', ip: '10.244.2.3', pod: 'web-4' },
    });
    expect(r.command.slice(0, 4)).toEqual(['nsenter', `--net=/run/netns/${pod('web-1').netns}`, '--', 'ping']);
    expect(r.command.at(-1)).toBe('10.244.2.3');
    expect(r.replies.map((x) => [x.seq, x.from, x.ttl])).toEqual([
      [1, '10.244.2.3', 62],
      [2, '10.244.2.3', 62],
      [3, '10.244.2.3', 62],
    ]);
    expect(r.rttMs!.min).toBeGreaterThan(0);
    expect(r.rttMs!.max).toBeGreaterThanOrEqual(r.rttMs!.avg);
    expect(r.raw[0]).toMatch(/^PING 10.244.2.3/);
    const viaServer = await probeResponse(prober, { kind: 'route-get', from: { pod: 'web-1' }, to: 'web-4' });
    expect(viaServer).toMatchObject({ status: 200, body: { ok: true, route: { gateway: '10.244.1.1' } } });
    expect(prober.stats().runs.ping.outcomes).toEqual({ ok: 1, failed: 0, timeout: 0 });
    expect(prober.stats().runs['route-get'].outcomes.ok).toBe(1);
    expect(prober.stats().runs.ping.durationMs.count).toBe(1);
  });

  it('ping fails, with nothing received, when node2 stops forwarding', async () => {
    const prober = proberFor();
    const node2 = lab.nodes[1]!;
    const sysctl = (v: string) =>
      spawnSync('nsenter', [`--net=/run/netns/${node2.netns}`, '--', 'sysctl', '-qw', `net.ipv4.ip_forward=${v}`]);
    sysctl('0');
    try {
      const r = (await prober.run({
        kind: 'ping',
        from: { pod: 'web-1' },
        to: 'web-3',
        count: 2,
        timeoutMs: 2000,
      })) as PingResult;
      expect(r).toMatchObject({
        ok: false,
        received: 0,
        sent: 2,
        lossPct: 100,
        replies: [],
        error: 'no reply: 2 sent, 0 received',
      });
      expect(prober.stats().runs.ping.outcomes.failed).toBe(1);
    } finally {
      sysctl('1');
    }
    expect((await prober.run({ kind: 'ping', from: { pod: 'web-1' }, to: 'web-3', count: 1 })).ok).toBe(true);
  });

  it("traceroute from web-1 to web-3's address: its gateway, node2, then the pod", async () => {
    const r = (await proberFor().run({
      kind: 'traceroute',
      from: { pod: 'web-1' },
      to: pod('web-3').ip!,
    })) as TracerouteResult;
    expect(r.hops.map((h) => h.address)).toEqual(['10.244.1.1', '192.168.1.12', '10.244.2.2']);
    expect(r.hops.map((h) => h.ttl)).toEqual([1, 2, 3]);
    expect(r.hops.every((h) => h.rttMs !== null && h.rttMs >= 0)).toBe(true);
    expect(r).toMatchObject({
      ok: true,
      reached: true,
      timedOut: false,
      maxHops: 15,
      to: { ref: '10.244.2.2', ip: '10.244.2.2', pod: null },
    });
    expect(r.command).toEqual(expect.arrayContaining(['traceroute', '-n', '-q', '1', '-m', '15', '10.244.2.2']));
  });

  it('route get: from web-1 via its gateway; from node1 via node2', async () => {
    const prober = proberFor();
    const fromPod = (await prober.run({ kind: 'route-get', from: { pod: 'web-1' }, to: 'web-3' })) as RouteGetResult;
    expect(fromPod).toMatchObject({
      ok: true,
      route: { dst: '10.244.2.2', gateway: '10.244.1.1', dev: 'eth0', prefsrc: '10.244.1.2', type: 'unicast' },
    });
    const fromNode = (await prober.run({ kind: 'route-get', from: { node: true }, to: 'web-3' })) as RouteGetResult;
    expect(fromNode).toMatchObject({
      ok: true,
      route: { dst: '10.244.2.2', gateway: '192.168.1.12', dev: 'eth0', prefsrc: '192.168.1.11' },
    });
    expect(fromNode.command).toEqual([
      'nsenter',
      `--net=/run/netns/${lab.nodes[0]!.netns}`,
      '--',
      'ip',
      '-j',
      'route',
      'get',
      '10.244.2.2',
    ]);
    // Its own address is local; an address nothing routes to is the kernel's own "unreachable", not ok.
    const self = (await prober.run({ kind: 'route-get', from: { pod: 'web-1' }, to: '10.244.1.2' })) as RouteGetResult;
    expect(self.route).toMatchObject({ type: 'local', dev: 'lo' });
    const unreachable = (await prober.run({
      kind: 'route-get',
      from: { node: true },
      to: '10.99.0.1',
    })) as RouteGetResult;
    expect(unreachable).toMatchObject({
      ok: false,
      route: null,
      error: expect.stringMatching(/Network is unreachable/),
    });
  });

  it('a probe whose deadline passes is killed and reported as timed out', async () => {
    const prober = proberFor();
    const started = performance.now();
    const r = (await prober.run({
      kind: 'ping',
      from: { pod: 'web-1' },
      to: 'web-4',
      count: 10,
      timeoutMs: 600,
    })) as PingResult;
    const took = performance.now() - started;
    expect(r).toMatchObject({ ok: false, timedOut: true, signal: 'SIGKILL', error: 'timed out after 600 ms: killed' });
    expect(r.durationMs).toBeGreaterThanOrEqual(590);
    expect(took).toBeLessThan(1_600); // ten pings 200 ms apart would take 1.8 s
    expect(r.received).toBeGreaterThanOrEqual(1); // what it printed before it died is kept
    expect(r.sent).toBeGreaterThanOrEqual(r.received);
    expect(prober.stats().runs.ping.outcomes.timeout).toBe(1);
    expect(labProcesses(p.prefix)).toEqual([]);
  });

  it('beyond maxConcurrent running and maxQueue waiting, requests are refused as busy (429)', async () => {
    const prober = proberFor({ maxConcurrent: 2, maxQueue: 2 });
    const req = { kind: 'ping', from: { pod: 'web-1' }, to: 'web-5', count: 2, timeoutMs: 3000 };
    const settled = await Promise.allSettled(Array.from({ length: 7 }, () => prober.run(req)));
    const done = settled
      .filter((s) => s.status === 'fulfilled')
      .map((s) => (s as PromiseFulfilledResult<PingResult>).value);
    const refused = settled
      .filter((s) => s.status === 'rejected')
      .map((s) => (s as PromiseRejectedResult).reason as ProbeError);
    expect(done).toHaveLength(4);
    expect(done.every((r) => r.ok && r.received === 2)).toBe(true);
    expect(done.filter((r) => r.queuedMs > 100)).toHaveLength(2); // the two that waited for a slot
    expect(refused).toHaveLength(3);
    for (const e of refused) {
      expect(e).toBeInstanceOf(ProbeError);
      expect([e.code, e.status]).toEqual(['busy', 429]);
      expect(e.message).toMatch(/2 probes are running and 2 are waiting .*try again later/);
    }
    const s = prober.stats();
    expect([s.spawned, s.rejected.busy, s.inFlight, s.queued]).toEqual([4, 3, 0, 0]);
  });

  it('hostile or unresolvable requests never start a process', async () => {
    const prober = proberFor();
    const hostile: unknown[] = [
      { kind: 'ping', from: { pod: 'web-1' }, to: '; rm -rf /' },
      { kind: 'ping', from: { pod: 'web-1' }, to: '$(reboot)' },
      { kind: 'ping', from: { pod: 'web-1' }, to: '10.0.0.1 && id' },
      { kind: 'ping', from: { pod: 'web-1' }, to: '`id`' },
      { kind: 'ping', from: { pod: 'web-1' }, to: 'web-4\n-f' },
      { kind: 'ping', from: { pod: '../../proc/1/ns/net' }, to: 'web-4' },
      { kind: 'traceroute', from: { node: true }, to: '-F' },
      { kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', count: 100000 },
      { kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', timeoutMs: -1 },
      { kind: 'exec', from: { pod: 'web-1' }, to: 'web-4' },
      { kind: 'ping', from: { pod: 'web-1' }, to: '::1' },
      { kind: 'ping', from: { pod: 'web-1' }, to: 5 },
      'ping web-4',
    ];
    for (const body of hostile) {
      const e = await prober.run(body).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e, JSON.stringify(body)).toBeInstanceOf(ProbeError);
      expect([(e as ProbeError).code, (e as ProbeError).status]).toEqual(['invalid', 400]);
    }
    const unknown = [
      [
        { kind: 'ping', from: { pod: 'web-1' }, to: 'example.com' },
        'unknown-pod',
        404,
        'to: no pod default/example.com (hostnames are not resolved: give a pod or an IPv4 address)',
      ],
      [
        { kind: 'ping', from: { pod: 'team-a/nope' }, to: 'web-4' },
        'unknown-pod',
        404,
        'from.pod: no pod team-a/nope on this node',
      ],
    ] as const;
    for (const [body, code, status, message] of unknown) {
      await expect(prober.run(body)).rejects.toMatchObject({ code, status, message });
    }
    const gone = createProber({
      resolvePod: () => ({ netns: `/run/netns/${p.prefix}gone`, ip: '10.244.1.99' }),
      nodeNetns: null,
    });
    probers.push(gone);
    await expect(gone.run({ kind: 'ping', from: { pod: 'web-1' }, to: '10.244.1.3' })).rejects.toMatchObject({
      code: 'source-unavailable',
      status: 503,
    });
    const noIp = createProber({
      resolvePod: (ref) => (ref === 'web-4' ? { netns: '/run/netns/x', ip: null } : resolvePod(ref)),
      nodeNetns: null,
    });
    probers.push(noIp);
    await expect(noIp.run({ kind: 'ping', from: { pod: 'web-1' }, to: 'web-4' })).rejects.toMatchObject({
      code: 'pod-without-ip',
      status: 409,
    });

    // What the agent's server answers.
    expect(await probeResponse(prober, { kind: 'ping', from: { pod: 'web-1' }, to: '$(reboot)' })).toEqual({
      status: 400,
      body: {
        code: 'invalid',
        error:
          'to "$(reboot)" is neither an IPv4 address nor a pod: it contains "$"; give a pod (web-4, or NAMESPACE/NAME) or an IPv4 address (10.244.2.3)',
      },
    });
    expect(await probeResponse(prober, { kind: 'ping', from: { pod: 'web-9' }, to: 'web-4' })).toMatchObject({
      status: 404,
      body: { code: 'unknown-pod' },
    });

    const s = prober.stats();
    expect(s.spawned).toBe(0);
    expect(s.rejected).toMatchObject({ invalid: hostile.length + 1, 'unknown-pod': 3 });
    expect(Object.values(s.runs).every((k) => k.durationMs.count === 0)).toBe(true);
    expect(gone.stats().spawned + noIp.stats().spawned).toBe(0);
  });

  it('close() kills what runs and refuses what waits', async () => {
    const prober = createProber({ resolvePod, nodeNetns: null, maxConcurrent: 1, maxQueue: 1 });
    const running = prober.run({ kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', count: 10, timeoutMs: 10_000 });
    const waiting = prober.run({ kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', count: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    await prober.close();
    const r = (await running) as PingResult;
    expect(r.ok).toBe(false);
    expect(r.signal).toBe('SIGKILL');
    expect(r.error).toBe('killed: the prober was closed (the agent is shutting down)');
    expect(await waiting).toMatchObject({ code: 'closed', status: 503 });
    await expect(prober.run({ kind: 'route-get', from: { pod: 'web-1' }, to: 'web-4' })).rejects.toMatchObject({
      code: 'closed',
    });
    expect(labProcesses(p.prefix)).toEqual([]);
  });

  it('the lab is as the tests found it', () => {
    expect(readInventory(p)!.pods.map((x) => x.ip)).toEqual([
      '10.244.1.2',
      '10.244.1.3',
      '10.244.2.2',
      '10.244.2.3',
      '10.244.3.2',
      '10.244.3.3',
    ]);
  });
});
