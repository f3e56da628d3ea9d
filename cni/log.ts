// Plugins log to a file in the state directory and to stderr, never to stdout: stdout
// carries the result the runtime parses.
//
// The log's state is per invocation of a verb: beginLog() resets it. A plugin process runs
// one verb and needs nothing more; the node agent runs many verbs in one process (one at
// a time per thread), and must not let one verb's log file or stderr leak into the next.
import { appendFileSync, mkdirSync } from 'node:fs';

const toProcessStderr = (line: string): void => void process.stderr.write(line);

let logFile: string | null = null;
let stderr: (line: string) => void = toProcessStderr;
let extraFields: Record<string, unknown> = {};

/** Starts the log of one verb: no file until logTo(); warn/error lines go to `sink`
 *  (default: this process's stderr), every line carries `fields`. */
export function beginLog(sink?: (line: string) => void, fields: Record<string, unknown> = {}): void {
  logFile = null;
  stderr = sink ?? toProcessStderr;
  extraFields = fields;
}

export function logTo(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o755 });
    logFile = `${stateDir}/cni.log`;
  } catch {
    logFile = null; // an unwritable state dir must not fail the verb; stderr still gets it
  }
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, pid: process.pid, msg, ...extraFields, ...fields }) + '\n';
  // info goes to the file only: runtimes surface a plugin's stderr as an error message.
  if (level !== 'info') stderr(line);
  if (logFile) {
    try {
      appendFileSync(logFile, line);
    } catch {
      /* the log is best effort */
    }
  }
}
