// bin/podnet's bundle (scripts/build.mjs → .build/cli/) is the same CLI as the sources:
// the same help, the same errors and exit codes, and commands that load their code lazily
// still find it (the chunks, and the checkout's files through repoRoot). And it runs
// without the build tools: `podnet cni install` copies the prebuilt plugin bundles
// (.build/bundles/) instead of bundling (the agent's verb thread: cli/bundle.netns.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES } from '../cni/bundles.js';
import { launcher } from '../cni/install.js';
import { unresolvable, WITHOUT_BUILD_TOOLS } from '../test/no-build-tools.js';

const repo = new URL('..', import.meta.url).pathname;
const bundle = join(repo, '.build', 'cli', 'main.js');
const viaBundle = (args: string[]) => spawnSync(process.execPath, [bundle, ...args], { cwd: repo, encoding: 'utf8' });
const viaTsx = (args: string[]) => spawnSync(process.execPath, ['--import', join(repo, 'node_modules/tsx/dist/loader.mjs'), join(repo, 'cli/main.ts'), ...args], { cwd: repo, encoding: 'utf8' });

describe('the bundled CLI', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build.mjs')], { cwd: repo, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);

  it.each([
    [['--help']],
    [['trace', '--help']],
    [['agent', 'verifier', '--help']],
    [['lab', 'status', '--lab-id', 'nosuchlab1', '--json']],
    [['dashboard', '--port', '0']],
    [['up', '--token-file', '']],
  ])('answers %j as the sources do', (args) => {
    const [a, b] = [viaBundle(args), viaTsx(args)];
    expect({ status: a.status, stdout: a.stdout, stderr: a.stderr }).toEqual({ status: b.status, stdout: b.stdout, stderr: b.stderr });
  });

  it('loads a command that imports lazily (the agent verifier) from its own chunk', () => {
    const r = spawnSync(process.execPath, [bundle, 'agent', 'verifier'], { input: 'a-token-of-enough-length\n', encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readdirSync(join(repo, '.build', 'cli')).filter((f) => f.endsWith('.js')).length).toBeGreaterThan(1); // split, not one file
  });

  it('has no module that imports a build tool (esbuild, tsx), statically or on demand', () => {
    const dir = join(repo, '.build', 'cli');
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    const importsOf = (f: string) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\b(?:from|import|require)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    const all = files.flatMap(importsOf);
    expect(all).toContain('zod'); // the pattern does find imports of packages
    expect(all.filter((i) => /^(esbuild|tsx)(\/|$)/.test(i))).toEqual([]);
  });

  it('holds the bundles cni/bundles.ts names, and only those', () => {
    const built = Object.values(BUNDLES).map((b) => b.built);
    expect(readdirSync(join(repo, '.build', 'bundles')).map((f) => `.build/bundles/${f}`).sort()).toEqual([...built].sort());
  });

  describe('with esbuild and tsx unresolvable', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'podnet-bundle-test-'));
      return () => rmSync(dir, { recursive: true, force: true });
    });
    const install = (cli: string[], binDir: string) => spawnSync(process.execPath, [...WITHOUT_BUILD_TOOLS, ...cli, 'cni', 'install', '--bin-dir', binDir, '--json'], { cwd: repo, encoding: 'utf8' });

    it('installs the prebuilt plugins, which run', () => {
      const binDir = join(dir, 'built');
      const r = install([bundle], binDir);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { shim: boolean };
      const nodePlugin = report.shim ? 'podnet-node' : 'podnet';
      for (const [file, name] of [[nodePlugin, 'podnet'], ['podnet-ipam', 'podnet-ipam']] as const) {
        expect(readFileSync(join(binDir, file), 'utf8')).toBe(launcher(process.execPath) + readFileSync(join(repo, BUNDLES[name].built), 'utf8'));
      }
      const version = spawnSync(join(binDir, 'podnet-ipam'), [], { env: { CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0"}', encoding: 'utf8' });
      expect(version.status, version.stderr).toBe(0);
      expect(JSON.parse(version.stdout)).toMatchObject({ cniVersion: '1.0.0' });
    });

    it('(control) the sources, which bundle on demand, fail the same install', () => {
      // tsx itself is needed to run the sources: only esbuild is out of reach here.
      const r = spawnSync(process.execPath, [...unresolvable(['esbuild']), '--import', join(repo, 'node_modules/tsx/dist/loader.mjs'), join(repo, 'cli/main.ts'), 'cni', 'install', '--bin-dir', join(dir, 'sources')], { cwd: repo, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/esbuild/);
    });
  });
});
