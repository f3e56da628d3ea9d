// What every end-to-end test runs with: the dashboards' key, sent as a bearer header as a
// script would (the sign-in form and the ?token= link have tests of their own, in
// access.spec.ts, with no header), and a watch on the console that fails a test whose page
// logged an error or threw one — a CSP that blocks something the page needs, a 404 for an
// asset, an exception in a handler must not pass unnoticed.
import { test as base, expect, type ConsoleMessage } from '@playwright/test';
import { readEnv } from './env';

export const test = base.extend<{
  allowedCspViolation: RegExp | null;
  allowedConsoleError: RegExp | null;
  consoleClean: void;
}>({
  // Playwright reads a fixture's dependencies from its first parameter's pattern: {} is none.
  // eslint-disable-next-line no-empty-pattern
  extraHTTPHeaders: async ({}, use) => use({ authorization: `Bearer ${readEnv().key}` }),
  /** a test that provokes a violation on purpose (a refused frame) names it here */
  allowedCspViolation: [null, { option: true }],
  /** a test that provokes a console error on purpose names it here, with the reason */
  allowedConsoleError: [null, { option: true }],
  consoleClean: [
    async ({ context, allowedCspViolation, allowedConsoleError }, use) => {
      const violations: string[] = [];
      const errors: string[] = [];
      const allowed = (text: string) => Boolean(allowedConsoleError?.test(text));
      const where = (m: ConsoleMessage) => (m.location().url ? ` (${m.location().url})` : '');
      // the context's events: every page of the test, the ones it opens itself too
      context.on('console', (m) => {
        const text = m.text();
        if (/Content[ -]Security[ -]Policy/i.test(text)) {
          if (!allowedCspViolation?.test(text)) violations.push(text);
        } else if (m.type() === 'error' && !allowed(text)) {
          errors.push(text + where(m));
        }
      });
      context.on('weberror', (e) => {
        const text = `${e.error().name}: ${e.error().message}`;
        if (!allowed(text)) errors.push(text);
      });
      await use();
      expect(violations, 'Content-Security-Policy violations in the console').toEqual([]);
      expect(errors, 'errors in the console (a test that provokes one on purpose sets allowedConsoleError)').toEqual(
        [],
      );
    },
    { auto: true },
  ],
});

export { expect };
