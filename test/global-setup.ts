// Bundles and installs the CNI plugins once per test run, into a temp dir, exactly as
// `podnet cni install` does for a user; tests run those executables.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { install } from '../cni/install.js';

let dir = '';

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'podnet-test-bin-'));
  await install(join(dir, 'bin'), null);
  project.provide('pluginDir', join(dir, 'bin'));
}

export function teardown(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pluginDir: string;
  }
}
