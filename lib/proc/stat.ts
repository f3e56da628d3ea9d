// /proc/PID/stat, parsed once here. Field 2 (comm) is the executable's name in
// parentheses and may itself hold spaces and parentheses, so the fields are counted from
// the last ')'. Field numbers below are proc(5)'s.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** field 2, without its parentheses */
  comm: string;
  /** field 3: R, S, D, Z (zombie), X (dead), … */
  state: string;
  /** field 4 */
  ppid: number;
  /** fields 14–17, in clock ticks */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** field 22: clock ticks since boot, kept as text (it is compared, never computed with) */
  startTime: string;
}

/** Parses the text of a stat file; null for anything that is not one. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const f = text
    .slice(close + 2)
    .trim()
    .split(' '); // f[0] is field 3
  if (f.length < 20) return null;
  const n = (i: number) => Number(f[i]);
  return {
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid: n(1),
    utime: n(11),
    stime: n(12),
    cutime: n(13),
    cstime: n(14),
    startTime: f[19]!,
  };
}

/** The stat of a process — or with `tid`, of one thread of it — or null if there is none. */
export function readProcStat(pid: number, tid?: number): ProcStat | null {
  try {
    return parseProcStat(
      readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8'),
    );
  } catch {
    return null;
  }
}
