import { describe, expect, it } from 'vitest';
import type { Topology, TopoPod } from './topology';
import { applyTopologyChanges, diffTopology } from './topology-diff';

const pod = (name: string, ip: string): TopoPod => ({
  key: `default/${name}`, namespace: 'default', name, node: 'node1', ip, phase: 'Running', hostNetwork: false, labels: {}, owner: null,
  veth: null, agentIp: ip, netns: null, containerID: null, seenBy: { api: true, agent: true }, health: 'healthy',
});
const base: Topology = {
  cluster: { source: 'lab', name: 't', routing: 'host-gw', podNetwork: '10.244.0.0/16', readOnly: false },
  nodes: [], pods: [pod('web-1', '10.244.1.2'), pod('web-2', '10.244.1.3')], routes: [], findings: [], router: null, updatedAt: 'a',
};

describe('diffTopology / applyTopologyChanges', () => {
  it('replaying the diff turns the old topology into the new one', () => {
    const next: Topology = { ...base, pods: [pod('web-1', '10.244.1.9'), pod('web-3', '10.244.1.4')], updatedAt: 'b' };
    const changes = diffTopology(base, next);
    expect(changes.map((c) => `${c.collection} ${c.op} ${c.key}`)).toEqual(['cluster changed cluster', 'pods changed default/web-1', 'pods added default/web-3', 'pods removed default/web-2']);
    expect(applyTopologyChanges(base, changes)).toEqual(next);
    expect(base.pods).toHaveLength(2); // the input is left as it was
  });

  it('no change, no changes', () => {
    expect(diffTopology(base, { ...base, pods: base.pods.map((p) => ({ ...p })) })).toEqual([]);
  });
});
