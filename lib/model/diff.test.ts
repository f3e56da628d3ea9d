import { describe, expect, it } from 'vitest';
import { crossNodeRouteMissing, healthyNode1, podVethDown } from '../../test/fixtures/snapshots';
import { applyChanges, applyTopologyChanges, diffSnapshots, diffTopology, type Change } from './diff';
import type { Topology, TopoPod } from './topology';

describe('diffSnapshots / applyChanges', () => {
  it('is empty between equal snapshots', () => {
    expect(diffSnapshots(healthyNode1, { ...healthyNode1, collectedAt: 'later', collectMs: 99 })).toEqual([]);
  });
  it('types each change and keys it', () => {
    expect(diffSnapshots(healthyNode1, crossNodeRouteMissing)).toEqual([
      { collection: 'routes', op: 'removed', key: '10.244.2.0/24 eth0 192.168.1.12' },
    ]);
    expect(diffSnapshots(crossNodeRouteMissing, healthyNode1)).toEqual([
      { collection: 'routes', op: 'added', key: '10.244.2.0/24 eth0 192.168.1.12', value: healthyNode1.routes[1] },
    ]);
    const down = diffSnapshots(healthyNode1, podVethDown);
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ collection: 'links', op: 'changed', key: 'veth0000000000a' });
  });
  it('from nothing, everything is added; applying the changes rebuilds the snapshot', () => {
    const changes = diffSnapshots(null, healthyNode1);
    expect(changes[0]).toEqual({ collection: 'node', op: 'changed', key: 'node', value: healthyNode1.node });
    const rebuilt = applyChanges(
      { ...healthyNode1, links: [], addresses: [], routes: [], neighbours: [], pods: [], findings: [] },
      changes,
    );
    expect(rebuilt).toEqual(healthyNode1);
    expect(applyChanges(healthyNode1, diffSnapshots(healthyNode1, podVethDown))).toEqual(podVethDown);
  });
  it('applies adds, changes and removals in any order, in place, and leaves its input as it was', () => {
    const [lo, eth0] = healthyNode1.links;
    const before = structuredClone(healthyNode1);
    const changes: Change[] = [
      { collection: 'links', op: 'removed', key: lo!.name },
      { collection: 'links', op: 'added', key: 'extra0', value: { ...eth0!, name: 'extra0' } },
      { collection: 'links', op: 'changed', key: eth0!.name, value: { ...eth0!, mtu: 9000 } },
      { collection: 'node', op: 'changed', key: 'node', value: { ...healthyNode1.node, ipForward: false } },
    ];
    const after = applyChanges(healthyNode1, changes);
    expect(after.links.map((l) => l.name)).toEqual([...healthyNode1.links.slice(1).map((l) => l.name), 'extra0']);
    expect(after.links[0]).toMatchObject({ name: eth0!.name, mtu: 9000 });
    expect(after.node.ipForward).toBe(false);
    // the same changes in reverse order give the same snapshot
    expect(applyChanges(healthyNode1, [...changes].reverse())).toEqual(after);
    expect(healthyNode1).toEqual(before);
  });
  it('removing what is not there changes nothing; a removed key added again goes to the end', () => {
    expect(applyChanges(healthyNode1, [{ collection: 'routes', op: 'removed', key: 'no such route' }])).toEqual(
      healthyNode1,
    );
    const lo = healthyNode1.links[0]!;
    const readded = applyChanges(healthyNode1, [
      { collection: 'links', op: 'removed', key: lo.name },
      { collection: 'links', op: 'added', key: lo.name, value: lo },
    ]);
    expect(readded.links.map((l) => l.name)).toEqual([...healthyNode1.links.slice(1).map((l) => l.name), lo.name]);
  });
});

const pod = (name: string, ip: string): TopoPod => ({
  key: `default/${name}`,
  namespace: 'default',
  name,
  node: 'node1',
  ip,
  phase: 'Running',
  hostNetwork: false,
  labels: {},
  owner: null,
  veth: null,
  agentIp: ip,
  netns: null,
  containerID: null,
  seenBy: { api: true, agent: true },
  health: 'healthy',
});
const base: Topology = {
  cluster: { source: 'lab', name: 't', routing: 'host-gw', podNetwork: '10.244.0.0/16', readOnly: false },
  nodes: [],
  pods: [pod('web-1', '10.244.1.2'), pod('web-2', '10.244.1.3')],
  routes: [],
  findings: [],
  router: null,
  updatedAt: 'a',
};

describe('diffTopology / applyTopologyChanges', () => {
  it('replaying the diff turns the old topology into the new one', () => {
    const next: Topology = { ...base, pods: [pod('web-1', '10.244.1.9'), pod('web-3', '10.244.1.4')], updatedAt: 'b' };
    const changes = diffTopology(base, next);
    expect(changes.map((c) => `${c.collection} ${c.op} ${c.key}`)).toEqual([
      'cluster changed cluster',
      'pods changed default/web-1',
      'pods added default/web-3',
      'pods removed default/web-2',
    ]);
    expect(applyTopologyChanges(base, changes)).toEqual(next);
    expect(base.pods).toHaveLength(2); // the input is left as it was
  });

  it('no change, no changes', () => {
    expect(diffTopology(base, { ...base, pods: base.pods.map((p) => ({ ...p })) })).toEqual([]);
  });

  it('from nothing, the head and every object are added', () => {
    const changes = diffTopology(null, base);
    expect(changes.map((c) => `${c.collection} ${c.op} ${c.key}`)).toEqual([
      'cluster changed cluster',
      'pods added default/web-1',
      'pods added default/web-2',
    ]);
    expect(
      applyTopologyChanges({ ...base, pods: [], cluster: { ...base.cluster, name: 'old' }, updatedAt: '' }, changes),
    ).toEqual(base);
  });

  it('a new router alone changes the head', () => {
    expect(diffTopology(base, { ...base, router: { ip: '192.168.1.1' } })).toEqual([
      {
        collection: 'cluster',
        op: 'changed',
        key: 'cluster',
        value: { cluster: base.cluster, router: { ip: '192.168.1.1' }, updatedAt: 'a' },
      },
    ]);
  });

  it('applies a removal before, between or after other changes alike; removing what is not there does nothing', () => {
    const changed = pod('web-1', '10.244.1.9');
    const added = pod('web-3', '10.244.1.4');
    const removeWeb2 = { collection: 'pods', op: 'removed', key: 'default/web-2' } as const;
    const changeWeb1 = { collection: 'pods', op: 'changed', key: changed.key, value: changed } as const;
    const addWeb3 = { collection: 'pods', op: 'added', key: added.key, value: added } as const;
    const missing = { collection: 'pods', op: 'removed', key: 'default/not-there' } as const;
    const want: Topology = { ...base, pods: [changed, added] };
    for (const order of [
      [removeWeb2, changeWeb1, addWeb3],
      [addWeb3, removeWeb2, changeWeb1],
      [changeWeb1, addWeb3, missing, removeWeb2],
    ]) {
      expect(applyTopologyChanges(base, order)).toEqual(want);
    }
    expect(applyTopologyChanges(base, [missing])).toEqual(base);
  });
});
