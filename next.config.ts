// The dashboard's Next.js configuration. Two settings come from the environment at
// build time because Next bakes them into the bundle: PODNET_BASE_PATH (serve under a
// sub-path of an internal portal, e.g. /tools/podnet) and PODNET_DIST_DIR (a second
// build, e.g. the tests' sub-path build, next to the default one). Everything else
// (source, tokens, frame ancestors) is read when the server starts: server/config.ts.
import type { NextConfig } from 'next';

const basePath = process.env.PODNET_BASE_PATH ?? '';
if (basePath !== '' && !/^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/.test(basePath)) {
  throw new Error(`PODNET_BASE_PATH "${basePath}" must start with "/" and not end with "/", e.g. /tools/podnet`);
}

const config: NextConfig = {
  basePath,
  distDir: process.env.PODNET_DIST_DIR ?? '.next',
  env: { NEXT_PUBLIC_BASE_PATH: basePath },
  reactStrictMode: true,
  poweredByHeader: false,
  // ESM with native deps and undici: load it from node_modules at run time, unbundled.
  serverExternalPackages: ['@kubernetes/client-node'],
  // The repository is one package; keep Turbopack's root here, not a parent directory.
  turbopack: { root: import.meta.dirname },
  // scripts/test type-checks the whole repository (tsc -p tsconfig.json); the build need not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default config;
