import { describe, expect, it } from 'vitest';
import { parsePingOutput, parseRouteGetOutput, parseTracerouteOutput } from './probe-parse.js';

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
    const killed = parsePingOutput(
      'PING 10.9.9.2 (10.9.9.2) 56(84) bytes of data.\nno answer yet for icmp_seq=1\nno answer yet for icmp_seq=2\n',
    );
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

  it("route get: the kernel's answer, unicast when ip leaves the type out", () => {
    const r = parseRouteGetOutput(
      '[{"dst":"10.244.2.2","gateway":"10.244.1.1","dev":"eth0","prefsrc":"10.244.1.2","flags":[],"uid":0,"cache":[]}]\n',
    );
    expect(r).toMatchObject({
      dst: '10.244.2.2',
      type: 'unicast',
      gateway: '10.244.1.1',
      dev: 'eth0',
      prefsrc: '10.244.1.2',
      table: null,
      flags: [],
    });
    expect(
      parseRouteGetOutput(
        '[{"type":"local","dst":"127.0.0.1","dev":"lo","prefsrc":"127.0.0.1","flags":[],"uid":0,"cache":["local"]}]',
      ),
    ).toMatchObject({ type: 'local', gateway: null, dev: 'lo' });
    for (const bad of ['', 'RTNETLINK answers: Network is unreachable', '[]', '{}', '[1]'])
      expect(parseRouteGetOutput(bad)).toBeNull();
  });
});
