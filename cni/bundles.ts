// The JavaScript bundles that run without the repository's dev tooling — the two CNI
// plugins (cni/install.ts puts them behind a launcher) and the agent's verb thread
// (agent/cni-socket/verb-pool.ts) — and the one switch between the two ways to get them:
//
//   - built: `npm run build` (scripts/build.mjs) bundles them into .build/bundles/ with the
//     built CLI, and defines __PODNET_BUILD__ in that CLI. Code running from the built CLI
//     reads these files and never loads esbuild or tsx (neither is a run-time dependency).
//   - sources: under tsx or vitest __PODNET_BUILD__ is undefined, and the bundle is made on
//     demand from the TypeScript with esbuild (a dev dependency), so an edited plugin is
//     what runs next, with no build step in between.
//
// The test of __PODNET_BUILD__ is written in every function that needs it, with the
// esbuild path in an `else` block: esbuild drops a branch its define settles only inside
// the module that tests it, and a dropped branch takes its `import('esbuild')` with it.
// scripts/build.mjs refuses to build a CLI that still imports esbuild or tsx, and
// cli/bundle.test.ts runs the built CLI with both made unresolvable.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __PODNET_BUILD__: true | undefined;

/** The checkout this code runs from: the nearest directory up with podnet's package.json.
 *  Found by walking up, not by a fixed "..", because the CLI also runs bundled from
 *  .build/cli/ (scripts/build.mjs), where this module's own directory is another. */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'podnet')
        return dir;
    } catch {
      /* no package.json here, or not ours */
    }
    if (dirname(dir) === dir) return resolve(from, '..'); // not in a checkout: the old guess
  }
}

/** true in the built CLI, false when running from the TypeScript sources */
export const RUNNING_BUILT = typeof __PODNET_BUILD__ !== 'undefined';

/** Each bundle: its entry among the sources, and its file under .build/bundles/.
 *  scripts/build.mjs builds the same list (cli/bundle.test.ts checks they agree). */
export const BUNDLES = {
  podnet: { source: 'cni/podnet/main.ts', built: '.build/bundles/podnet.cjs' },
  'podnet-ipam': { source: 'cni/ipam/main.ts', built: '.build/bundles/podnet-ipam.cjs' },
  'cni-worker': { source: 'agent/cni-worker.ts', built: '.build/bundles/cni-worker.cjs' },
} as const;
export type BundleName = keyof typeof BUNDLES;

/** A bundle's code: one minified CommonJS script for node 20 that needs nothing from
 *  node_modules. Prebuilt when running built, else bundled now from the sources. */
export async function bundleCode(name: BundleName): Promise<string> {
  if (typeof __PODNET_BUILD__ !== 'undefined') {
    const file = join(repoRoot, BUNDLES[name].built);
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(
        `the built podnet has no ${file} (${(e as NodeJS.ErrnoException).code}): run "npm run build" in ${repoRoot}`,
      );
    }
  } else {
    return bundleEntry(join(repoRoot, BUNDLES[name].source));
  }
}

/** Bundles a module and everything it imports into one minified CommonJS script for
 *  node 20, with esbuild: from sources only (scripts/build.mjs uses the same options). */
export async function bundleEntry(entry: string): Promise<string> {
  if (typeof __PODNET_BUILD__ !== 'undefined') {
    throw new Error(
      `the built podnet does not bundle sources (asked for ${entry}): run it from the checkout's sources, or rebuild`,
    );
  } else {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  }
}

/** Stops esbuild's service process, which outlives a build: a resident agent has no more
 *  use for it. Nothing to stop when running built. */
export async function stopBundler(): Promise<void> {
  if (typeof __PODNET_BUILD__ === 'undefined') {
    (await import('esbuild')).stop();
  }
}

/** The command line that runs this same podnet again (the lab's agents): the built CLI when
 *  running built, else the sources through tsx. */
export function podnetCommand(): string[] {
  if (typeof __PODNET_BUILD__ !== 'undefined') return [process.execPath, join(repoRoot, '.build', 'cli', 'main.js')];
  return [
    process.execPath,
    '--import',
    join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs'),
    join(repoRoot, 'cli', 'main.ts'),
  ];
}
