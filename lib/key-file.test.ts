// The dashboard key file's rules, on real files: what is refused, and why.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIN_KEY_LENGTH, readKeyFile } from './key-file.js';

describe('readKeyFile', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const key = 'k'.repeat(MIN_KEY_LENGTH);

  it('reads a key, trimmed; refuses a short one, a missing file and a directory', () => {
    writeFileSync(join(dir, 'key'), `${key}\n`, { mode: 0o600 });
    expect(readKeyFile(join(dir, 'key'))).toEqual({ key });
    writeFileSync(join(dir, 'short'), 'k'.repeat(MIN_KEY_LENGTH - 1));
    expect(readKeyFile(join(dir, 'short'))).toEqual({
      error: `the dashboard key in ${join(dir, 'short')} is shorter than ${MIN_KEY_LENGTH} characters`,
    });
    expect(readKeyFile(join(dir, 'none'))).toEqual({ error: `the dashboard key file ${join(dir, 'none')} is missing` });
    expect(readKeyFile(dir)).toEqual({ error: `the dashboard key file ${dir} is not a regular file` });
  });

  it("follows a link the way a Kubernetes Secret's volume lays its files out, unless told not to", () => {
    // A Secret volume: key -> ..data/key, ..data -> ..2026_12_02_…/
    mkdirSync(join(dir, '..2026_12_02_00_00_00.1'));
    writeFileSync(join(dir, '..2026_12_02_00_00_00.1', 'key'), `${key}\n`);
    symlinkSync('..2026_12_02_00_00_00.1', join(dir, '..data'));
    symlinkSync('..data/key', join(dir, 'key'));
    expect(readKeyFile(join(dir, 'key'))).toEqual({ key });
    expect(readKeyFile(join(dir, 'key'), { noFollow: true })).toEqual({
      error: `cannot read the dashboard key file ${join(dir, 'key')}: it is a symbolic link`,
    });
  });

  it('with private: refuses a file others may read', () => {
    writeFileSync(join(dir, 'key'), key);
    chmodSync(join(dir, 'key'), 0o644);
    expect(readKeyFile(join(dir, 'key'), { private: true })).toMatchObject({
      error: expect.stringMatching(/readable by others or not ours \(mode 644/),
    });
    chmodSync(join(dir, 'key'), 0o600);
    expect(readKeyFile(join(dir, 'key'), { private: true })).toEqual({ key });
  });
});
