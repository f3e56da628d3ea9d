import { describe, expect, it } from 'vitest';
import { labStatusFixture } from '../../test/fixtures/lab-status';
import type { LabStatus } from './lab';
import { parseLabStatus } from './lab-schema';

// Two nodes and a pod.
const agentOf = (i: number) => `unix:/run/podnet/t/nodes/node${i}/agent.sock`;
const inventory: LabStatus = labStatusFixture(
  [agentOf(1), agentOf(2)],
  [
    {
      name: 'web-1',
      namespace: 'default',
      node: 'node1',
      ip: '10.244.1.2',
      netns: 'podnet-t-pod-default_web-1',
      containerID: 'c1',
    },
  ],
);
const node = (i: number) => inventory.nodes[i - 1]!;

describe('parseLabStatus', () => {
  it('accepts the lab inventory, without faults (older inventories) and with the fields only the lab reads', () => {
    expect(parseLabStatus(inventory)).toEqual({ ok: true, value: inventory });
    const withMore = {
      ...inventory,
      phase: 'ready',
      agents: {},
      faults: [
        {
          kind: 'missing-route',
          node: 'node1',
          pod: null,
          target: '10.244.2.0/24',
          detail: 'deleted',
          at: '2026-11-26T00:00:00.000Z',
        },
      ],
    };
    const r = parseLabStatus(withMore);
    expect(r.ok && r.value.faults).toHaveLength(1);
    expect(r.ok && 'phase' in r.value).toBe(false);
  });

  it('refuses an inventory it cannot use, naming the field', () => {
    expect(parseLabStatus({ ...inventory, nodes: [node(1), { ...node(2), podCIDR: '10.244.2.0' }] })).toEqual({
      ok: false,
      error: 'nodes[1].podCIDR: must be an IPv4 network such as 10.244.1.0/24, got "10.244.2.0"',
    });
    expect(parseLabStatus({ ...inventory, faults: [{ kind: 'cable-cut' }] })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^faults\[0\]\.kind: Invalid option/),
    });
    expect(parseLabStatus(null)).toMatchObject({ ok: false });
  });
});
