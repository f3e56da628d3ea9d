// Helpers the benchmarks (bench/cni.ts, lab.ts, agent.ts, dashboard.ts, trace.ts) share:
// progress on stderr, nearest-rank statistics, plain-text tables and number formatting for
// stdout, the error classes their main() tells apart, the plugin's own "done" times from its
// log, a timed child process, and a lab id and namespaces of a bench's own. Each bench keeps
// its own clean-up: what they spawn, time and remove differs.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

// ---------------------------------------------------------------------------------------
// Progress on stderr

const tty = process.stderr.isTTY === true;
let progressOpen = false;

/** A progress line, rewritten in place on a TTY; `final` ends it (and, off a TTY, is the only kind printed). */
export function progress(text: string, final = false): void {
  if (tty) {
    process.stderr.write(`\r\x1b[K${text}${final ? '\n' : ''}`);
    progressOpen = !final;
  } else if (final) process.stderr.write(text + '\n');
}

/** Ends an open progress line, keeping it on screen. */
export function progressDone(): void {
  if (progressOpen) process.stderr.write('\n');
  progressOpen = false;
}

/** A line on stderr after any open progress line, which stays. */
export function say(text: string): void {
  progressDone();
  process.stderr.write(text + '\n');
}

/** A line on stderr in place of any open progress line, which is erased. */
export function sayOver(text: string): void {
  if (progressOpen) process.stderr.write('\r\x1b[K');
  progressOpen = false;
  process.stderr.write(text + '\n');
}

// ---------------------------------------------------------------------------------------
// Errors

/** Bad command-line options: main() prints the message and the usage, exits 2. */
export class UsageError extends Error {}

/** An expected failure of the bench: main() prints only the message, no stack. */
export class BenchFailure extends Error {}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Statistics

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!; // nearest rank
}

export interface Stat {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

/** Count, nearest-rank p50 and p95, min and max; NaN (but n 0) for no samples. */
export function stat(xs: number[]): Stat {
  return { n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), min: xs.length ? Math.min(...xs) : NaN, max: xs.length ? Math.max(...xs) : NaN };
}

// ---------------------------------------------------------------------------------------
// Report: number formatting and tables

export const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

/** A plain-text table: the first `leftCols` columns left-aligned, the rest right-aligned. */
export function table(header: string[], body: string[][], leftCols: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}

/** The wall-clock time of the CNI plugin's "<verb> done" log line for this container in
 *  its log file (the lab's <stateDir>/cni.log), if it has been written. */
export function pluginDone(logFile: string, verb: 'ADD' | 'DEL', containerID: string): number | null {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return null;
  }
  let at: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.includes(containerID) || !line.includes(`"${verb} done"`)) continue;
    try {
      const e = JSON.parse(line) as { time: string; msg: string; containerID?: string; plugin?: string };
      if (e.msg === `${verb} done` && e.containerID === containerID && (e.plugin === undefined || e.plugin === 'podnet')) at = Date.parse(e.time);
    } catch {
      /* a line being written */
    }
  }
  return at;
}

// ---------------------------------------------------------------------------------------
// Child processes, timed

export interface Outcome {
  /** from spawn until the process exited ('close', all pipes shut, can come later when a grandchild holds one) */
  ms: number;
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `file` with argv (no shell) and collects its output. While it runs it sits in `live`,
 *  so the bench's clean-up can kill it by its pid. */
export function runTimed(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; live?: Set<ChildProcess> } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const t0 = performance.now();
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    opts.live?.add(child);
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      opts.live?.delete(child);
      reject(e);
    });
    let exitedAt = 0;
    child.on('exit', () => (exitedAt = performance.now() - t0));
    child.on('close', (code, signal) => {
      opts.live?.delete(child);
      resolve({ ms: exitedAt || performance.now() - t0, status: code ?? -1, stdout, stderr: signal ? `${stderr}(killed by ${signal})` : stderr });
    });
  });
}

/** Kills every child in `live` that still runs (SIGKILL, by its pid), and with `wait` waits
 *  until they are reaped (at most 5 s): a killed `lab up` still a zombie holds the lab lock,
 *  and `lab down` would wait on it. Empties `live`. */
export function killChildren(live: Set<ChildProcess>): void;
export function killChildren(live: Set<ChildProcess>, wait: true): Promise<void>;
export function killChildren(live: Set<ChildProcess>, wait = false): Promise<void> | void {
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

/** A command that failed, with the last lines of its output. */
export function failRun(what: string, o: Outcome): never {
  const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n    ') || '(empty)';
  throw new BenchFailure(`${what} failed (exit ${o.status})\n  stdout: ${tail(o.stdout)}\n  stderr: ${tail(o.stderr)}`);
}

// ---------------------------------------------------------------------------------------
// A lab of the bench's own

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
    if (existsSync(`/run/podnet/${id}`) || benchNamespaces(`podnet-${id}-`).length > 0) continue;
    return id;
  }
  throw new Error('could not find an unused lab id');
}

/** Removes a bench's own namespaces left over (those `benchNamespaces(prefix)` lists) and says so. */
export function sweepNamespaces(prefix: string): void {
  const left = benchNamespaces(prefix);
  if (left.length === 0) return;
  process.stderr.write(`cleanup: removing ${left.length} namespace(s) left over: ${left.slice(0, 5).join(' ')}${left.length > 5 ? ' …' : ''}\n`);
  spawnSync('ip', ['-force', '-batch', '-'], { input: left.map((n) => `netns del ${n}`).join('\n') + '\n', encoding: 'utf8' });
  const still = benchNamespaces(prefix);
  if (still.length) process.stderr.write(`warning: could not remove namespaces: ${still.join(' ')}\n`);
}

// ---------------------------------------------------------------------------------------
// The start of every bench's main()

/** A numeric option: `dflt` when it is absent, else its value — which must be a number (an
 *  integer unless `integer` is false) from `min` to `max`, or a UsageError names the option. */
export function numberOption(name: string, text: string | undefined, dflt: number, min: number, max: number, integer = true): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** Parses the command line: the options, or the exit code to stop with (2 after a usage
 *  error, printed with the usage; 0 after --help, which returns null from `parse`). */
export function parseOrExit<T>(parse: (argv: string[]) => T | null, usage: string): T | number {
  try {
    const opts = parse(process.argv.slice(2));
    if (opts !== null) return opts;
    process.stdout.write(usage + '\n');
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage}\n`);
    return 2;
  }
}

/** Root (when `rootWhy` says why it is needed) and the files a bench runs: null when all
 *  is there, else the exit code (1) after saying what is missing. */
export function missingPrerequisite(rootWhy: string | null, files: string[]): number | null {
  if (rootWhy !== null && process.getuid?.() !== 0) {
    process.stderr.write(`${rootWhy}\n`);
    return 1;
  }
  for (const f of files) {
    if (!existsSync(f)) {
      process.stderr.write(`missing ${f}${f.includes('node_modules') ? ' (run npm ci)' : ''}\n`);
      return 1;
    }
  }
  return null;
}

/** What a bench removes at its end: `cleanup` everything it made (called once more is a
 *  no-op: memoise it), `onExit` the synchronous last resort when the process exits without
 *  `cleanup` having run (an uncaught throw, process.exit), `stopping` what a signal's
 *  message says it does ("taking the lab down"). */
export interface BenchCleanup {
  cleanup(): Promise<void> | void;
  onExit(): void;
  stopping: string;
}

/** Runs a bench's `main` and sets the exit code: its own, or 1 after a failure (printed
 *  without a stack for a BenchFailure). `cleanup` runs after main either way; SIGINT and
 *  SIGTERM stop the bench, run `cleanup` and exit 130 / 143. */
export function runBenchMain(main: () => Promise<number>, c: BenchCleanup): void {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      progressDone();
      process.stderr.write(`\n${sig}: stopping, ${c.stopping}\n`);
      void Promise.resolve()
        .then(() => c.cleanup())
        .finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  process.on('exit', () => c.onExit());
  const end = async (code: number, failure: unknown) => {
    if (interrupted) return; // the signal handler cleans up, reports and exits
    progressDone();
    try {
      await c.cleanup();
    } catch (e) {
      process.stderr.write(`cleanup failed: ${(e as Error)?.stack ?? String(e)}\n`);
      code = 1;
    }
    if (interrupted) return;
    if (failure !== null) process.stderr.write(`bench failed: ${failure instanceof BenchFailure ? failure.message : ((failure as Error)?.stack ?? String(failure))}\n`);
    process.exitCode = code;
  };
  main().then(
    (code) => end(code, null),
    (e: unknown) => end(1, e ?? new Error('unknown failure')),
  );
}
