// Plugins log to a file in the state directory and to stderr, never to stdout: stdout
// carries the result the runtime parses.
import { appendFileSync, mkdirSync } from 'node:fs';

let logFile: string | null = null;

export function logTo(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o755 });
    logFile = `${stateDir}/cni.log`;
  } catch {
    logFile = null; // an unwritable state dir must not fail the verb; stderr still gets it
  }
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, pid: process.pid, msg, ...fields }) + '\n';
  // info goes to the file only: runtimes surface a plugin's stderr as an error message.
  if (level !== 'info') process.stderr.write(line);
  if (logFile) {
    try {
      appendFileSync(logFile, line);
    } catch {
      /* the log is best effort */
    }
  }
}
