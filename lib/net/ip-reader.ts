// A resident `ip -j -d -batch -`: one long-lived iproute2 process per network namespace
// read, fed command by command on its stdin, its JSON answers read back in order. Starting
// `ip` costs more than the kernel's dumps it runs (10–24 ms against ~11 ms at 110 pods), so
// the node agent keeps one and pays only for the dumps.
//
// Why `ip` and not netlink from Node: Node has no AF_NETLINK socket (dgram is UDP only),
// so netlink would need a native addon, built into the image for every architecture, or a
// helper process of our own — which is what `ip` already is, with the JSON the agent reads.
//
// Framing. With -j every `show` prints exactly one line (one JSON array, `[]` when empty)
// and iproute2 flushes it when the command ends; a command that fails prints nothing on
// stdout and, without -force, ends the process. Each request is its commands followed by
// MARKER_COMMAND (`link show dev lo`), whose answer — an array of one link, lo, with no
// addr_info — no address, route, neighbour or nsid dump looks like; the request ends at the
// marker, and any other count of lines before it is a broken framing. So an answer is never
// taken for another's: a request either gets one line per command and the marker, or the
// process is killed (by its pid) and the request answered by a one-shot `ip -batch`.
//
// Failures: if the process exits, cannot start, answers out of frame or not within the
// deadline, it is killed by the pid this class started, the request is run once by a
// one-shot `ip -batch` (the path before this class), and a new resident process is started;
// `onRestart` is told once per run of failures (until a resident answer succeeds again).
// Requests are serialised: one in flight at a time, in call order. The process also ends by
// itself when its stdin closes (iproute2 reads EOF), so it cannot outlive this process.
//
// Nothing from outside reaches a command line: the agent sends constant commands; a caller
// that must name a link or an address uses batchIfname()/batchIpv4() first, and run()
// refuses any line with characters the batch parser treats specially (quotes, '#', '\').
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { formatIpv4, parseIpv4 } from '../model/ipv4.js';
import { validIfname } from '../model/ifname.js';

/** The delimiter sent after each request's commands. */
export const MARKER_COMMAND = 'link show dev lo';
/** No answer within this long (after the request was written) and the process is killed. */
export const RESIDENT_DEADLINE_MS = 2000;
/** A one-shot run that takes this long is killed: only a stuck process meets it. */
const ONE_SHOT_DEADLINE_MS = 10_000;

/** What the batch parser (iproute2's makeargs) leaves as written: words of these characters. */
const SAFE_LINE = /^[A-Za-z0-9][A-Za-z0-9 ._:/@+=-]*$/;
/** A name in /run/netns for `ip -n` (what `ip netns add` accepts, minus leading '-'/'.'). */
const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** An interface name from outside, for a batch line: the kernel's rule (validIfname), and
 *  none of the characters the batch parser would read as quoting, escaping or a comment. */
export function batchIfname(name: string): string {
  if (!validIfname(name) || /["'\\#]/.test(name) || name.startsWith('-'))
    throw new Error(`refusing interface name ${JSON.stringify(name)} in an ip command`);
  return name;
}

/** An IPv4 address from outside, for a batch line: parsed, and written back canonically. */
export function batchIpv4(text: string): string {
  const n = parseIpv4(text);
  if (n === null) throw new Error(`refusing address ${JSON.stringify(text)} in an ip command: not IPv4`);
  return formatIpv4(n);
}

export interface IpReaderOptions {
  /** read this namespace, a name in /run/netns (`ip -n NAME`); default: this process's own */
  netns?: string | null;
  deadlineMs?: number;
  /** told once per run of failures that the resident process was replaced, and why */
  onRestart?: (why: string) => void;
}

export interface IpAnswer {
  /** one line (one JSON array) per command */
  lines: string[];
  /** which path answered */
  via: 'resident' | 'one-shot';
}

class FramingError extends Error {}

interface Pending {
  expect: number;
  lines: string[];
  resolve(lines: string[]): void;
  reject(e: Error): void;
}

/** True when `line` is the marker's answer: one link, lo, without addr_info. */
export function isMarkerAnswer(line: string): boolean {
  if (!line.startsWith('[{') || line.includes('"addr_info"')) return false;
  try {
    const v = JSON.parse(line) as { ifname?: unknown }[];
    return Array.isArray(v) && v.length === 1 && v[0]!.ifname === 'lo';
  } catch {
    return false;
  }
}

function checkLines(lines: readonly string[]): void {
  for (const l of lines)
    if (!SAFE_LINE.test(l) || l === MARKER_COMMAND)
      throw new Error(`refusing ip batch line ${JSON.stringify(l)}: not a plain command`);
}

function ipArgs(netns: string | null): string[] {
  if (netns !== null && !NETNS_NAME.test(netns))
    throw new Error(`refusing network namespace name ${JSON.stringify(netns)}`);
  return [...(netns ? ['-n', netns] : []), '-j', '-d', '-batch', '-'];
}

/** One `ip -j -d -batch -` for these lines (the path before the resident reader). */
export function ipBatchOnce(lines: readonly string[], netns: string | null = null): Promise<string[]> {
  checkLines(lines);
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ipArgs(netns), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), ONE_SHOT_DEADLINE_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.on('error', () => {}); // it exited before reading: its status says why
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.split('\n').filter(Boolean));
      else reject(new Error(`ip -batch: ${err.trim() || (signal ? `killed by ${signal}` : `exit ${code}`)}`));
    });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

export class ResidentIp {
  private readonly netns: string | null;
  private readonly deadlineMs: number;
  private readonly onRestart: (why: string) => void;
  private child: ChildProcess | null = null;
  private pending: Pending | null = null;
  private partial: string[] = [];
  private stderr = '';
  private queue: Promise<unknown> = Promise.resolve();
  private inflight = 0;
  private closed = false;
  private failing = false;
  /** processes started, the first included */
  started = 0;
  /** requests answered by the one-shot path after the resident process failed */
  fallbacks = 0;

  constructor(opts: IpReaderOptions = {}) {
    this.netns = opts.netns ?? null;
    ipArgs(this.netns); // refuses a bad name now, not at the first read
    this.deadlineMs = opts.deadlineMs ?? RESIDENT_DEADLINE_MS;
    this.onRestart = opts.onRestart ?? (() => {});
  }

  /** The pid of the resident `ip` now running, if any (tests kill it by this). */
  get pid(): number | null {
    const c = this.child;
    return c && c.pid !== undefined && c.exitCode === null && c.signalCode === null ? c.pid : null;
  }

  /** Runs `lines` (constant `show` commands), one answer line per command, in order. */
  run(lines: readonly string[]): Promise<IpAnswer> {
    checkLines(lines);
    // With nothing in flight the request is written now, synchronously: a collection's
    // file reads that follow this call then overlap the kernel's dumps.
    const start = () => this.runOne(lines);
    const next = this.inflight === 0 ? start() : this.queue.then(start);
    this.inflight++;
    const settled = next.then(
      () => void this.inflight--,
      () => void this.inflight--,
    );
    this.queue = settled;
    return next;
  }

  /** Kills the resident process (by its pid) and waits for it; later run()s go one-shot. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.stopChild(this.child);
  }

  private async runOne(lines: readonly string[]): Promise<IpAnswer> {
    if (this.closed) return { lines: await ipBatchOnce(lines, this.netns), via: 'one-shot' };
    if (!this.pid) {
      // It died between requests (or never started): a new one, the failure told once.
      if (this.child) this.failed(`exited while idle (${this.exitText(this.child)})`);
      this.spawnChild();
    }
    try {
      const out = await this.ask(lines);
      this.failing = false;
      return { lines: out, via: 'resident' };
    } catch (e) {
      const old = this.child;
      this.failed((e as Error).message);
      await this.stopChild(old);
      if (!this.closed) this.spawnChild();
      this.fallbacks++;
      return { lines: await ipBatchOnce(lines, this.netns), via: 'one-shot' };
    }
  }

  private failed(why: string): void {
    if (!this.failing) this.onRestart(why);
    this.failing = true;
  }

  private exitText(c: ChildProcess): string {
    return c.signalCode ? `killed by ${c.signalCode}` : `exit ${c.exitCode}`;
  }

  private spawnChild(): void {
    const child = spawn('ip', ipArgs(this.netns), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.started++;
    this.partial = [];
    this.stderr = '';
    // Idle, it holds nothing open: a process that forgets close() still exits (and then
    // `ip` reads EOF and exits too). ask() refs stdout while an answer is awaited.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as Socket).unref?.();
    child.stdin!.on('error', () => {}); // EPIPE after it died: its exit says so
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.onData(child, d));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (this.stderr.length < 4096) this.stderr += d;
    });
    const gone = (why: string) => {
      if (this.child === child && this.pending) {
        const p = this.pending;
        this.pending = null;
        p.reject(new Error(`ip -batch ${why}${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`));
      }
    };
    child.on('error', (e) => gone(`could not run (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    child.on('exit', () => gone(`exited (${this.exitText(child)})`));
  }

  private onData(child: ChildProcess, chunk: string): void {
    if (this.child !== child) return;
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      this.partial.push(chunk.slice(start, nl));
      start = nl + 1;
      const line = this.partial.join('');
      this.partial = [];
      this.onLine(line);
    }
    if (start < chunk.length) this.partial.push(chunk.slice(start));
  }

  private onLine(line: string): void {
    const p = this.pending;
    if (!p) {
      // Output no request asked for: the framing is lost. Kill it; the next run() restarts.
      this.failed('printed output between requests');
      this.child?.kill('SIGKILL');
      return;
    }
    if (!isMarkerAnswer(line)) {
      p.lines.push(line);
      if (p.lines.length > p.expect) this.finish(p, new FramingError(`more answers than the ${p.expect} commands`));
      return;
    }
    if (p.lines.length !== p.expect)
      this.finish(p, new FramingError(`${p.lines.length} answers before the marker, expected ${p.expect}`));
    else this.finish(p, null);
  }

  private finish(p: Pending, err: Error | null): void {
    if (this.pending !== p) return;
    this.pending = null;
    if (err) p.reject(err);
    else p.resolve(p.lines);
  }

  private ask(lines: readonly string[]): Promise<string[]> {
    const child = this.child!;
    const stdout = child.stdout as unknown as Socket;
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(
        () => this.finish(p, new Error(`no answer within ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
      const done = () => {
        clearTimeout(timer);
        stdout.unref?.();
      };
      const p: Pending = {
        expect: lines.length,
        lines: [],
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      };
      this.pending = p;
      this.stderr = '';
      stdout.ref?.();
      if (!this.pid) return this.finish(p, new Error(`ip -batch is not running`));
      child.stdin!.write(lines.join('\n') + '\n' + MARKER_COMMAND + '\n');
    });
  }

  /** Kills `child` by the pid this class started it with, and waits until it exited. */
  private async stopChild(child: ChildProcess | null): Promise<void> {
    if (!child) return;
    if (this.child === child) this.child = null;
    if (child.pid === undefined) return;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.ref(); // held until it exited, even where nothing else keeps the loop alive
    child.stdin?.end();
    child.kill('SIGKILL');
    await exited;
  }
}
