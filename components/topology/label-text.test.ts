import { describe, expect, it } from 'vitest';
import { charsIn, ellipsize, MONO_ADVANCE, widthOf } from './label-text';

describe('ellipsize', () => {
  it('leaves text that fits alone', () => {
    expect(ellipsize('web-1', 15)).toBe('web-1');
    expect(ellipsize('10.244.123.254', 15)).toBe('10.244.123.254');
    expect(ellipsize('', 3)).toBe('');
  });

  it('cuts in the middle, keeping the workload and the pod’s own suffix', () => {
    const cut = ellipsize('coredns-5d78c9869d-6hjpv', 15);
    expect(cut).toHaveLength(15);
    expect(cut).toBe('coredns…d-6hjpv');
    expect(ellipsize('kubehound.test.local-control-plane', 20)).toBe('kubehound.…rol-plane');
  });

  it('never answers more than it is allowed', () => {
    for (let max = 1; max < 30; max++)
      expect(ellipsize('local-path-provisioner-6bc4bddd6b-qv97f', max).length).toBeLessThanOrEqual(max);
    expect(ellipsize('abc', 1)).toBe('…');
  });
});

describe('character budgets', () => {
  it('fit the characters they count, with room for a font a little wider than 0.6 em', () => {
    expect(MONO_ADVANCE).toBeGreaterThan(0.6);
    for (const [w, f] of [
      [112, 12],
      [296, 13],
      [128, 12],
    ] as const) {
      const n = charsIn(w, f);
      expect(widthOf(n, f)).toBeLessThanOrEqual(w);
      expect(widthOf(n + 1, f)).toBeGreaterThan(w);
    }
  });
});
