// The side panel's and the connection badge's times: local time, 24-hour, no locale data.
import { describe, expect, it } from 'vitest';
import { clockTime, localDate } from './ConnectionBadge';

describe('clockTime and localDate', () => {
  it('print the viewer-local time and date, zero-padded', () => {
    // built from local parts, so the test holds in any time zone the machine has
    const d = new Date(2026, 0, 5, 3, 7, 9);
    expect(clockTime(d.toISOString())).toBe('03:07:09');
    expect(localDate(d.toISOString())).toBe('2026-01-05');
    const late = new Date(2026, 11, 31, 23, 59, 58);
    expect(clockTime(late.toISOString())).toBe('23:59:58');
    expect(localDate(late.toISOString())).toBe('2026-12-31');
  });

  it('give back what is not a time unchanged', () => {
    expect(clockTime('not a time')).toBe('not a time');
    expect(localDate('')).toBe('');
  });
});
