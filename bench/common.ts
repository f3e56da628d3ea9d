// Helpers the benchmarks (bench/cni.ts, lab.ts, agent.ts, dashboard.ts) share: progress on
// stderr, nearest-rank statistics, plain-text tables and number formatting for stdout, the
// error classes their main() tells apart, and the plugin's own "done" times from its log.
// Each bench keeps its own process running and clean-up: what they spawn, time and remove
// differs.

import { existsSync, readFileSync } from 'node:fs';

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
// The start of every bench's main()

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
