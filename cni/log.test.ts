// cni.log is rotated at its cap to cni.log.1, also while many plugin processes append at
// once: only the two files exist, neither grows much past the cap, every line is whole,
// each writer's lines keep their order, and the newest lines are kept.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { beginLog, log, LOG_MAX_BYTES, logTo } from './log.js';

const repo = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  beginLog(); // this process's log state back to no file
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'podnet-cnilog-'));
  dirs.push(d);
  return d;
};

function writer(dir: string, id: number, lines: number, maxBytes: number): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(repo, 'node_modules/tsx/dist/loader.mjs'),
      join(repo, 'test/log-writer.ts'),
      dir,
      String(id),
      String(lines),
      String(maxBytes),
    ],
    { stdio: 'inherit' },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const entries = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { writer: number; i: number })
    : [];

describe('cni.log rotation', () => {
  it('rotates at the cap, keeping one previous file', () => {
    const dir = tempDir();
    beginLog(() => {});
    logTo(dir, { maxBytes: 10_000 });
    for (let i = 0; i < 500; i++) log('info', 'ADD done', { i });
    expect(readdirSync(dir).sort()).toEqual(['cni.log', 'cni.log.1']);
    const line = Math.max(
      ...readFileSync(join(dir, 'cni.log.1'), 'utf8')
        .split('\n')
        .map((l) => l.length + 1),
    );
    expect(statSync(join(dir, 'cni.log')).size).toBeLessThanOrEqual(10_000 + line);
    expect(statSync(join(dir, 'cni.log.1')).size).toBeGreaterThan(10_000);
    expect(statSync(join(dir, 'cni.log.1')).size).toBeLessThanOrEqual(10_000 + line);
    // The newest lines are kept, in order, across the two files.
    const kept = [...entries(join(dir, 'cni.log.1')), ...entries(join(dir, 'cni.log'))].map((e) => e.i);
    expect(kept.at(-1)).toBe(499);
    expect(kept).toEqual(kept.map((_, k) => 500 - kept.length + k));
    expect(LOG_MAX_BYTES).toBe(4 * 1024 * 1024);
  });

  it('stays bounded and whole with 8 plugin processes appending at once', async () => {
    const dir = tempDir();
    const cap = 64 * 1024;
    const writers = 8;
    const codes = await Promise.all(Array.from({ length: writers }, (_, w) => writer(dir, w, 2000, cap)));
    expect(codes).toEqual(Array(writers).fill(0));
    expect(readdirSync(dir).sort()).toEqual(['cni.log', 'cni.log.1']); // no lock left, no third file
    const files = [join(dir, 'cni.log.1'), join(dir, 'cni.log')];
    // Every line parses (none torn or interleaved); each file is at most the cap plus the
    // lines the other writers appended while one rotated.
    const all = files.map(entries);
    const lineMax = Math.max(
      ...files.flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((l) => l.length + 1),
      ),
    );
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(cap + writers * lineMax);
    expect(statSync(files[0]!).size).toBeGreaterThan(cap);
    for (let w = 0; w < writers; w++) {
      const mine = all
        .flat()
        .filter((e) => e.writer === w)
        .map((e) => e.i);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    // 8 × 2000 lines of ~300 bytes is ~70× the cap: the writers' last lines are kept.
    expect(all.flat().some((e) => e.i === 1999)).toBe(true);
  });

  it('a rotation lock left by a killed process is broken once it is stale', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cni.log.rotating'), '');
    utimesSync(join(dir, 'cni.log.rotating'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    beginLog(() => {});
    logTo(dir, { maxBytes: 1000 });
    for (let i = 0; i < 20; i++) log('info', 'ADD done', { i });
    expect(readdirSync(dir).sort()).toEqual(['cni.log', 'cni.log.1']);
    expect(statSync(join(dir, 'cni.log')).size).toBeLessThan(1000 + 200);
  });
});
