// The one harness every bench runs in (bench/agent.ts, cli.ts, cni.ts, dashboard.ts,
// lab.ts, trace.ts): its command line (--json and -h/--help added to the bench's own
// options), its prerequisites (root, the files it runs), and the clean-up of everything it
// made. A bench registers each thing as it makes it — a child process, a lab, a namespace
// prefix, a temp dir, a step of its own — so that the end, a failure, SIGINT/SIGTERM or,
// as the last resort, the process's exit removes exactly what exists at that moment, in
// one order: the bench's own steps, then its processes (killed by their pid, never by
// name, and reaped: a killed `lab up` still a zombie holds the lab lock), then its labs
// (`bin/podnet lab down --lab-id`), then whatever namespaces, state and temp dirs are left.

import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BenchFailure, UsageError, progressDone, say, sleep } from './common.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PODNET_BIN = join(REPO, 'bin', 'podnet');
/** where `--lab-id ID` keeps its files (lab/paths.ts); a bench's ids all start with "b" */
const labStateDir = (id: string) => `/run/podnet/${id}`;

// ---------------------------------------------------------------------------------------
// The command line

export type OptionSpec = Record<string, { type: 'string' } | { type: 'boolean' }>;

/** parseArgs's values for `S`, with the --json every bench has. */
export type OptionValues<S extends OptionSpec> = {
  [K in keyof S]?: S[K] extends { type: 'string' } ? string : boolean;
} & { json: boolean };

/** A numeric option: `dflt` when it is absent, else its value — which must be a number (an
 *  integer unless `integer` is false) from `min` to `max`, or a UsageError names the option. */
export function numberOption(
  name: string,
  text: string | undefined,
  dflt: number,
  min: number,
  max: number,
  integer = true,
): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${text}"`,
    );
  }
  return n;
}

/** The options, or the exit code to stop with: 0 after printing the usage for --help, 2
 *  after a usage error (unknown option, a positional, or what `parse` throws). */
function parseCommandLine<S extends OptionSpec, O>(spec: BenchSpec<S, O>): O | number {
  try {
    const options: NonNullable<ParseArgsConfig['options']> = {
      ...spec.options,
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    };
    const { values } = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(spec.usage + '\n');
      return 0;
    }
    return spec.parse(values as unknown as OptionValues<S>);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${spec.usage}\n`);
    return 2;
  }
}

/** Root (when `root` says why it is needed) and the files a bench runs: null when all is
 *  there, else the exit code (1) after saying what is missing. */
function missingPrerequisite(needs: Needs): number | null {
  if (needs.root !== null && process.getuid?.() !== 0) {
    process.stderr.write(`${needs.root}\n`);
    return 1;
  }
  for (const f of needs.files) {
    if (!existsSync(f)) {
      process.stderr.write(`missing ${f}${f.includes('node_modules') ? ' (run npm ci)' : ''}\n`);
      return 1;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Namespaces and labs of a bench's own

/** The network namespaces whose names start with `prefix` — only a bench's own
 *  (`podnet-b…`): any other prefix matches nothing, so clean-up never touches another lab. */
export function benchNamespaces(prefix: string): string[] {
  if (!prefix.startsWith('podnet-b')) return [];
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** A lab id `<start><hex>` of 7 characters that no namespace or state dir on this machine uses yet. */
export function freshLabId(start = 'b'): string {
  for (let i = 0; i < 100; i++) {
    const id = `${start}${randomBytes(3).toString('hex')}`.slice(0, 7);
    if (existsSync(labStateDir(id)) || benchNamespaces(`podnet-${id}-`).length > 0) continue;
    return id;
  }
  throw new Error('could not find an unused lab id');
}

/** Removes a bench's own namespaces left over (those `benchNamespaces(prefix)` lists) and says so. */
function sweepNamespaces(prefix: string): void {
  const left = benchNamespaces(prefix);
  if (left.length === 0) return;
  process.stderr.write(
    `cleanup: removing ${left.length} namespace(s) left over: ${left.slice(0, 5).join(' ')}${left.length > 5 ? ' …' : ''}\n`,
  );
  spawnSync('ip', ['-force', '-batch', '-'], {
    input: left.map((n) => `netns del ${n}`).join('\n') + '\n',
    encoding: 'utf8',
  });
  const still = benchNamespaces(prefix);
  if (still.length) process.stderr.write(`warning: could not remove namespaces: ${still.join(' ')}\n`);
}

/** The environment a user's shell gives bin/podnet, without any PODNET_* of ours: every
 *  call names its lab with --lab-id. */
export function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PODNET_')));
}

/** `bin/podnet lab down --lab-id ID`, synchronously (it also runs at exit), saying so. */
function labDownCli(id: string): void {
  say(`cleanup: bin/podnet lab down --lab-id ${id}`);
  const r = spawnSync(PODNET_BIN, ['lab', 'down', '--lab-id', id], {
    cwd: REPO,
    env: userEnv(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    process.stderr.write(
      `cleanup: lab down --lab-id ${id} exited ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join('\n')}\n`,
    );
}

// ---------------------------------------------------------------------------------------
// Child processes

/** Kills every child in `live` that still runs (SIGKILL, by its pid), and with `wait` waits
 *  until they are reaped (at most 5 s): a killed `lab up` still a zombie holds the lab lock,
 *  and `lab down` would wait on it. Empties `live`. */
function killChildren(live: Set<ChildProcess>): void;
function killChildren(live: Set<ChildProcess>, wait: true): Promise<void>;
function killChildren(live: Set<ChildProcess>, wait = false): Promise<void> | void {
  const running = [...live].filter((c) => c.exitCode === null && c.signalCode === null);
  live.clear();
  const reaped = wait ? running.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve()))) : [];
  for (const c of running) {
    try {
      if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (!wait) return;
  return (async () => {
    if (running.length === 0) return;
    await Promise.race([Promise.all(reaped), sleep(5000)]);
    await sleep(200); // the killed ones' own short-lived children (ip, nsenter, plugins) finish
  })();
}

// ---------------------------------------------------------------------------------------
// What a bench made, and its removal

/** A bench's own way to remove something: `cleanup` at the end, after a failure or a
 *  signal; `onExit`, the synchronous last resort, when the process exits without
 *  `cleanup` having run. */
export interface Teardown {
  cleanup(): Promise<void> | void;
  onExit(): void;
}

/** What clean-up removes: what a bench registers as it makes it. One per process (`harness`). */
export class Harness {
  /** the processes the bench started and waits on: killed by their pid, and reaped */
  readonly children = new Set<ChildProcess>();
  private readonly steps: Teardown[] = [];
  private readonly labs = new Map<string, Teardown | null>();
  private readonly prefixes = new Set<string>();
  /** labs' state dirs (/run/podnet/<id>), removed if their take-down left them */
  private readonly stateDirs = new Set<string>();
  private readonly dirs = new Set<string>();
  private cleaning: Promise<void> | null = null;

  /** A temp dir `$TMPDIR/podnet-bench-<name>-…`, removed at clean-up. */
  tempDir(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), `podnet-bench-${name}-`));
    this.dirs.add(dir);
    return dir;
  }

  /** Namespaces `<prefix>…` (a bench's own, `podnet-b…`) that clean-up removes if any are left. */
  namespaces(prefix: string): void {
    this.prefixes.add(prefix);
  }

  /** A lab the bench is about to build (register before `lab up`: a cut-short one is taken
   *  down too): clean-up takes it down — with `takeDown`, else `bin/podnet lab down
   *  --lab-id` — then removes its namespaces and `/run/podnet/<id>` if any are left. */
  lab(id: string, takeDown: Teardown | null = null): void {
    if (!id.startsWith('b')) throw new Error(`a bench's lab id starts with "b", got "${id}"`);
    this.labs.set(id, takeDown);
    this.prefixes.add(`podnet-${id}-`);
    this.stateDirs.add(labStateDir(id));
  }

  /** The lab is down (the bench took it down itself): clean-up need not run lab down again,
   *  only sweep what may be left of it. */
  labIsDown(id: string): void {
    if (this.labs.has(id)) this.labs.set(id, { cleanup: () => {}, onExit: () => {} });
  }

  /** A step of the bench's own (close a browser, stop servers, end streams), run before the
   *  processes are killed and the labs taken down; steps run last-registered first. */
  onCleanup(step: Teardown): void {
    this.steps.unshift(step);
  }

  /** Removes everything registered; runs once (a second call returns the first's promise).
   *  A part that throws does not stop the rest (a lab is still taken down when closing the
   *  browser failed); the first error is thrown at the end. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      const errors: unknown[] = [];
      const attempt = async (part: () => Promise<void> | void) => {
        try {
          await part();
        } catch (e) {
          errors.push(e);
        }
      };
      for (const s of this.steps) await attempt(() => s.cleanup());
      await attempt(() => killChildren(this.children, true));
      for (const [id, takeDown] of [...this.labs].reverse()) {
        await attempt(() => (takeDown ? takeDown.cleanup() : labDownCli(id)));
      }
      this.sweep();
      if (errors.length) throw errors[0];
    })();
    return this.cleaning;
  }

  /** The last resort, when the process exits without cleanup() having run: all synchronous. */
  onExit(): void {
    if (this.cleaning) return;
    for (const s of this.steps) s.onExit();
    killChildren(this.children);
    for (const [id, takeDown] of [...this.labs].reverse()) takeDown ? takeDown.onExit() : labDownCli(id);
    this.sweep();
  }

  private sweep(): void {
    this.labs.clear();
    for (const p of this.prefixes) sweepNamespaces(p);
    for (const d of this.stateDirs) {
      if (!existsSync(d)) continue;
      process.stderr.write(`cleanup: removing ${d} left over\n`);
      rmSync(d, { recursive: true, force: true });
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}

/** The bench's harness: a bench is one process. */
export const harness = new Harness();

// ---------------------------------------------------------------------------------------
// A bench's main

export interface Needs {
  /** why the bench must run as root, or null when these options need no root */
  root: string | null;
  /** the files it runs */
  files: string[];
}

export interface BenchSpec<S extends OptionSpec, O> {
  usage: string;
  /** the bench's own options (--json and -h/--help are added) */
  options: S;
  /** its options from the parsed values; a UsageError for a bad one */
  parse(values: OptionValues<S>): O;
  /** what it needs to run with these options; null: nothing (it only prints) */
  needs(opts: O): Needs | null;
  /** what clean-up does, as a signal's message says it ("taking the lab down") */
  stopping: string;
  /** the measurements, registering with `harness` what they make; the exit code */
  run(opts: O): Promise<number>;
}

/** Runs a bench: parses its command line, checks what it needs, runs it and sets the exit
 *  code — its own, or 1 after a failure (printed without a stack for a BenchFailure). The
 *  harness's clean-up runs after `run` either way; SIGINT and SIGTERM stop the bench, run
 *  it and exit 130 / 143; at exit, whatever it had no time for is removed synchronously. */
export function runBench<S extends OptionSpec, O>(spec: BenchSpec<S, O>): void {
  const h = harness;
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      progressDone();
      process.stderr.write(`\n${sig}: stopping, ${spec.stopping}\n`);
      void h.cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  process.on('exit', () => h.onExit());
  const end = async (code: number, failure: unknown) => {
    if (interrupted) return; // the signal handler cleans up, reports and exits
    progressDone();
    try {
      await h.cleanup();
    } catch (e) {
      process.stderr.write(`cleanup failed: ${(e as Error)?.stack ?? String(e)}\n`);
      code = 1;
    }
    if (interrupted) return;
    if (failure !== null)
      process.stderr.write(
        `bench failed: ${failure instanceof BenchFailure ? failure.message : ((failure as Error)?.stack ?? String(failure))}\n`,
      );
    process.exitCode = code;
  };
  const main = async (): Promise<number> => {
    const opts = parseCommandLine(spec);
    if (typeof opts === 'number') return opts;
    const needs = spec.needs(opts);
    const missing = needs && missingPrerequisite(needs);
    if (missing) return missing;
    return spec.run(opts);
  };
  main().then(
    (code) => end(code, null),
    (e: unknown) => end(1, e ?? new Error('unknown failure')),
  );
}
