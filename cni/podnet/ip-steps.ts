// Kernel work as named steps, each one `ip` command given as argv. Steps whose every word
// ip's batch reader takes as written run together in one `ip -batch` process (the common
// case: one process per namespace, the cost that matters on a 2-core node); a step holding
// any other word — an interface name with "#", a quote, "\" or a byte outside ASCII, all of
// which the kernel accepts — runs as an `ip` of its own with that word in argv, never in
// batch text. A failure names its step and the steps done before it, so a rollback undoes
// by name and reordering steps cannot break it.
import { ip, NetError, type RunOptions } from '../../lib/net/ip.js';

export interface IpStep {
  /** what the step does, for rollback and messages: "add-veth", "route-1"… */
  name: string;
  argv: string[];
  /** the step prints (a `show`): its output is returned under its name */
  prints?: boolean;
}

/** Words ip's batch reader cannot misread: "#" starts a comment anywhere on a line, a
 *  leading quote opens a quoted word, whitespace splits words, "\" joins lines. */
const BATCH_WORD = /^[A-Za-z0-9_.:/@%+=,-]+$/;

export function batchSafe(step: IpStep): boolean {
  return step.argv.every((w) => BATCH_WORD.test(w));
}

export class IpStepFailed extends Error {
  constructor(
    /** the step that failed */
    readonly step: string,
    /** steps that took effect before it (or may have: see runIpSteps) */
    readonly done: string[],
    override readonly cause: NetError,
    /** what printing steps printed before the failure, by step name */
    readonly printed: Map<string, string>,
  ) {
    super(cause.message);
    this.name = 'IpStepFailed';
  }
}

/** Which line of an `ip -batch` failed ("Command failed -:3"), 1-based; 0 if unknown. */
function failedBatchLine(e: NetError): number {
  const m = /Command failed -:(\d+)/.exec(e.stderr);
  return m ? Number(m[1]) : 0;
}

/** Consecutive batch-safe steps, grouped; every other step alone. */
function chunks(steps: IpStep[]): IpStep[][] {
  const out: IpStep[][] = [];
  for (const s of steps) {
    const last = out[out.length - 1];
    if (batchSafe(s) && last && batchSafe(last[0]!)) last.push(s);
    else out.push([s]);
  }
  return out;
}

/**
 * Runs `steps` in order, stopping at the first that fails (IpStepFailed). `flags` go before
 * every command (`-j -d` for JSON shows). Returns what the printing steps printed, by name.
 * When ip fails without saying which batch line failed (the namespace could not be
 * entered), every step of that batch counts as possibly done: undo steps are idempotent.
 */
export function runIpSteps(steps: IpStep[], opts: RunOptions & { flags?: string[] } = {}): Map<string, string> {
  const { flags = [], ...run } = opts;
  const printed = new Map<string, string>();
  const done: string[] = [];
  for (const chunk of chunks(steps)) {
    const batch = chunk.length > 1 || batchSafe(chunk[0]!);
    try {
      const out = batch
        ? ip([...flags, '-batch', '-'], { ...run, input: chunk.map((s) => s.argv.join(' ')).join('\n') + '\n' })
        : ip([...flags, ...chunk[0]!.argv], run);
      assignPrinted(chunk, out, printed);
      done.push(...chunk.map((s) => s.name));
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      const line = batch ? failedBatchLine(e) : 1;
      const failed = line > 0 ? chunk[line - 1]! : chunk[0]!;
      assignPrinted(chunk.slice(0, Math.max(line - 1, 0)), e.stdout, printed);
      done.push(...(line > 0 ? chunk.slice(0, line - 1) : chunk).map((s) => s.name));
      throw new IpStepFailed(failed.name, done, e, printed);
    }
  }
  return printed;
}

/** `ip -j` prints one JSON document per line for each show, in order. */
function assignPrinted(chunk: IpStep[], out: string, printed: Map<string, string>): void {
  const lines = out.split('\n').filter(Boolean);
  for (const s of chunk.filter((x) => x.prints)) {
    const line = lines.shift();
    if (line !== undefined) printed.set(s.name, line);
  }
}
