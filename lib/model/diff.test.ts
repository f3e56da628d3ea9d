import { describe, expect, it } from 'vitest';
import { crossNodeRouteMissing, healthyNode1, podVethDown } from '../../test/fixtures/snapshots';
import { applyChanges, diffSnapshots } from './diff';

describe('diffSnapshots', () => {
  it('is empty between equal snapshots', () => {
    expect(diffSnapshots(healthyNode1, { ...healthyNode1, collectedAt: 'later', collectMs: 99 })).toEqual([]);
  });
  it('types each change and keys it', () => {
    expect(diffSnapshots(healthyNode1, crossNodeRouteMissing)).toEqual([{ collection: 'routes', op: 'removed', key: '10.244.2.0/24 eth0 192.168.1.12' }]);
    expect(diffSnapshots(crossNodeRouteMissing, healthyNode1)).toEqual([{ collection: 'routes', op: 'added', key: '10.244.2.0/24 eth0 192.168.1.12', value: healthyNode1.routes[1] }]);
    const down = diffSnapshots(healthyNode1, podVethDown);
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ collection: 'links', op: 'changed', key: 'veth0000000000a' });
  });
  it('from nothing, everything is added; applying the changes rebuilds the snapshot', () => {
    const changes = diffSnapshots(null, healthyNode1);
    expect(changes[0]).toEqual({ collection: 'node', op: 'changed', key: 'node', value: healthyNode1.node });
    const rebuilt = applyChanges({ ...healthyNode1, links: [], addresses: [], routes: [], neighbours: [], pods: [], findings: [] }, changes);
    expect(rebuilt).toEqual(healthyNode1);
    expect(applyChanges(healthyNode1, diffSnapshots(healthyNode1, podVethDown))).toEqual(podVethDown);
  });
});
