// Helpers the benchmarks (bench/cni.ts, lab.ts, agent.ts, dashboard.ts, trace.ts, cli.ts)
// share for what they measure and print: progress on stderr, nearest-rank statistics,
// plain-text tables and number formatting for stdout, the error classes the harness tells
// apart, the plugin's own "done" times from its log, and a timed child process. Their
// command line, prerequisites and clean-up are bench/harness.ts's.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';

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

/** Bad command-line options: the harness prints the message and the usage, exits 2. */
export class UsageError extends Error {}

/** An expected failure of the bench: the harness prints only the message, no stack. */
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
  const min = xs.length ? Math.min(...xs) : NaN;
  const max = xs.length ? Math.max(...xs) : NaN;
  return { n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), min, max };
}

/** The stat of columns of `rows`, each named as `cols` says: `{ add: 'addMs' }` gives
 *  `{ add: stat(the rows' addMs) }`; a row whose field is not a number (null: not measured) is left out. */
export function columnStats<T, C extends Record<string, keyof T>>(rows: T[], cols: C): { [K in keyof C]: Stat } {
  const col = (k: keyof T) => rows.map((x) => x[k]).filter((x): x is T[keyof T] & number => typeof x === 'number');
  return Object.fromEntries(Object.entries(cols).map(([name, k]) => [name, stat(col(k))])) as { [K in keyof C]: Stat };
}

/** Where and when a run was measured: the start of a bench's JSON meta. */
export interface Machine {
  date: string;
  node: string;
  kernel: string;
  cpus: number;
}

export const machine = (): Machine => ({
  date: new Date().toISOString(),
  node: process.version,
  kernel: release(),
  cpus: cpus().length,
});

// ---------------------------------------------------------------------------------------
// Report: number formatting and tables

export const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
export const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
export const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

/** A plain-text table: the first `leftCols` columns left-aligned, the rest right-aligned. */
export function table(header: string[], body: string[][], leftCols: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i < leftCols ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
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
      if (
        e.msg === `${verb} done` &&
        e.containerID === containerID &&
        (e.plugin === undefined || e.plugin === 'podnet')
      )
        at = Date.parse(e.time);
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
  /** stderr's lines, each with the ms since spawn at which it arrived */
  lines: { at: number; text: string }[];
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** written to its stdin, which is then closed (none: stdin is /dev/null) */
  stdin?: string;
  /** the harness's `children`: the process sits there while it runs, so clean-up can kill it by its pid */
  live?: Set<ChildProcess>;
  /** called with each line of stderr as it arrives (progress) */
  onLine?: (text: string) => void;
}

/** Runs `file` with argv (no shell), collects its output and times it. */
export function runTimed(file: string, args: string[], opts: RunOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: Outcome['lines'] = [];
    const t0 = performance.now();
    const since = () => performance.now() - t0;
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    opts.live?.add(child);
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      const at = since();
      stderr += d;
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const text of parts) {
        lines.push({ at, text });
        opts.onLine?.(text);
      }
    });
    child.on('error', (e) => {
      opts.live?.delete(child);
      reject(e);
    });
    let exitedAt = 0;
    child.on('exit', () => (exitedAt = since()));
    child.on('close', (code, signal) => {
      opts.live?.delete(child);
      if (partial) lines.push({ at: since(), text: partial });
      resolve({
        ms: exitedAt || since(),
        status: code ?? -1,
        stdout,
        stderr: signal ? `${stderr}(killed by ${signal})` : stderr,
        lines,
      });
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  });
}

/** A command that failed, with the last lines of its output. */
export function failRun(what: string, o: Outcome): never {
  const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n    ') || '(empty)';
  throw new BenchFailure(`${what} failed (exit ${o.status})\n  stdout: ${tail(o.stdout)}\n  stderr: ${tail(o.stderr)}`);
}
