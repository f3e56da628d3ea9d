// CLI start-up benchmark (issue 11): how long `bin/podnet --help` and `bin/podnet lab
// status` take to answer, run as a user runs them — bin/podnet with the bundle
// (.build/cli/, scripts/build.mjs), the same commands through tsx (what bin/podnet runs
// when the bundle is stale or missing), and `node -e 0` beside them for the floor. The
// runs are interleaved, so machine noise hits every method alike. See bench/README.md.
//
//   node --import ./node_modules/tsx/dist/loader.mjs bench/cli.ts [--rounds N] [--json]
//
// Reads nothing but a lab that does not exist (`lab status --lab-id` of a fresh id):
// it creates no namespace and no file, and starts no server.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchFailure, f0, f1, progress, stat, table, type Stat } from './common.js';
import { freshLabId, numberOption, runBench, type OptionValues } from './harness.js';

const USAGE = `usage: node --import ./node_modules/tsx/dist/loader.mjs bench/cli.ts [options]

Times bin/podnet's start-up: "--help" and "lab status" (of a lab that does not exist) with
the bundle (.build/cli/, made by scripts/build.mjs), the same through tsx, and
"node -e 0" for the floor; interleaved, --rounds times each. Targets (issue 11): p50 within
200 ms for bin/podnet --help and lab status.

options:
  --rounds N    runs per method and command (default 30)
  --json        print the results as JSON on stdout (progress goes to stderr)
  -h, --help    this text`;

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(REPO, '.build', 'cli', 'main.js');
const TSX = join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs');

const OPTIONS = { rounds: { type: 'string' } } as const;

function parseOptions(values: OptionValues<typeof OPTIONS>): { rounds: number; json: boolean } {
  return { rounds: numberOption('rounds', values.rounds, 30, 1, 1000), json: values.json };
}

interface Method {
  name: string;
  argv: (args: string[]) => string[];
}

async function main(parsed: { rounds: number; json: boolean }): Promise<number> {
  if (!existsSync(BUNDLE))
    throw new BenchFailure(`no bundle at ${BUNDLE}: run "node scripts/build.mjs" (or scripts/setup) first`);
  const labId = freshLabId('bc');
  const commands: Record<string, string[]> = {
    '--help': ['--help'],
    'lab status': ['lab', 'status', '--lab-id', labId],
  };
  const methods: Method[] = [
    { name: 'bin/podnet (bundle)', argv: (a) => [join(REPO, 'bin', 'podnet'), ...a] },
    { name: 'node bundle (no sh)', argv: (a) => [process.execPath, BUNDLE, ...a] },
    { name: 'tsx (sources)', argv: (a) => [process.execPath, '--import', TSX, join(REPO, 'cli', 'main.ts'), ...a] },
  ];
  const floor = [process.execPath, '-e', '0'];
  // A bundle older than its sources makes bin/podnet fall back to tsx: that would be measured as the bundle.
  const check = spawnSync(
    'find',
    [
      'cli',
      'lab',
      'lib',
      'agent',
      'cni',
      '-newer',
      BUNDLE,
      '-name',
      '*.ts',
      '!',
      '-name',
      '*.test.ts',
      '-print',
      '-quit',
    ],
    { cwd: REPO, encoding: 'utf8' },
  );
  if (check.stdout.trim())
    throw new BenchFailure(
      `the bundle is older than ${check.stdout.trim()}: rebuild it (npm run build, or node scripts/build.mjs)`,
    );

  const times = new Map<string, number[]>();
  const run = (key: string, argv: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: REPO, encoding: 'utf8' });
    const ms = performance.now() - t0;
    // lab status of a lab that is not up answers 1 by design; anything else is a failure.
    if (r.error || (r.status !== 0 && !(key.includes('lab status') && r.status === 1)))
      throw new BenchFailure(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
    times.set(key, [...(times.get(key) ?? []), ms]);
  };
  for (let i = 0; i < parsed.rounds; i++) {
    progress(`round ${i + 1}/${parsed.rounds}`);
    const order = [...methods.keys()];
    order.push(order.shift()!); // rotate, so no method always runs first
    for (const [name, args] of Object.entries(commands))
      for (const m of order.map((k) => methods[k]!)) run(`${m.name}|${name}`, m.argv(args));
    run('node -e 0|', floor);
  }
  progress('', true);
  const floorStat = stat(times.get('node -e 0|')!);
  const rows: { method: string; command: string; stat: Stat }[] = [];
  for (const [key, xs] of times) {
    const [method, command] = key.split('|') as [string, string];
    rows.push({ method, command, stat: stat(xs) });
  }
  const tsxOf = (command: string) => rows.find((r) => r.method === 'tsx (sources)' && r.command === command)!.stat;
  if (parsed.json) {
    console.log(
      JSON.stringify({
        machine: { cpus: cpus().length, load: loadavg(), kernel: release(), node: process.version },
        rounds: parsed.rounds,
        rows,
      }),
    );
    return 0;
  }
  console.log(
    `bin/podnet start-up, ${parsed.rounds} rounds (ms; ${cpus().length} cores, load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')})\n`,
  );
  console.log(
    table(
      ['method', 'command', 'p50', 'p95', '÷ node -e 0 (p50)', '÷ tsx (p50)'],
      rows.map((r) => [
        r.method,
        r.command || '-',
        f0(r.stat.p50),
        f0(r.stat.p95),
        f1(r.stat.p50 / floorStat.p50),
        r.command ? f1(r.stat.p50 / tsxOf(r.command).p50) : '-',
      ]),
      2,
    ),
  );
  const target = rows
    .filter((r) => r.method === 'bin/podnet (bundle)')
    .map((r) => `${r.command} p50 ${f0(r.stat.p50)} ms: ${r.stat.p50 <= 200 ? 'met' : 'MISSED'} (target ≤ 200 ms)`);
  console.log(`\n${target.join('\n')}`);
  return 0;
}

runBench({
  usage: USAGE,
  options: OPTIONS,
  parse: parseOptions,
  needs: () => null,
  stopping: 'nothing to clean up',
  run: main,
});
