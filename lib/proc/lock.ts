// A lock file that survives its holder being killed — the one file lock of podnet: the
// lease store's (lib/ipam/disk-store.ts), the lab inventory's (lab/inventory.ts, which
// `podnet up` takes too). Node has no flock(), and a lock made
// by exclusive create alone goes stale when the holder dies with SIGKILL. So:
// - the lock is published like a lease: a temp file holding the holder's identity is
//   written first, then link(2)ed to the lock's name — atomic, and failing if the name
//   exists — so there is never a lock file that does not say who holds it;
// - the identity is a thread, not a process (./identity.ts): the node agent runs
//   CNI verbs in worker threads, and a thread that died holding the lock while its agent
//   lives on must not wedge every later ADD and DEL;
// - a waiter that finds the holder gone breaks the lock — under a second, short-lived
//   "break" lock, and only if the file is still the one it judged, so two waiters can
//   never both break and both enter. A holder in a PID namespace this /proc cannot see
//   (a DaemonSet agent and a runtime's plugin) is judged by age: it touches the file while
//   it holds it, and one untouched for FOREIGN_STALE_MS is gone. A file that names nobody
//   (empty or garbage: a plugin of an older podnet killed between create and write) is
//   stale after EMPTY_STALE_MS.
import { basename, dirname, join } from 'node:path';
import {
  closeSync,
  futimesSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { currentThread, threadState, type ThreadIdentity } from './identity.js';
import { sleepSync } from './sleep.js';

/** A lock file naming nobody is given this long to be written by an older podnet that
 *  creates it empty and writes it after. */
export const EMPTY_STALE_MS = 2_000;
/** A holder this /proc cannot see is gone when its file has not been touched for this long. */
export const FOREIGN_STALE_MS = 5_000;
/** How often a holder touches its lock file (async holders; a synchronous hold is short). */
const HEARTBEAT_MS = 1_000;
/** How often a waiter scans /proc for a holder in a nested PID namespace. */
const FOREIGN_RESCAN_MS = 250;

export interface LockHolder extends ThreadIdentity {
  /** one per acquisition: tells two holds of one thread apart */
  token: string;
}

export function formatHolder(h: LockHolder): string {
  return `pid=${h.pid} tid=${h.tid} start=${h.start} pidns=${h.pidns} boot=${h.boot} token=${h.token}\n`;
}

/** The holder a lock file names, or null if it names nobody. Also reads the format of
 *  podnet before thread identities ("PID START NONCE", written in our namespace). */
export function parseHolder(text: string): LockHolder | null {
  const kv = new Map<string, string>();
  for (const field of text.trim().split(/\s+/)) {
    const eq = field.indexOf('=');
    if (eq > 0) kv.set(field.slice(0, eq), field.slice(eq + 1));
  }
  const num = (v: string | undefined) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : null);
  const pid = num(kv.get('pid'));
  if (pid !== null) {
    const tid = num(kv.get('tid'));
    const [start, pidns, boot, token] = ['start', 'pidns', 'boot', 'token'].map((k) => kv.get(k));
    if (tid === null || !start || !pidns || !boot || !token) return null;
    return { pid, tid, start, pidns, boot, token };
  }
  const legacy = /^(\d+) (\d+) (\S+)$/.exec(text.trim());
  if (!legacy || num(legacy[1]) === null) return null;
  const self = currentThread();
  return {
    pid: Number(legacy[1]),
    tid: Number(legacy[1]),
    start: legacy[2]!,
    pidns: self.pidns,
    boot: self.boot,
    token: legacy[3]!,
  };
}

/** Is the thread a lock file names still running? (false for a file naming nobody) */
export function holderAlive(text: string): boolean {
  const h = parseHolder(text);
  return h !== null && threadState(h) === 'alive';
}

interface Seen {
  text: string | null;
  ino: number;
  mtimeMs: number;
}

function inspect(path: string): Seen | null {
  let st;
  try {
    st = statSync(path);
  } catch {
    return null; // released while we looked
  }
  let text: string | null;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = null; // unreadable: names nobody
  }
  return { text, ino: st.ino, mtimeMs: st.mtimeMs };
}

const sameFile = (a: Seen, b: Seen | null) =>
  b !== null && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.text === b.text;

/** Publishes `content` at `path` by link(2) from a written temp file. Returns the open
 *  temp file (the same inode as `path`, to touch while held), or null if `path` exists.
 *  The temp file's name starts ".tmp-PID-": the lease store's GC sweeps up one left by a
 *  process killed before it unlinked it. */
function publish(path: string, content: string): number | null {
  const tmp = join(dirname(path), `.tmp-${process.pid}-${basename(path)}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  let linked = false;
  try {
    writeSync(fd, content);
    linkSync(tmp, path);
    linked = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
    if (!linked) closeSync(fd);
  }
  return linked ? fd : null;
}

/** Removes `path` if it is still the file `seen` describes. Only called under the break
 *  lock (or for a break lock judged stale), so nobody else unlinks between the check and
 *  the unlink. */
function unlinkIfSame(path: string, seen: Seen): void {
  if (!sameFile(seen, inspect(path))) return;
  try {
    unlinkSync(path);
  } catch {
    /* gone already */
  }
}

export class LockTimeout extends Error {}

export class FileLock {
  private fd: number | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private foreign: { token: string; at: number; state: 'alive' | 'dead' | 'unseen' } | null = null;

  constructor(readonly path: string) {}

  acquire(timeoutMs = 10_000): void {
    if (this.fd !== null) throw new Error(`lock ${this.path} is already held by this FileLock`);
    const content = formatHolder({ ...currentThread(), token: randomBytes(8).toString('hex') });
    const deadline = Date.now() + timeoutMs;
    let wait = 1;
    for (;;) {
      const fd = publish(this.path, content);
      if (fd !== null) {
        this.fd = fd;
        // Lets a waiter that cannot see our PID namespace tell us from a dead holder.
        this.heartbeat = setInterval(() => {
          const now = new Date();
          try {
            futimesSync(fd, now, now);
          } catch {
            /* closed by release() */
          }
        }, HEARTBEAT_MS);
        this.heartbeat.unref();
        return;
      }
      const seen = inspect(this.path);
      if (seen && this.stale(seen)) {
        this.breakStale(seen, content);
        continue;
      }
      if (Date.now() > deadline) throw new LockTimeout(`lock ${this.path} is held by ${describe(seen)}`);
      sleepSync(wait);
      wait = Math.min(wait * 2, 20);
    }
  }

  /** Does the file name a holder that is gone (or nobody, for long enough)? */
  private stale(seen: Seen): boolean {
    const age = Date.now() - seen.mtimeMs;
    const holder = seen.text === null ? null : parseHolder(seen.text);
    if (!holder) return age > EMPTY_STALE_MS;
    const state = this.stateOf(holder);
    return state === 'dead' || (state === 'unseen' && age > FOREIGN_STALE_MS);
  }

  private stateOf(h: LockHolder): 'alive' | 'dead' | 'unseen' {
    const self = currentThread();
    if (h.pidns === self.pidns || h.boot !== self.boot) return threadState(h, self);
    // Another namespace means a scan of /proc: not on every turn of the wait loop.
    const now = Date.now();
    if (this.foreign?.token !== h.token || now - this.foreign.at > FOREIGN_RESCAN_MS) {
      this.foreign = { token: h.token, at: now, state: threadState(h, self) };
    }
    return this.foreign.state;
  }

  private breakStale(seen: Seen, content: string): void {
    const breakPath = `${this.path}.break`;
    const fd = publish(breakPath, content);
    if (fd === null) {
      // Another waiter is breaking it (microseconds), or died doing so.
      const other = inspect(breakPath);
      if (other && this.stale(other)) unlinkIfSame(breakPath, other);
      else sleepSync(1);
      return;
    }
    const mine = inspect(breakPath);
    try {
      unlinkIfSame(this.path, seen);
    } finally {
      closeSync(fd);
      if (mine) unlinkIfSame(breakPath, mine);
    }
  }

  release(): void {
    if (this.fd === null) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const fd = this.fd;
    this.fd = null;
    try {
      // Only our own file: one broken by a waiter that misjudged us is someone else's now.
      const cur = statSync(this.path, { throwIfNoEntry: false });
      if (cur && cur.ino === fstatSync(fd).ino) unlinkSync(this.path);
    } finally {
      closeSync(fd);
    }
  }
}

function describe(seen: Seen | null): string {
  if (!seen) return 'a process that released it as we looked';
  const h = seen.text === null ? null : parseHolder(seen.text);
  if (!h) return `nobody yet (an empty or unreadable file, ${Math.round((Date.now() - seen.mtimeMs) / 1000)} s old)`;
  return `pid ${h.pid} thread ${h.tid} (PID namespace ${h.pidns}), which is still running`;
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
