// ESLint for the whole tree: JavaScript's and typescript-eslint's recommended rules, Next's
// rules (React, the hooks rules, accessibility, Core Web Vitals) for the web app, and a
// line-length cap. Formatting is Prettier's (.prettierrc.json); eslint-config-prettier
// turns off the rules that would fight it. scripts/test runs both: a lint error fails it.
import js from '@eslint/js';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const WEB = ['app/**', 'components/**'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.next/',
      '.next-*/',
      '.build/',
      '.scratch/',
      'e2e/artifacts/',
      'test-results/',
      'playwright-report/',
      'next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Next's configs lint React wherever it appears; their non-React rules (imports) apply everywhere.
  ...nextVitals,
  ...nextTypescript,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Prettier wraps code at 120 columns but never breaks a string, a URL or a comment:
      // this catches the lines it leaves long. Tables (box drawing, "|" rows) are exempt.
      'max-len': [
        'error',
        {
          code: 120,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
          ignorePattern: '^\\s*(//|\\*)?\\s*[|│┌└├─▲▼◀▶ ]*[│┌└├┐┘┤┬┴┼─|]',
        },
      ],
      // An unused value named with a leading "_" is deliberate (a callback's ignored parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Refusing control characters in what comes from outside is deliberate here.
      'no-control-regex': 'off',
      // `ok && go()` and `c ? a() : b()` as statements are this codebase's idiom.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    files: WEB,
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // React's hook rules are for React code: elsewhere `use…` is another API's word
    // (Playwright's fixtures call `use`).
    ignores: WEB,
    rules: { 'react-hooks/rules-of-hooks': 'off' },
  },
  {
    // Tests read JSON of many shapes (CNI results, Kubernetes objects, page state) and
    // check it field by field: typing each shape would add nothing the assertions do not.
    files: ['**/*.test.ts', 'e2e/**', 'test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
