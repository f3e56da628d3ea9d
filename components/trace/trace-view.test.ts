import { describe, expect, it } from 'vitest';
import { forwardDropOnNode1, healthyCrossNode, pathOnly, routeMissingOnNode1, vethDownOnWeb3 } from './fixtures';
import {
  beyondBreak,
  breakHop,
  causeElements,
  diagnosesByHop,
  highlightOf,
  pingWords,
  probeSettingsText,
  traceProgress,
} from './trace-view';

describe('highlightOf', () => {
  it('a healthy trace: every element of both directions on the path, nothing failed, the LAN unverified', () => {
    const h = highlightOf(healthyCrossNode);
    expect(h.path).toEqual(
      expect.arrayContaining([
        'pod:default/web-1',
        'route:node1 10.244.2.0/24',
        'lan',
        'route:node2 10.244.1.0/24',
        'pod:default/web-3',
      ]),
    );
    expect(new Set(h.path).size).toBe(h.path.length);
    expect(h.failed).toEqual([]);
    expect(h.unverified).toEqual(['lan', 'uplink:node1', 'uplink:node2']);
  });

  it('a missing route: the node without it and the route it lacks are red, not the veth the packet came in by', () => {
    expect(highlightOf(routeMissingOnNode1).failed).toEqual(['node:node1', 'route:node1 10.244.2.0/24']);
  });

  it('a veth down: the veth of the pod the cause names is red', () => {
    expect(highlightOf(vethDownOnWeb3).failed).toEqual(['veth:default/web-3']);
  });

  it('a firewall drop: the node is red, not the route it would have taken', () => {
    expect(highlightOf(forwardDropOnNode1).failed).toEqual(['node:node1']);
  });

  it('no diagnosis names a hop: every dropped hop is red', () => {
    const r = { ...vethDownOnWeb3, diagnoses: [] };
    expect(highlightOf(r).failed).toEqual(
      expect.arrayContaining(['node:node2', 'veth:default/web-3', 'route:node2 10.244.1.0/24']),
    );
  });

  it('an unverified element that is where it breaks is red, not dashed', () => {
    const r = {
      ...healthyCrossNode,
      diagnoses: [{ ...vethDownOnWeb3.diagnoses[0]!, kind: 'no-host' as const, hop: 'f3', elements: [] }],
    };
    const h = highlightOf(r);
    expect(h.failed).toEqual(['lan', 'uplink:node1', 'uplink:node2']);
    expect(h.unverified).toEqual([]);
  });
});

describe('causeElements', () => {
  it('is what the diagnosis names, else the whole hop', () => {
    const hop = vethDownOnWeb3.forward[3]!;
    expect(causeElements(hop, vethDownOnWeb3.diagnoses[0]!)).toEqual(['veth:default/web-3']);
    expect(causeElements(hop, { ...vethDownOnWeb3.diagnoses[0]!, elements: [] })).toEqual(hop.elements);
    expect(causeElements(hop, null)).toEqual(hop.elements);
  });
});

describe('the break and what lies beyond it', () => {
  it('breakHop is the hop the first diagnosis names, else the first dropped hop', () => {
    expect(breakHop(vethDownOnWeb3)?.id).toBe('f4');
    expect(breakHop({ ...vethDownOnWeb3, diagnoses: [] })?.id).toBe('f4');
    expect(breakHop(healthyCrossNode)).toBeNull();
  });

  it('beyondBreak: the hops after a drop in the same direction', () => {
    expect([...beyondBreak(vethDownOnWeb3.forward)]).toEqual(['f5']);
    expect([...beyondBreak(vethDownOnWeb3.back)]).toEqual(['b3', 'b4', 'b5']);
    expect(beyondBreak(healthyCrossNode.forward).size).toBe(0);
  });

  it('diagnosesByHop files a diagnosis under its hop, and one of no hop under null', () => {
    const loose = { ...vethDownOnWeb3.diagnoses[0]!, hop: null, kind: 'pod-ip-mismatch' as const };
    const m = diagnosesByHop({ ...vethDownOnWeb3, diagnoses: [vethDownOnWeb3.diagnoses[0]!, loose] });
    expect(m.get('f4')).toHaveLength(1);
    expect(m.get(null)).toEqual([loose]);
  });
});

describe('progress and probe words', () => {
  it('the first update: no kernel answer yet, every probe part waiting', () => {
    const p = traceProgress({
      ...pathOnly,
      checks: [
        { result: null, error: null },
        { result: null, error: null },
      ] as never,
    });
    expect(p).toMatchObject({ checksDone: 0, checksTotal: 2, done: false });
    expect(p.probe).toEqual([
      { name: 'ping', state: 'waiting' },
      { name: 'large ping', state: 'waiting' },
      { name: 'traceroute', state: 'waiting' },
    ]);
  });

  it('a part the agent refused is not waited for; at the end a part that never came is "off"', () => {
    const refused = {
      ...pathOnly,
      phase: 'kernel' as const,
      probe: { ...pathOnly.probe!, errors: ['traceroute: the agent refused: 429'] },
    };
    expect(traceProgress(refused).probe.find((x) => x.name === 'traceroute')?.state).toBe('off');
    expect(traceProgress(healthyCrossNode).probe.every((x) => x.state === 'off')).toBe(true);
  });

  it('read-only: no probe parts at all', () => {
    expect(traceProgress({ ...healthyCrossNode, probe: null }).probe).toEqual([]);
  });

  it('states the probe settings', () => {
    expect(probeSettingsText({ count: 3, intervalMs: 200, timeoutMs: 2000, largeSize: 1472, port: 8080 })).toBe(
      "3 pings every 200 ms, 1 ping of 1500 bytes with DF (don't fragment), a traceroute, a TCP connection to port 8080; each within 2000 ms",
    );
  });

  it('ping in words: replies, loss, rtt, and the ICMP error that came instead', () => {
    const base = {
      ok: true,
      error: null,
      sent: 3,
      received: 3,
      lossPct: 0,
      rttMs: { min: 0.1, avg: 0.2, max: 0.3, mdev: 0 },
      icmpErrors: [],
    };
    expect(pingWords(base as never)).toBe('3/3 replies, 0% loss, rtt min/avg/max 0.1/0.2/0.3 ms');
    expect(
      pingWords({
        ...base,
        ok: false,
        received: 0,
        lossPct: 100,
        rttMs: null,
        icmpErrors: [{ seq: 1, from: '10.244.1.1', message: 'Destination Net Unreachable' }],
      } as never),
    ).toBe('0/3 replies, 100% loss — Destination Net Unreachable (from 10.244.1.1)');
  });
});
