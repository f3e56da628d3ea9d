// A lock file that survives its holder being killed. Node has no flock(), and a lock made
// by exclusive create alone goes stale when the holder dies with SIGKILL. So the file
// records who holds it (pid, that process's start time, a nonce); a waiter that finds the
// holder gone breaks the lock — under a second, short-lived "break" lock, and only if the
// file still holds what it saw, so two waiters can never both break and both enter.
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Start time of a process in clock ticks since boot, or null if it does not exist or
 *  has exited (a zombie nobody has reaped yet is not alive). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function holderAlive(content: string): boolean {
  const [pidText, start] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const actual = processStartTime(pid);
  return actual !== null && actual === start;
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A break file older than this belongs to a breaker that was killed mid-break (the break
 *  itself takes microseconds). */
const BREAK_STALE_MS = 5_000;

export class LockTimeout extends Error {}

export class FileLock {
  private held = false;
  private readonly content: string;

  constructor(readonly path: string) {
    this.content = `${process.pid} ${processStartTime(process.pid) ?? '?'} ${Math.random().toString(16).slice(2, 14)}\n`;
  }

  acquire(timeoutMs = 10_000): void {
    const deadline = Date.now() + timeoutMs;
    let wait = 1;
    for (;;) {
      if (tryCreate(this.path, this.content)) {
        this.held = true;
        return;
      }
      const seen = readOrNull(this.path);
      // A file just created but not yet written reads as empty: give its holder a moment.
      if (seen !== null && seen !== '' && !holderAlive(seen)) this.breakStale(seen);
      if (Date.now() > deadline) {
        throw new LockTimeout(`lock ${this.path} is held by ${seen?.trim() || 'a process that has not written it yet'}`);
      }
      sleepSync(wait);
      wait = Math.min(wait * 2, 20);
    }
  }

  private breakStale(seen: string): void {
    const breakPath = `${this.path}.break`;
    if (!tryCreate(breakPath, this.content)) {
      try {
        if (Date.now() - statSync(breakPath).mtimeMs > BREAK_STALE_MS) unlinkSync(breakPath);
      } catch {
        /* another waiter removed it first */
      }
      return;
    }
    try {
      if (readOrNull(this.path) === seen) unlinkSync(this.path);
    } finally {
      unlinkSync(breakPath);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readOrNull(this.path) === this.content) unlinkSync(this.path);
  }
}

export function withLock<T>(path: string, fn: () => T, timeoutMs?: number): T {
  const lock = new FileLock(path);
  lock.acquire(timeoutMs);
  try {
    return fn();
  } finally {
    lock.release();
  }
}
