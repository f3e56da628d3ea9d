// What `podnet trace` makes of the lab's agents: a snapshot is parsed before the trace uses
// it, so an agent that sends something else is that node's problem, named, as on the
// dashboard. The agents here are fakes on unix sockets answering GET /v1/snapshot.
import { afterEach, describe, expect, it } from 'vitest';
import { labStatusFixture } from '../test/fixtures/lab-status.js';
import { fakeJsonAgent, type FakeAgent } from '../test/fake-agent.js';
import { healthyNode1 } from '../test/fixtures/snapshots.js';
import type { LabInventory } from './inventory.js';
import { labTrace } from './trace-inputs.js';

const agents: FakeAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function inventoryWith(addresses: string[]): LabInventory {
  return {
    ...labStatusFixture(addresses),
    tokenFile: null,
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
