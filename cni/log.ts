// Plugins log to a file in the state directory and to stderr, never to stdout: stdout
// carries the result the runtime parses.
//
// The log's state is per invocation of a verb: beginLog() resets it. A plugin process runs
// one verb and needs nothing more; the node agent runs many verbs in one process (one at
// a time per thread), and must not let one verb's log file or stderr leak into the next.
//
// The state directory is tmpfs on a node (memory): cni.log is rotated to cni.log.1 (the one
// previous file kept) once it passes LOG_MAX_BYTES. Many plugin processes append at once:
// each line is one O_APPEND write; a writer that finds the file past the cap renames it
// under a lock file, and only if it is still the file it wrote to, so writers crossing the
// cap together rotate once; a line written through a descriptor opened before the rename
// lands, whole, in cni.log.1.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';

/** A verb writes a few lines of ~300 bytes: 4 MiB is thousands of verbs of history, and
 *  the two files together hold at most about 8 MiB of a node's memory. */
export const LOG_MAX_BYTES = 4 * 1024 * 1024;
/** A rotation takes microseconds; a lock this old was left by a killed process. */
const ROTATE_LOCK_STALE_MS = 5_000;

const toProcessStderr = (line: string): void => void process.stderr.write(line);

let logFile: string | null = null;
let maxBytes = LOG_MAX_BYTES;
let stderr: (line: string) => void = toProcessStderr;
let extraFields: Record<string, unknown> = {};

/** Starts the log of one verb: no file until logTo(); warn/error lines go to `sink`
 *  (default: this process's stderr), every line carries `fields`. */
export function beginLog(sink?: (line: string) => void, fields: Record<string, unknown> = {}): void {
  logFile = null;
  stderr = sink ?? toProcessStderr;
  extraFields = fields;
}

/** Logs to <stateDir>/cni.log from now on; `opts.maxBytes` (tests) replaces the cap. */
export function logTo(stateDir: string, opts: { maxBytes?: number } = {}): void {
  maxBytes = opts.maxBytes ?? LOG_MAX_BYTES;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o755 });
    logFile = `${stateDir}/cni.log`;
  } catch {
    logFile = null; // an unwritable state dir must not fail the verb; stderr still gets it
  }
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line =
    JSON.stringify({ time: new Date().toISOString(), level, pid: process.pid, msg, ...extraFields, ...fields }) + '\n';
  // info goes to the file only: runtimes surface a plugin's stderr as an error message.
  if (level !== 'info') stderr(line);
  if (logFile) {
    try {
      append(logFile, line);
    } catch {
      /* the log is best effort */
    }
  }
}

function append(file: string, line: string): void {
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, line);
    if (fstatSync(fd).size > maxBytes) rotate(file, fd);
  } finally {
    closeSync(fd);
  }
}

/** Renames `file` (if it is still the file behind `fd`, and still too big) to FILE.1. */
function rotate(file: string, fd: number): void {
  const lock = `${file}.rotating`;
  try {
    closeSync(openSync(lock, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return;
    // Held: another process rotates now, unless its holder was killed long ago.
    try {
      if (Date.now() - statSync(lock).mtimeMs < ROTATE_LOCK_STALE_MS) return;
      unlinkSync(lock);
      closeSync(openSync(lock, 'wx', 0o600));
    } catch {
      return;
    }
  }
  try {
    const now = statSync(file);
    if (now.ino === fstatSync(fd).ino && now.size > maxBytes) renameSync(file, `${file}.1`);
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* broken as stale by another process meanwhile */
    }
  }
}
