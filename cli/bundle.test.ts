// bin/podnet's bundle (scripts/build.mjs → .build/cli/) is the same CLI as the sources:
// the same help, the same errors and exit codes, and commands that load their code lazily
// still find it (the chunks, and the checkout's files through repoRoot). And it runs
// without the build tools: `podnet cni install` copies the prebuilt plugin bundles
// (.build/bundles/) instead of bundling (the agent's verb thread: cli/bundle.netns.test.ts).
// And a command loads only what it uses: --help the command table alone, lab status no
// agent, trace engine or dashboard (what each loads is recorded by a module hook).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLES } from '../cni/bundles.js';
import { launcher } from '../cni/install.js';
import { loadedFiles, recordingLoads } from '../test/loaded-modules.js';
import { unresolvable, WITHOUT_BUILD_TOOLS } from '../test/no-build-tools.js';

const repo = new URL('..', import.meta.url).pathname;
const bundle = join(repo, '.build', 'cli', 'main.js');
const viaBundle = (args: string[]) => spawnSync(process.execPath, [bundle, ...args], { cwd: repo, encoding: 'utf8' });
const viaTsx = (args: string[]) =>
  spawnSync(
    process.execPath,
    ['--import', join(repo, 'node_modules/tsx/dist/loader.mjs'), join(repo, 'cli/main.ts'), ...args],
    { cwd: repo, encoding: 'utf8' },
  );

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
    const shown = (r: typeof a) => ({ status: r.status, stdout: r.stdout, stderr: r.stderr });
    expect(shown(a)).toEqual(shown(b));
  });

  it('loads a command that imports lazily (the agent verifier) from its own chunk', () => {
    const r = spawnSync(process.execPath, [bundle, 'agent', 'verifier'], {
      input: 'a-token-of-enough-length\n',
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readdirSync(join(repo, '.build', 'cli')).filter((f) => f.endsWith('.js')).length).toBeGreaterThan(1); // split, not one file
  });

  it('has no module that imports a build tool (esbuild, tsx), statically or on demand', () => {
    const dir = join(repo, '.build', 'cli');
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    const importsOf = (f: string) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/\b(?:from|import|require)\s*\(?\s*["']([^"']+)["']/g)].map(
        (m) => m[1]!,
      );
    const all = files.flatMap(importsOf);
    expect(all).toContain('zod'); // the pattern does find imports of packages
    expect(all.filter((i) => /^(esbuild|tsx)(\/|$)/.test(i))).toEqual([]);
  });

  it('holds the bundles cni/bundles.ts names, and only those', () => {
    const built = Object.values(BUNDLES).map((b) => b.built);
    expect(
      readdirSync(join(repo, '.build', 'bundles'))
        .map((f) => `.build/bundles/${f}`)
        .sort(),
    ).toEqual([...built].sort());
  });

  describe('loads only what the command uses', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'podnet-loads-test-'));
      return () => rmSync(dir, { recursive: true, force: true });
    });
    let runs = 0;
    /** The chunks of .build/cli/ a run loads, and the source files they were built from
     *  (their source maps say, minified or not). */
    const loads = (args: string[], input?: string) => {
      const file = join(dir, `loads-${++runs}.txt`);
      const r = spawnSync(process.execPath, [...recordingLoads(file), bundle, ...args], {
        cwd: repo,
        input,
        encoding: 'utf8',
      });
      const chunks = loadedFiles(file).filter((f) => f.startsWith(join(repo, '.build', 'cli') + '/'));
      const sources = chunks.flatMap((c) =>
        (JSON.parse(readFileSync(`${c}.map`, 'utf8')) as { sources: string[] }).sources.map((s) =>
          relative(repo, join(dirname(c), s)),
        ),
      );
      return {
        status: r.status,
        stdout: r.stdout,
        chunks: new Set(chunks),
        sources: new Set(sources),
        text: chunks.map((c) => readFileSync(c, 'utf8')).join('\n'),
      };
    };
    const labStatus = () => loads(['lab', 'status', '--lab-id', 'nosuchlab1']);
    // The lab's build, its agents, the plugins' install, the trace engine, the dashboard's
    // process and key, and every command's run: implementation, which --help never needs.
    const IMPLEMENTATION =
      /^(lab|agent|cni|server|lib\/(trace|agent|kube|proc|firewall|net))\/|^cli\/dashboard-(process|key)\.ts$|-run\.ts$|^cli\/commands\/lab-(status|call)\.ts$/;

    it.each([[['--help']], [['lab', 'status', '--help']], [['trace', '--help']]])(
      '%j loads the command table and no implementation',
      (args) => {
        const help = loads(args);
        expect(help.status).toBe(0);
        expect(help.sources).toContain('cli/commands/index.ts');
        expect([...help.sources].filter((s) => IMPLEMENTATION.test(s))).toEqual([]);
        expect(help.text).not.toContain('nothing changed'); // lab up's message, in its run
        const status = labStatus();
        expect(status.status).toBe(1); // no such lab: it ran
        expect([...help.chunks].filter((c) => !status.chunks.has(c))).toEqual([]);
        expect(status.chunks.size).toBeGreaterThan(help.chunks.size); // and the run came on top
      },
    );

    it('runs lab status from the inventory alone: no agent, trace engine, lab build or dashboard', () => {
      const status = labStatus();
      expect(status.sources).toContain('lab/inventory.ts'); // what it reads: the sources are seen
      const heavy = [...status.sources].filter((s) =>
        /^(agent|lib\/agent|lib\/trace|lib\/kube|cni|server)\/|^lab\/(lab|agents|check|faults)\.ts$|^cli\/dashboard-process\.ts$|^cli\/commands\/(lab|trace|agent|dashboard|up)-run\.ts$/.test(
          s,
        ),
      );
      expect(heavy).toEqual([]);
    });

    it("(control) a command that does use them loads them: trace its engine, the verifier the agent's credentials", () => {
      const traced = loads(['trace', 'web-1', 'web-2', '--lab-id', 'nosuchlab1']);
      expect(traced.status).toBe(1); // no such lab, found after the engine loaded
      expect(traced.sources).toContain('lib/trace/run.ts');
      const verifier = loads(['agent', 'verifier'], 'a-token-of-enough-length\n');
      expect(verifier.status).toBe(0);
      expect(verifier.sources).toContain('agent/credentials.ts');
      expect(verifier.sources).not.toContain('agent/agent.ts');
    });
  });

  describe('with esbuild and tsx unresolvable', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'podnet-bundle-test-'));
      return () => rmSync(dir, { recursive: true, force: true });
    });
    const install = (cli: string[], binDir: string) =>
      spawnSync(process.execPath, [...WITHOUT_BUILD_TOOLS, ...cli, 'cni', 'install', '--bin-dir', binDir, '--json'], {
        cwd: repo,
        encoding: 'utf8',
      });

    it('installs the prebuilt plugins, which run', () => {
      const binDir = join(dir, 'built');
      const r = install([bundle], binDir);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { shim: boolean };
      const nodePlugin = report.shim ? 'podnet-node' : 'podnet';
      for (const [file, name] of [
        [nodePlugin, 'podnet'],
        ['podnet-ipam', 'podnet-ipam'],
      ] as const) {
        expect(readFileSync(join(binDir, file), 'utf8')).toBe(
          launcher(process.execPath) + readFileSync(join(repo, BUNDLES[name].built), 'utf8'),
        );
      }
      const version = spawnSync(join(binDir, 'podnet-ipam'), [], {
        env: { CNI_COMMAND: 'VERSION' },
        input: '{"cniVersion":"1.0.0"}',
        encoding: 'utf8',
      });
      expect(version.status, version.stderr).toBe(0);
      expect(JSON.parse(version.stdout)).toMatchObject({ cniVersion: '1.0.0' });
    });

    it('(control) the sources, which bundle on demand, fail the same install', () => {
      // tsx itself is needed to run the sources: only esbuild is out of reach here.
      const r = spawnSync(
        process.execPath,
        [
          ...unresolvable(['esbuild']),
          '--import',
          join(repo, 'node_modules/tsx/dist/loader.mjs'),
          join(repo, 'cli/main.ts'),
          'cni',
          'install',
          '--bin-dir',
          join(dir, 'sources'),
        ],
        { cwd: repo, encoding: 'utf8' },
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/esbuild/);
    });
  });
});
