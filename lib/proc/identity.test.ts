// Process records and /proc/PID/stat parsing, against real processes.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatPidFile, readPidFile, recordProcess, stillRunning } from './identity.js';
import { parseProcStat, readProcStat } from './stat.js';

describe('parseProcStat', () => {
  it('counts fields from the last ")": a comm may hold spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    const s = parseProcStat(`42 (a) (b c) ${fields.join(' ')}\n`);
    expect(s).toMatchObject({
      comm: 'a) (b c',
      state: 'S',
      ppid: 4,
      utime: 14,
      stime: 15,
      cutime: 16,
      cstime: 17,
      startTime: '22',
    });
  });
  it('refuses what is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('42 (x) S 1 2')).toBeNull();
  });
  it('reads this process: its parent, and a start time that does not change', () => {
    const s = readProcStat(process.pid)!;
    expect(s.ppid).toBe(process.ppid);
    expect(s.startTime).toBe(readProcStat(process.pid)!.startTime);
    expect(readProcStat(2 ** 22 + 1)).toBeNull(); // above pid_max's ceiling: never a process
  });
});

describe('ProcessRecord', () => {
  it('a PID file round-trips, and anything else reads as no record', () => {
    const r = recordProcess(process.pid);
    expect(readPidFile(formatPidFile(r))).toEqual(r);
    expect(readPidFile(formatPidFile({ pid: 7, start: null }))).toEqual({ pid: 7, start: null });
    for (const bad of ['', '12', 'x 5', '0 5', '12 5 6', '-3 5']) expect(readPidFile(bad)).toBeNull();
  });
  it('is still running only while the same process holds the PID', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const r = recordProcess(child.pid!);
    expect(stillRunning(r)).toBe(true);
    // The same PID with another start time is a different (recycled) process.
    expect(stillRunning({ pid: r.pid, start: String(Number(r.start) + 1) })).toBe(false);
    // A process recorded after it had gone matches nothing, not even another gone process.
    expect(stillRunning({ pid: 2 ** 22 + 1, start: null })).toBe(false);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(stillRunning(r)).toBe(false);
  });
});
