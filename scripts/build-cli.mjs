#!/usr/bin/env node
// scripts/build-cli.mjs — bundles bin/podnet's TypeScript (cli/main.ts and what it imports
// from cli/, lab/, lib/, agent/, cni/) into .build/cli/ with esbuild: ES modules split per
// dynamic import, so a command loads only what it uses (`podnet --help` does not load the
// Kubernetes client or the agent). npm packages stay imports from node_modules. bin/podnet
// runs this bundle when it is newer than every source file, else the sources through tsx.
// Plain JavaScript: it must run before anything is built.
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.build', 'cli');
// Built beside and swapped in whole, so a bin/podnet starting meanwhile never sees half a bundle.
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
try {
  await build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`build-cli: ${out}/main.js`);
