// bin/podnet's bundle (scripts/build-cli.mjs → .build/cli/) is the same CLI as the sources:
// the same help, the same errors and exit codes, and commands that load their code lazily
// still find it (the chunks, and the checkout's files through repoRoot).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = new URL('..', import.meta.url).pathname;
const bundle = join(repo, '.build', 'cli', 'main.js');
const viaBundle = (args: string[]) => spawnSync(process.execPath, [bundle, ...args], { cwd: repo, encoding: 'utf8' });
const viaTsx = (args: string[]) => spawnSync(process.execPath, ['--import', join(repo, 'node_modules/tsx/dist/loader.mjs'), join(repo, 'cli/main.ts'), ...args], { cwd: repo, encoding: 'utf8' });

describe('the bundled CLI', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build-cli.mjs')], { cwd: repo, encoding: 'utf8' });
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

  it('imports nothing a user would not have at run time (tsx, esbuild at start-up)', () => {
    const main = readFileSync(bundle, 'utf8');
    expect(main).not.toMatch(/from ["'](tsx|esbuild)["']/);
  });
});
