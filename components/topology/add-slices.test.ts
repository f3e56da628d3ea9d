import type { ElementDefinition } from 'cytoscape';
import { describe, expect, it } from 'vitest';
import { sliceAdds, sliceAgain } from './add-slices';

const node = (id: string, kind: string, parent?: string): ElementDefinition => ({
  group: 'nodes',
  data: { id, kind, ...(parent ? { parent } : {}) },
});
const edge = (id: string, kind: string, source: string, target: string): ElementDefinition => ({
  group: 'edges',
  data: { id, kind, source, target },
});
const ids = (slices: ElementDefinition[][]) => slices.map((s) => s.map((e) => e.data.id));

describe('sliceAdds', () => {
  // as toElements lists them: nodes (box, bridge, pods), then edges (veths, uplink, route)
  const opened = [
    node('node:n1', 'node'),
    node('bridge:n1', 'bridge', 'node:n1'),
    node('pod:a', 'pod', 'node:n1'),
    node('pod:b', 'pod', 'node:n1'),
    node('pod:c', 'pod', 'node:n1'),
    edge('veth:a', 'veth', 'pod:a', 'bridge:n1'),
    edge('veth:b', 'veth', 'pod:b', 'bridge:n1'),
    edge('veth:c', 'veth', 'pod:c', 'bridge:n1'),
    edge('uplink:n1', 'uplink', 'node:n1', 'lan'),
  ];

  it('puts what others hang on first, each pod with its veth, the other edges last', () => {
    expect(ids(sliceAdds(opened, null, 100))).toEqual([
      ['node:n1', 'bridge:n1', 'pod:a', 'veth:a', 'pod:b', 'veth:b', 'pod:c', 'veth:c', 'uplink:n1'],
    ]);
  });

  it('cuts slices of the size asked, and never puts an element before its ends or its parent', () => {
    const slices = sliceAdds(opened, null, 4);
    expect(slices.map((s) => s.length)).toEqual([4, 4, 1]);
    const seen = new Set<string>(['lan']);
    for (const e of slices.flat()) {
      for (const k of ['parent', 'source', 'target'] as const) {
        const on = e.data[k] as string | undefined;
        if (on) expect(seen.has(on), `${e.data.id} after its ${k} ${on}`).toBe(true);
      }
      seen.add(e.data.id as string);
    }
  });

  it("brings the selection's pod and its veth to the front of the pods", () => {
    expect(ids(sliceAdds(opened, 'pod:c', 4))[0]).toEqual(['node:n1', 'bridge:n1', 'pod:c', 'veth:c']);
  });

  it('gives nothing for nothing', () => {
    expect(sliceAdds([], null)).toEqual([]);
  });

  it('cuts what is left again, in the same order, at a new size (smaller near input, larger after)', () => {
    const big = sliceAdds(opened, 'pod:b', 4);
    const order = ids(big).flat();
    const small = sliceAgain(big, 2);
    expect(ids(small).map((s) => s.length)).toEqual([2, 2, 2, 2, 1]);
    expect(ids(small).flat()).toEqual(order);
    expect(ids(sliceAgain(small, 8))).toEqual([order.slice(0, 8), order.slice(8)]);
    expect(sliceAgain([], 8)).toEqual([]);
  });
});
