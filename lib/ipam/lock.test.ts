import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLock, holderAlive, LockTimeout, processStartTime } from './lock.js';

describe('FileLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is exclusive while its holder lives, and released on release()', () => {
    const path = join(dir, 'lock');
    const a = new FileLock(path);
    a.acquire();
    expect(holderAlive(readFileSync(path, 'utf8'))).toBe(true);
    expect(() => new FileLock(path).acquire(50)).toThrow(LockTimeout);
    a.release();
    expect(existsSync(path)).toBe(false);
    const b = new FileLock(path);
    b.acquire(50);
    b.release();
  });

  it('is broken when its holder was killed with SIGKILL', async () => {
    const path = join(dir, 'lock');
    const script = `
      const { FileLock } = await import(${JSON.stringify(new URL('./lock.ts', import.meta.url).pathname)});
      new FileLock(${JSON.stringify(path)}).acquire();
      process.stdout.write('held\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(holderAlive(readFileSync(path, 'utf8'))).toBe(true);
    expect(() => new FileLock(path).acquire(50)).toThrow(LockTimeout);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const lock = new FileLock(path);
    lock.acquire(2_000);
    expect(readFileSync(path, 'utf8')).toContain(`${process.pid} `);
    lock.release();
  });

  it('tells a reused PID from its holder by start time', () => {
    expect(holderAlive(`${process.pid} ${processStartTime(process.pid)} x`)).toBe(true);
    expect(holderAlive(`${process.pid} 1 x`)).toBe(false);
    expect(holderAlive('garbage')).toBe(false);
  });

  it('a lock file another process just created but not yet written is waited for, not broken', () => {
    const path = join(dir, 'lock');
    writeFileSync(path, '');
    expect(() => new FileLock(path).acquire(30)).toThrow(LockTimeout);
    expect(existsSync(path)).toBe(true);
  });
});
