#!/usr/bin/env node
// scripts/build.mjs — bundles the JavaScript podnet runs, so that nothing at run time needs
// tsx or esbuild (`npm run build` runs this, then `next build` and scripts/build-shim.sh):
//
//   .build/bundles/podnet.cjs, podnet-ipam.cjs  the CNI plugins, which `podnet cni install`
//                                               puts behind its launcher (cni/install.ts)
//   .build/bundles/cni-worker.cjs               the agent's verb thread (agent/cni-socket/)
//   .build/cli/main.js and its chunks           bin/podnet's CLI
//
// The first three are whole programs (CommonJS, minified, npm packages included): a plugin
// runs from the runtime's bin dir, far from node_modules. Their list and options are
// cni/bundles.ts's, which makes the same bundles on demand when podnet runs from sources.
// The CLI is ES modules split per dynamic import, so a command loads only what it uses, with
// npm packages left as imports from node_modules; __PODNET_BUILD__ is defined in it, which
// tells cni/bundles.ts to read the files above instead of bundling, and drops every
// `import('esbuild')` in a branch it settles. A build whose CLI still imports esbuild or tsx
// fails here. bin/podnet runs the CLI when .build/cli/main.js is newer than every source
// file, else the sources through tsx; main.js is written last, so it is the newest output.
// Plain JavaScript: it must run before anything is built.
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLES = {
  'podnet.cjs': 'cni/podnet/main.ts',
  'podnet-ipam.cjs': 'cni/ipam/main.ts',
  'cni-worker.cjs': 'agent/cni-worker.ts',
};
const DEFINE = { __PODNET_BUILD__: 'true' };
const BUILD_TOOLS = ['esbuild', 'tsx'];

/** Fails the build on any import of a build tool that survives the define. */
const noBuildTools = {
  name: 'no-build-tools',
  setup(b) {
    const filter = new RegExp(`^(${BUILD_TOOLS.join('|')})(/|$)`);
    b.onResolve({ filter }, (a) => ({
      errors: [
        {
          text: `${a.importer} imports ${a.path}, a build tool the built podnet must not need: put it in an else branch of a __PODNET_BUILD__ test (cni/bundles.ts)`,
        },
      ],
    }));
  },
};

/** Builds into a sibling directory and swaps it in whole, so a podnet starting meanwhile never sees half of it. */
async function swapIn(out, buildInto) {
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  try {
    await buildInto(tmp);
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  define: DEFINE,
  plugins: [noBuildTools],
  logLevel: 'warning',
};

await swapIn(join(root, '.build', 'bundles'), (dir) =>
  Promise.all(
    Object.entries(BUNDLES).map(([file, source]) =>
      build({
        ...common,
        entryPoints: [join(root, source)],
        outfile: join(dir, file),
        format: 'cjs',
        minify: true,
        legalComments: 'none',
      }),
    ),
  ),
);
await swapIn(join(root, '.build', 'cli'), (dir) =>
  build({
    ...common,
    entryPoints: [join(root, 'cli', 'main.ts')],
    outdir: dir,
    splitting: true,
    format: 'esm',
    packages: 'external',
    sourcemap: 'linked',
  }),
);
console.log(
  `build: ${join(root, '.build', 'bundles')}/{${Object.keys(BUNDLES).join(',')}}, ${join(root, '.build', 'cli')}/main.js`,
);
