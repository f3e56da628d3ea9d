// Who a process — or one thread of it — is, in a way that survives PID reuse and worker
// threads: the PID and thread id as this /proc shows them, the thread's start time (clock
// ticks since boot), the PID namespace those numbers belong to, and the boot they belong
// to. The file lock records it (./lock.ts); the lab and `podnet up` record pid + start
// time of the processes they start (ProcessRecord).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readProcStat } from './stat.js';

/** Start time (clock ticks since boot) of a task — a process, or with `tid` one thread of
 *  it — or null if it does not exist or has exited (a zombie nobody reaped is not alive). */
export function taskStartTime(pid: number, tid?: number): string | null {
  const stat = readProcStat(pid, tid);
  return !stat || stat.state === 'Z' || stat.state === 'X' ? null : stat.startTime;
}

/** Start time of a process in clock ticks since boot, or null if it is gone. */
export const processStartTime = (pid: number): string | null => taskStartTime(pid);

/** A process as whoever started it recorded it: the PID, and the start time that tells it
 *  from a later process given the same PID. The lab's inventory holds these for its
 *  builder and agents; `podnet up` writes them to PID files. */
export interface ProcessRecord {
  pid: number;
  /** null when the process had already exited when it was recorded */
  start: string | null;
}

export const recordProcess = (pid: number): ProcessRecord => ({ pid, start: processStartTime(pid) });

/** Is the recorded process still the one running under its PID? The only question to ask
 *  before signalling a PID read from a file: a recycled PID is somebody else's process. */
export function stillRunning(r: ProcessRecord | null | undefined): boolean {
  return !!r && r.start !== null && processStartTime(r.pid) === r.start;
}

/** A PID file's line: "PID START". */
export const formatPidFile = (r: ProcessRecord): string => `${r.pid} ${r.start ?? '-'}\n`;

/** The record a PID file holds, or null for anything else (a missing or garbled file). */
export function readPidFile(text: string): ProcessRecord | null {
  const m = /^(\d+) (\d+|-)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) return null;
  return { pid: Number(m[1]), start: m[2] === '-' ? null : m[2]! };
}

function readOr(path: string, read: (p: string) => string, fallback: string): string {
  try {
    return read(path).trim();
  } catch {
    return fallback;
  }
}

let boot: string | null = null;
/** This boot's id: a PID, a start time or a namespace inode means nothing across boots. */
export function bootId(): string {
  boot ??= readOr('/proc/sys/kernel/random/boot_id', (p) => readFileSync(p, 'utf8'), 'unknown');
  return boot;
}

/** The PID namespace a `/proc/…/ns/pid` link names, as its inode number ("4026531836"). */
function nsInode(link: string): string | null {
  return /^pid:\[(\d+)\]$/.exec(readOr(link, readlinkSync, ''))?.[1] ?? null;
}

export interface ThreadIdentity {
  pid: number;
  /** the thread's id; equal to pid on a process's main thread */
  tid: number;
  /** the thread's start time, clock ticks since boot */
  start: string;
  /** inode of the PID namespace pid and tid are numbers in */
  pidns: string;
  boot: string;
}

/** The calling thread (a worker thread has its own tid). Synchronous fs calls run on the
 *  calling thread, so /proc/thread-self names it. Computed per call: cheap, and a module
 *  cache would be per-thread anyway. */
export function currentThread(): ThreadIdentity {
  const m = /^(\d+)\/task\/(\d+)$/.exec(readOr('/proc/thread-self', readlinkSync, ''));
  const pid = m ? Number(m[1]) : process.pid;
  const tid = m ? Number(m[2]) : process.pid;
  return {
    pid,
    tid,
    start: taskStartTime(pid, tid) ?? '?',
    pidns: nsInode('/proc/self/ns/pid') ?? '?',
    boot: bootId(),
  };
}

/** Whether a thread recorded by currentThread() still runs:
 *  - 'alive' / 'dead' when this machine's /proc can tell;
 *  - 'unseen' when it was recorded in a PID namespace none of whose processes this /proc
 *    shows — a sibling or parent namespace (an agent's container and a runtime's plugin),
 *    or one that has ended: nothing here can tell which. */
export function threadState(t: ThreadIdentity, self: ThreadIdentity = currentThread()): 'alive' | 'dead' | 'unseen' {
  if (t.boot !== self.boot) return 'dead';
  if (t.pidns === self.pidns) return taskStartTime(t.pid, t.tid) === t.start ? 'alive' : 'dead';
  return foreignThreadState(t);
}

/** The last number of an NSpid line: the id inside the task's own (innermost) namespace. */
function innermostId(statusPath: string): number | null {
  const line = /^NSpid:\s*([\d\s]+)$/m.exec(readOr(statusPath, (p) => readFileSync(p, 'utf8'), ''));
  const ids = line?.[1]!.trim().split(/\s+/).map(Number);
  return ids?.length ? ids[ids.length - 1]! : null;
}

/** A task from a namespace nested in ours: find it by its innermost ids (NSpid). Start
 *  times are ticks since boot, the same from every PID namespace. */
function foreignThreadState(t: ThreadIdentity): 'alive' | 'dead' | 'unseen' {
  let seenNamespace = false;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || nsInode(`/proc/${name}/ns/pid`) !== t.pidns) continue;
    seenNamespace = true;
    if (innermostId(`/proc/${name}/status`) !== t.pid) continue;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${name}/task`);
    } catch {
      return 'dead'; // exited while we looked
    }
    for (const task of tasks) {
      if (innermostId(`/proc/${name}/task/${task}/status`) !== t.tid) continue;
      return taskStartTime(Number(name), Number(task)) === t.start ? 'alive' : 'dead';
    }
    return 'dead';
  }
  return seenNamespace ? 'dead' : 'unseen';
}
