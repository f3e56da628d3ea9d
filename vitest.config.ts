import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.scratch/**', '.build/**'],
    // Suites that create network namespaces must not run side by side: they share the
    // kernel, and the machine has two cores. Unit tests are fast enough serially.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    globalSetup: ['test/global-setup.ts'],
  },
});
