// The lease lock against real processes, threads and PID namespaces on real files: a
// holder that died in any way a plugin or an agent's verb thread can die is broken within
// seconds, and two live contenders still exclude each other.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentThread, processStartTime } from './identity.js';
import {
  EMPTY_STALE_MS,
  FileLock,
  formatHolder,
  FOREIGN_STALE_MS,
  holderAlive,
  LockTimeout,
  parseHolder,
} from './lock.js';
import { Holders } from '../../test/lock-holders.js';

describe('FileLock', () => {
  let dir: string;
  let path: string;
  let holders: Holders;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-lock-'));
    path = join(dir, 'podnet.lock');
    holders = await Holders.create();
  });
  afterEach(async () => {
    await holders.stopAll(); // every process a test started, by PID, also when it failed
    rmSync(dir, { recursive: true, force: true });
  });

  it('is exclusive while its holder lives, names its holder thread, and is released on release()', () => {
    const a = new FileLock(path);
    a.acquire();
    const holder = parseHolder(readFileSync(path, 'utf8'))!;
    const self = currentThread();
    expect(holder).toMatchObject({
      pid: process.pid,
      tid: self.tid,
      start: self.start,
      pidns: self.pidns,
      boot: self.boot,
    });
    expect(holderAlive(readFileSync(path, 'utf8'))).toBe(true);
    expect(() => new FileLock(path).acquire(50)).toThrow(LockTimeout);
    a.release();
    expect(existsSync(path)).toBe(false);
    const b = new FileLock(path);
    b.acquire(50);
    b.release();
    expect(readdirSync(dir)).toEqual([]); // no temp file left behind
  });

  it('two live processes exclude each other: 4 contenders x 40 read-pause-write increments lose none', async () => {
    writeFileSync(`${path}.count`, '0');
    const contenders = await Promise.all(Array.from({ length: 4 }, () => holders.start(path)));
    const replies = await Promise.all(contenders.map((c) => c.ask('count 40', 60_000)));
    expect(replies).toEqual(Array.from({ length: 4 }, () => ({ counted: 40 })));
    // Without exclusion two contenders read the same value and one increment is lost.
    expect(Number(readFileSync(`${path}.count`, 'utf8'))).toBe(160);
  });

  it('a live holder in another process is waited for, not broken, even past the stale ages', async () => {
    const h = await holders.start(path);
    await h.ask('hold');
    const t = Date.now();
    expect(() => new FileLock(path).acquire(EMPTY_STALE_MS + 500)).toThrow(/still running/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(EMPTY_STALE_MS + 500);
    expect(await h.ask('release')).toEqual({ released: true });
    takeAndRelease(path, 100);
  });

  it('is broken when its holder was killed with SIGKILL', async () => {
    const h = await holders.start(path);
    await h.ask('hold');
    expect(() => new FileLock(path).acquire(50)).toThrow(LockTimeout);
    await h.kill();
    const t = Date.now();
    const lock = new FileLock(path);
    lock.acquire(2_000);
    expect(Date.now() - t).toBeLessThan(500);
    expect(parseHolder(readFileSync(path, 'utf8'))!.pid).toBe(process.pid);
    lock.release();
  });

  it('is broken when it names a process that exited without releasing it', async () => {
    const h = await holders.start(path);
    const record = String((await h.ask('hold')).held);
    void h.ask('exit').catch(() => {});
    await h.exited;
    expect(readFileSync(path, 'utf8')).toBe(record);
    takeAndRelease(path, 1_000);
  });

  it('is broken when its holder is a terminated worker thread of a live process: by another process, and by that process itself', async () => {
    const agent = await holders.start(path);
    const gone = parseHolder(String((await agent.ask('thread')).threadGone))!;
    expect(gone.pid).toBe(agent.pid);
    expect(gone.tid).not.toBe(agent.pid); // a thread of its own, not the main thread
    expect(processStartTime(agent.pid)).not.toBeNull(); // the "agent" lives on
    expect(parseHolder(readFileSync(path, 'utf8'))).toEqual(gone);
    takeAndRelease(path, 1_000); // another process (this one)
    // Again, and now the process whose thread died takes the lock itself.
    await agent.ask('thread');
    const r = await agent.ask('try 2000');
    expect(r).toMatchObject({ acquired: expect.any(Number) });
    expect(r.acquired as number).toBeLessThan(1_000);
  });

  it('two threads of one process exclude each other (a live thread id is not a dead one)', async () => {
    const agent = await holders.start(path);
    await agent.ask('hold'); // the main thread holds it …
    expect(await agent.ask('threadtry 300')).toMatchObject({ timeout: expect.any(Number) }); // … a worker thread waits
    await agent.ask('release');
    expect(await agent.ask('threadtry 300')).toMatchObject({ acquired: expect.any(Number) });
  });

  it('an empty lock file (a holder killed between create and write) is broken once it is a couple of seconds old', () => {
    writeFileSync(path, '');
    expect(() => new FileLock(path).acquire(50)).toThrow(/empty or unreadable/); // just created: waited for
    const t = Date.now();
    const lock = new FileLock(path);
    lock.acquire(EMPTY_STALE_MS + 2_000);
    expect(Date.now() - t).toBeGreaterThanOrEqual(EMPTY_STALE_MS - 200);
    lock.release();
    // Garbage or unreadable content names nobody either.
    writeFileSync(path, 'not a holder');
    utimesSync(path, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    takeAndRelease(path, 100);
  });

  it("a holder from before this boot is gone; a holder record of podnet's older format is still read", () => {
    const self = currentThread();
    writeFileSync(path, formatHolder({ ...self, boot: 'another-boot', token: 'x' }));
    takeAndRelease(path, 100);
    expect(holderAlive(`${process.pid} ${processStartTime(process.pid)} x`)).toBe(true);
    expect(holderAlive(`${process.pid} 1 x`)).toBe(false);
    expect(holderAlive('garbage')).toBe(false);
  });

  it('a holder in a nested PID namespace: alive while it runs, broken at once when it died and its namespace lives on', async () => {
    const h = await holders.start(path, { pidns: true });
    const holder = parseHolder(String((await h.ask('hold')).held))!;
    expect(holder.pidns).not.toBe(currentThread().pidns);
    expect(holder.pid).toBe(2); // a PID that means nothing in our namespace
    expect(holderAlive(readFileSync(path, 'utf8'))).toBe(true);
    expect(() => new FileLock(path).acquire(300)).toThrow(LockTimeout);
    process.kill(holders.holderPid(h), 'SIGKILL');
    const t = Date.now();
    takeAndRelease(path, 2_000);
    expect(Date.now() - t).toBeLessThan(FOREIGN_STALE_MS); // by its namespace's /proc, not by age
  });

  it('a holder this /proc cannot see (we are in a nested namespace): its heartbeat keeps it, its death is seen by age', async () => {
    const h = await holders.start(path);
    await h.ask('hold');
    const waiter = await holders.start(path, { pidns: true });
    const held = await waiter.ask(`try ${FOREIGN_STALE_MS + 1_500}`, 20_000);
    expect(held).toMatchObject({ timeout: expect.any(Number) }); // past FOREIGN_STALE_MS: still held
    await h.kill();
    const r = await waiter.ask(`try ${FOREIGN_STALE_MS + 4_000}`, 20_000);
    expect(r).toMatchObject({ acquired: expect.any(Number) });
    expect(r.acquired as number).toBeGreaterThan(FOREIGN_STALE_MS - 1_500);
  });
});

/** Acquires within `timeoutMs` (or throws), then releases. */
function takeAndRelease(path: string, timeoutMs: number): void {
  const lock = new FileLock(path);
  lock.acquire(timeoutMs);
  lock.release();
}
