// What `podnet trace` makes of the lab's agents: a snapshot is parsed before the trace uses
// it, so an agent that sends something else is that node's problem, named, as on the
// dashboard. The agents here are fakes on unix sockets answering GET /v1/snapshot.
import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER_NETWORK, LAN_CIDR, nodeGateway, nodeIp, nodePodCIDR, OUTSIDE_IP } from '../lib/model/lab.js';
import { fakeJsonAgent, type FakeAgent } from '../test/fake-agent.js';
import { healthyNode1 } from '../test/fixtures/snapshots.js';
import type { LabInventory } from './inventory.js';
import { labTrace } from './trace-inputs.js';

const agents: FakeAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function inventoryWith(addresses: string[]): LabInventory {
  const node = (i: number) => ({
    name: `node${i}`,
    index: i,
    ip: nodeIp(i),
    podCIDR: nodePodCIDR(i),
    gateway: nodeGateway(i),
    netns: `podnet-t-node${i}`,
    agent: addresses[i - 1]!,
  });
  return {
    labId: 't',
    routing: 'host-gw',
    tokenFile: null,
    dashboard: null,
    router: null,
    outside: { ip: OUTSIDE_IP, netns: 'podnet-t-outside' },
    lan: { cidr: LAN_CIDR, netns: 'podnet-t-lan', bridge: 'lan0' },
    clusterNetwork: CLUSTER_NETWORK,
    nodes: addresses.map((_, i) => node(i + 1)),
    pods: [],
    flags: { nodes: addresses.length, podsPerNode: 0, routing: 'host-gw' },
    phase: 'ready',
    builder: null,
    agents: {},
    createdAt: '2026-12-02T00:00:00.000Z',
  };
}

describe('labTrace', () => {
  it('takes a valid snapshot, and makes a node whose agent sends an invalid one unreachable, naming the field', async () => {
    const good = await fakeJsonAgent(() => ({ snapshot: healthyNode1 }));
    const bad = await fakeJsonAgent(() => ({
      snapshot: { ...healthyNode1, addresses: [{ ...healthyNode1.addresses[0], prefixLen: 'twenty-four' }] },
    }));
    agents.push(good, bad);
    const { inputs } = await labTrace(inventoryWith([good.address, bad.address]));
    expect(inputs.agents.get('node1')).toMatchObject({
      status: { state: 'live', error: null },
      snapshot: { node: { name: healthyNode1.node.name } },
    });
    const node2 = inputs.agents.get('node2')!;
    expect(node2.snapshot).toBeNull();
    expect(node2.status.state).toBe('unreachable');
    expect(node2.status.error).toMatch(/^the agent on node2 sent an invalid snapshot: addresses\[0\]\.prefixLen: /);
  });
});
