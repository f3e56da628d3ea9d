import { describe, expect, it } from 'vitest';
import { elementId } from '../../lib/model/graph-ids';
import { referenceLab } from './fixtures';
import { highlightClasses, highlightIds, nodesOnHighlight, type GraphHighlight } from './highlight';
import { toElements } from './to-elements';

const drawn = toElements(referenceLab, { expanded: new Set(), lod: false }).map((e) => e.data.id as string);

/** web-1 on node1 to web-3 on node2, broken at node1's route to node2's subnet */
const crossNodeBrokenAtTheRoute: GraphHighlight = {
  path: [
    elementId.pod('default/web-1'),
    elementId.veth('default/web-1'),
    elementId.bridge('node1'),
    elementId.node('node1'),
    elementId.route('node1', '10.244.2.0/24'),
    elementId.uplink('node1'),
    elementId.lan,
    elementId.uplink('node2'),
    elementId.node('node2'),
    elementId.bridge('node2'),
    elementId.veth('default/web-3'),
    elementId.pod('default/web-3'),
  ],
  failed: [elementId.route('node1', '10.244.2.0/24')],
  unverified: [
    elementId.uplink('node2'),
    elementId.node('node2'),
    elementId.bridge('node2'),
    elementId.veth('default/web-3'),
    elementId.pod('default/web-3'),
  ],
};

describe('highlightClasses', () => {
  const classes = highlightClasses(drawn, crossNodeBrokenAtTheRoute);

  it('gives every drawn element a class: the path emphasised, the rest dimmed', () => {
    expect([...classes.keys()].sort()).toEqual([...drawn].sort());
    expect(classes.get('pod:default/web-1')).toEqual(['hl-path']);
    expect(classes.get('lan')).toEqual(['hl-path']);
    expect(classes.get('pod:default/web-2')).toEqual(['hl-dim']);
    expect(classes.get('route:node2 10.244.1.0/24')).toEqual(['hl-dim']);
    expect(classes.get('node:node3')).toEqual(['hl-dim']);
  });

  it('marks where it breaks as failed and what no agent checked as unverified', () => {
    expect(classes.get('route:node1 10.244.2.0/24')).toEqual(['hl-path', 'hl-failed']);
    expect(classes.get('pod:default/web-3')).toEqual(['hl-path', 'hl-unverified']);
    expect(classes.get('bridge:node1')).toEqual(['hl-path']);
  });

  it('counts a failed or unverified element as on the path even when the path leaves it out', () => {
    const c = highlightClasses(drawn, {
      path: ['pod:default/web-1'],
      failed: ['veth:default/web-1'],
      unverified: ['bridge:node1'],
    });
    expect(c.get('veth:default/web-1')).toEqual(['hl-path', 'hl-failed']);
    expect(c.get('bridge:node1')).toEqual(['hl-path', 'hl-unverified']);
  });

  it('gives no class at all without a highlight, and ignores ids that are not drawn', () => {
    expect(highlightClasses(drawn, null).size).toBe(0);
    expect(highlightClasses(drawn, undefined).size).toBe(0);
    const c = highlightClasses(drawn, { path: ['pod:default/gone'], failed: [] });
    expect(c.has('pod:default/gone')).toBe(false);
    expect(new Set([...c.values()].flat())).toEqual(new Set(['hl-dim']));
  });
});

describe('nodesOnHighlight', () => {
  it('names the nodes whose boxes the path passes, from pods, veths, bridges, uplinks and both ends of routes', () => {
    expect(nodesOnHighlight(referenceLab, crossNodeBrokenAtTheRoute)).toEqual(new Set(['node1', 'node2']));
    expect(nodesOnHighlight(referenceLab, { path: ['veth:default/web-5'], failed: [] })).toEqual(new Set(['node3']));
    expect(nodesOnHighlight(referenceLab, { path: ['route:node1 10.244.3.0/24'], failed: [] })).toEqual(
      new Set(['node1', 'node3']),
    );
    expect(nodesOnHighlight(referenceLab, null)).toEqual(new Set());
  });

  it('collects every id it names', () => {
    expect(highlightIds(crossNodeBrokenAtTheRoute).has('route:node1 10.244.2.0/24')).toBe(true);
    expect(highlightIds(null).size).toBe(0);
  });
});
