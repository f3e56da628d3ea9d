import { describe, expect, it } from 'vitest';
import { hashHex } from './hash';

describe('hashHex', () => {
  it('is stable, of the asked length, and spreads similar inputs', () => {
    expect(hashHex('abc/eth0', 11)).toBe(hashHex('abc/eth0', 11));
    expect(hashHex('abc/eth0', 11)).toMatch(/^[0-9a-f]{11}$/);
    const names = new Set(Array.from({ length: 100_000 }, (_, i) => hashHex(`container-${i}/eth0`, 11)));
    expect(names.size).toBe(100_000);
  });
});
