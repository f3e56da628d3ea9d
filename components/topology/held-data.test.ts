import { describe, expect, it } from 'vitest';
import { HeldData, looksOnly, nearView, overlaps } from './held-data';

describe('looksOnly', () => {
  const box = { id: 'node:n1', kind: 'node', w: 300, h: 200, label: 'n1 · 10 pods', pods: 10, health: 'healthy' };
  it('is true when only a label, a count, a health change', () => {
    expect(looksOnly(box, { ...box, label: 'n1 · 11 pods', pods: 11 })).toBe(true);
    expect(looksOnly(box, { ...box, health: 'finding', severity: 'error' })).toBe(true);
  });
  it('is false when a size or a kind changes, or a key goes', () => {
    expect(looksOnly(box, { ...box, w: 320 })).toBe(false);
    expect(looksOnly(box, { ...box, kind: 'pod' })).toBe(false);
    expect(looksOnly({ ...box, sw: [0.5] }, { ...box, sw: null })).toBe(false);
  });
});

describe('nearView and overlaps', () => {
  it('takes in what is within half a view of it, not beyond', () => {
    const near = nearView({ x1: 0, y1: 0, x2: 100, y2: 50 });
    expect(near).toEqual({ x1: -50, y1: -25, x2: 150, y2: 75 });
    expect(overlaps({ x1: 140, y1: 70, x2: 160, y2: 80 }, near)).toBe(true);
    expect(overlaps({ x1: 151, y1: 0, x2: 160, y2: 10 }, near)).toBe(false);
    expect(overlaps({ x1: 0, y1: -40, x2: 10, y2: -26 }, near)).toBe(false);
  });
});

describe('HeldData', () => {
  it('merges what is held in order, and gives it once, under what is given now', () => {
    const h = new HeldData();
    h.hold('a', { label: 'a · 1 pod', pods: 1, severity: 'warning' });
    h.hold('a', { label: 'a · 2 pods', pods: 2 });
    h.hold('b', { pods: 5 });
    expect(h.size).toBe(2);
    expect(h.take('a', { pods: 3 })).toEqual({ label: 'a · 2 pods', pods: 3, severity: 'warning' });
    expect(h.take('a', { pods: 4 })).toEqual({ pods: 4 });
    h.drop('b');
    expect(h.ids()).toEqual([]);
  });
});
