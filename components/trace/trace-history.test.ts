import { describe, expect, it } from 'vitest';
import { healthyCrossNode, vethDownOnWeb3 } from './fixtures';
import { HISTORY_LIMIT, HISTORY_STORAGE_KEY, loadHistory, pushHistory, saveHistory } from './trace-history';

const at = (i: number) => ({ ...healthyCrossNode, startedAt: `2026-12-02T13:00:${String(i).padStart(2, '0')}.000Z` });

/** a sessionStorage stand-in that holds at most `quota` characters */
function store(quota = Infinity) {
  const m = new Map<string, string>();
  return {
    m,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => {
      if (v.length > quota) throw new Error('QuotaExceededError');
      m.set(k, v);
    },
  };
}

describe('the session history', () => {
  it('newest first, at most HISTORY_LIMIT, the same trace once', () => {
    let list = pushHistory([], at(0));
    list = pushHistory(list, vethDownOnWeb3);
    expect(list.map((e) => e.result.status)).toEqual(['broken', 'ok']);
    list = pushHistory(list, at(0));
    expect(list).toHaveLength(2);
    expect(list[0]!.result.startedAt).toBe(at(0).startedAt);
    for (let i = 1; i <= 20; i++) list = pushHistory(list, at(i));
    expect(list).toHaveLength(HISTORY_LIMIT);
    expect(list[0]!.result.startedAt).toBe(at(20).startedAt);
  });

  it('survives a round trip through the store', () => {
    const s = store();
    const list = pushHistory(pushHistory([], at(1)), vethDownOnWeb3);
    expect(saveHistory(s, list)).toBe(2);
    expect(loadHistory(s)).toEqual(list);
  });

  it('a full store keeps the newest that fit', () => {
    const list = [1, 2, 3].reduce((l, i) => pushHistory(l, at(i)), pushHistory([], at(0)));
    const one = JSON.stringify(list.slice(0, 1)).length;
    const s = store(one * 2 + 10);
    const kept = saveHistory(s, list);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(list.length);
    expect(loadHistory(s).map((e) => e.id)).toEqual(list.slice(0, kept).map((e) => e.id));
  });

  it('reads nothing from an absent, broken or foreign value', () => {
    expect(loadHistory(null)).toEqual([]);
    const s = store();
    s.m.set(HISTORY_STORAGE_KEY, '{not json');
    expect(loadHistory(s)).toEqual([]);
    s.m.set(HISTORY_STORAGE_KEY, JSON.stringify([{ id: 1 }, 'x', null]));
    expect(loadHistory(s)).toEqual([]);
  });
});
