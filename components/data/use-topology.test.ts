import { describe, expect, it } from 'vitest';
import { summaryRetryMs } from './use-topology';

describe('summaryRetryMs', () => {
  it('waits 0.5 s, then twice as long each time, never more than 8 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(summaryRetryMs)).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });
});
