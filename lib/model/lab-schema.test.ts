import { describe, expect, it } from 'vitest';
import { CLUSTER_NETWORK, LAN_CIDR, nodeGateway, nodeIp, nodePodCIDR, OUTSIDE_IP, type LabStatus } from './lab';
import { parseLabStatus } from './lab-schema';

// The shape lab/lab.ts's planLab writes, with the model's own numbering, two nodes and a pod.
const node = (i: number) => ({
  name: `node${i}`,
  index: i,
  ip: nodeIp(i),
  podCIDR: nodePodCIDR(i),
  gateway: nodeGateway(i),
  netns: `podnet-t-node${i}`,
  agent: `unix:/run/podnet/t/nodes/node${i}/agent.sock`,
});
const inventory: LabStatus = {
  labId: 't',
  routing: 'host-gw',
  tokenFile: '/run/podnet/t/agent.token',
  dashboard: null,
  router: null,
  outside: { ip: OUTSIDE_IP, netns: 'podnet-t-outside' },
  lan: { cidr: LAN_CIDR, netns: 'podnet-t-lan', bridge: 'lan0' },
  clusterNetwork: CLUSTER_NETWORK,
  nodes: [node(1), node(2)],
  pods: [
    {
      name: 'web-1',
      namespace: 'default',
      node: 'node1',
      ip: '10.244.1.2',
      netns: 'podnet-t-pod-default_web-1',
      containerID: 'c1',
    },
  ],
};

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
