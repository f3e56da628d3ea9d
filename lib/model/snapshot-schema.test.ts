import { describe, expect, it } from 'vitest';
import * as fixtures from '../../test/fixtures/snapshots';
import { diffSnapshots } from './diff';
import type { NodeSnapshot } from './snapshot';
import { parseChanges, parseNodeSnapshot } from './snapshot-schema';

const { healthyNode1 } = fixtures;
const snapshots = Object.entries(fixtures).filter(
  (e): e is [string, NodeSnapshot] => typeof e[1] === 'object' && e[1] !== null && 'node' in e[1],
);

describe('parseNodeSnapshot', () => {
  it('accepts every fixture snapshot as it is', () => {
    expect(snapshots.length).toBeGreaterThan(3);
    for (const [name, s] of snapshots) expect(parseNodeSnapshot(s), name).toEqual({ ok: true, value: s });
  });

  it('drops fields it does not know (a newer agent) and keeps the rest', () => {
    const r = parseNodeSnapshot({ ...healthyNode1, extra: 1, node: { ...healthyNode1.node, newFact: true } });
    expect(r).toEqual({ ok: true, value: healthyNode1 });
  });

  it('names the path and the value of what is wrong, and counts the rest', () => {
    const bad = {
      ...healthyNode1,
      node: { ...healthyNode1.node, podCIDR: '10.244.1.0/24\nip route flush' },
      links: [{ ...healthyNode1.links[0], mtu: '1500' }],
      routes: [{ ...healthyNode1.routes[0], gateway: 'router' }],
      pods: [{ ...healthyNode1.pods[0], ip: '10.244.1.300' }],
    };
    const r = parseNodeSnapshot(bad);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBe(
      'node.podCIDR: must be an IPv4 network such as 10.244.1.0/24, got "10.244.1.0/24\\nip route flush"; links[0].mtu: Invalid input: expected number, received string; routes[0].gateway: must be an IP address, got "router" (and 1 more problem)',
    );
    expect(parseNodeSnapshot({ ...healthyNode1, findings: undefined })).toEqual({
      ok: false,
      error: 'findings: Invalid input: expected array, received undefined',
    });
  });
});

describe('parseChanges', () => {
  const withWeb2: NodeSnapshot = {
    ...healthyNode1,
    node: { ...healthyNode1.node, ipForward: false },
    pods: [...healthyNode1.pods, { ...healthyNode1.pods[0]!, name: 'web-2', containerID: 'c2', ip: '10.244.1.3' }],
    routes: healthyNode1.routes.slice(1),
  };

  it('accepts what diffSnapshots makes', () => {
    const changes = diffSnapshots(healthyNode1, withWeb2);
    expect(changes.map((c) => `${c.op} ${c.collection}`).sort()).toEqual([
      'added pods',
      'changed node',
      'removed routes',
    ]);
    expect(parseChanges(JSON.parse(JSON.stringify(changes)))).toEqual({ ok: true, value: changes });
  });

  it('refuses a change naming it: its envelope, its object, its key', () => {
    const [added] = diffSnapshots(healthyNode1, { ...healthyNode1, pods: withWeb2.pods });
    expect(parseChanges({})).toEqual({ ok: false, error: 'changes must be an array, got a object' });
    expect(parseChanges([added, { collection: 'sockets', op: 'added', key: 'x', value: {} }])).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^changes\[1\]\.collection: Invalid option/),
    });
    expect(parseChanges([{ ...added, value: { ...(added as { value: object }).value, hostVeth: null } }])).toEqual({
      ok: false,
      error: 'changes[0] (added pods "c2 eth0"): hostVeth: Invalid input: expected string, received null',
    });
    expect(parseChanges([{ ...added, key: 'c1 eth0' }])).toEqual({
      ok: false,
      error: 'changes[0] (added pods "c1 eth0"): the object\'s own key is "c2 eth0"',
    });
    expect(
      parseChanges([
        { collection: 'node', op: 'changed', key: 'node', value: { ...healthyNode1.node, gateway: 'v-net-0' } },
      ]),
    ).toEqual({
      ok: false,
      error: 'changes[0] (changed node "node"): gateway: must be an IPv4 address, got "v-net-0"',
    });
    // a removal needs no object
    expect(parseChanges([{ collection: 'routes', op: 'removed', key: '10.244.1.0/24 v-net-0 ' }])).toEqual({
      ok: true,
      value: [{ collection: 'routes', op: 'removed', key: '10.244.1.0/24 v-net-0 ' }],
    });
  });
});
