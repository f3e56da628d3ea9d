// What every end-to-end test runs with: the dashboards' key, sent as a bearer header as a
// script would (the sign-in form and the ?token= link have tests of their own, in
// access.spec.ts, with no header), and a watch on the console that fails a test whose page
// broke its Content-Security-Policy — a CSP that blocks something the page needs must not
// pass unnoticed.
import { test as base, expect } from '@playwright/test';
import { readEnv } from './env';

export const test = base.extend<{ allowedCspViolation: RegExp | null; cspClean: void }>({
  extraHTTPHeaders: async ({}, use) => use({ authorization: `Bearer ${readEnv().key}` }),
  /** a test that provokes a violation on purpose (a refused frame) names it here */
  allowedCspViolation: [null, { option: true }],
  cspClean: [
    async ({ page, allowedCspViolation }, use) => {
      const violations: string[] = [];
      page.on('console', (m) => {
        const text = m.text();
        if (/Content[ -]Security[ -]Policy/i.test(text) && !(allowedCspViolation && allowedCspViolation.test(text))) violations.push(text);
      });
      await use();
      expect(violations, 'Content-Security-Policy violations in the console').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
