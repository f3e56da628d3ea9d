// The page's Topology from a summary and open nodes' details: every node, the open nodes'
// pods/routes/findings only, a closed node's box from its summary (the same object while
// its summary is), and routes drawn for a row of closed nodes from their summaries.
import { describe, expect, it } from 'vitest';
import { SyntheticSource } from '../../server/sources/synthetic';
import { MergeMemo, mergeTopology } from '../../server/topology/merge';
import { SummaryBuilder } from '../../server/topology/summary';
import { topologyFromSummary } from './summary-topology';
import type { NodeDetail } from './summary';

function built(shape: string) {
  const source = new SyntheticSource(shape, { startedAt: new Date('2026-12-01T00:00:00Z'), churnMs: null });
  const memo = new MergeMemo();
  const topo = mergeTopology(source.read(), false, memo);
  const builder = new SummaryBuilder();
  builder.update(topo, memo);
  return { topo, builder };
}

describe('topologyFromSummary', () => {
  it('holds every node, and the pods, routes and findings of the open ones only', () => {
    const { topo, builder } = built('8x80');
    const details = new Map<string, NodeDetail>([['node3', builder.detail('node3')!]]);
    const { topology, loaded } = topologyFromSummary(builder.summary(), details);
    expect(topology.nodes.map((n) => n.name)).toEqual(topo.nodes.map((n) => n.name));
    expect([...loaded]).toEqual(['node3']);
    expect(topology.pods.map((p) => p.key).sort()).toEqual(
      topo.pods
        .filter((p) => p.node === 'node3')
        .map((p) => p.key)
        .sort(),
    );
    expect(topology.routes.every((r) => r.from === 'node3')).toBe(true);
    expect(topology.routes).toHaveLength(7);
    // an open node is its own TopoNode; a closed one carries its summary's facts
    expect(topology.nodes.find((n) => n.name === 'node3')).toBe(topo.nodes.find((n) => n.name === 'node3'));
    const closed = topology.nodes.find((n) => n.name === 'node5')!;
    const real = topo.nodes.find((n) => n.name === 'node5')!;
    expect(closed).toMatchObject({ ip: real.ip, podCIDR: real.podCIDR, health: real.health, routes: [] });
    expect(closed.agent.state).toBe(real.agent.state);
    // the same summary object gives the same TopoNode (the graph's diff sees no change)
    const again = topologyFromSummary(builder.summary(), details).topology;
    expect(again.nodes.find((n) => n.name === 'node5')).toBe(closed);
  });

  it("draws a row's routes from the summaries when no node is open: as the nodes hold them", () => {
    const { topo, builder } = built('4x20');
    const { topology } = topologyFromSummary(builder.summary(), new Map());
    expect(topology.pods).toHaveLength(0);
    const pairs = (rs: { from: string; to: string | null; dst: string; via: string | null }[]) =>
      rs.map((r) => `${r.from}>${r.to} ${r.dst} via ${r.via}`).sort();
    expect(pairs(topology.routes)).toEqual(pairs(topo.routes.filter((r) => r.from !== 'router')));
  });
});
