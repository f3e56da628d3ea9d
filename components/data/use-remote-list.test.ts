import { describe, expect, it } from 'vitest';
import { pageCount, remoteErrorText, waitFor } from './use-remote-list';

describe('waitFor: typing debounced, versions throttled', () => {
  it('debounces: every change waits the whole time again', () => {
    expect(waitFor('debounce', 100, 0, 5_000)).toBe(100);
    expect(waitFor('debounce', 100, 4_990, 5_000)).toBe(100);
  });
  it('throttles: once a second, counted from the last value passed on', () => {
    // long quiet: at once
    expect(waitFor('throttle', 1000, 0, 5_000)).toBe(0);
    // a version 300 ms after the last refetch waits for the rest of the second
    expect(waitFor('throttle', 1000, 5_000, 5_300)).toBe(700);
    // a churning cluster (a version every 10 ms) still refetches when the second is up
    expect(waitFor('throttle', 1000, 5_000, 5_990)).toBe(10);
  });
});

describe('pageCount', () => {
  it('counts pages, an empty list being one empty page', () => {
    expect(pageCount(0, 200)).toBe(1);
    expect(pageCount(200, 200)).toBe(1);
    expect(pageCount(201, 200)).toBe(2);
    expect(pageCount(10_100, 200)).toBe(51);
  });
});

describe('remoteErrorText', () => {
  it('says which query failed and why', () => {
    expect(remoteErrorText('table', new Error('fetch failed'))).toMatch(
      /^The server did not answer the table query: fetch failed\./,
    );
    expect(remoteErrorText('search', '')).toMatch(/search query: no reason given\./);
  });
});
