// Stops what global setup started (by PID) and removes the lab — also after failures.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { ENV_FILE, readEnv } from './env';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(ENV_FILE)) return;
  const env = readEnv();
  for (const pid of env.pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  spawnSync('bin/podnet', ['lab', 'down', '--lab-id', env.labId], { stdio: 'inherit' });
  if (env.keyDir) rmSync(env.keyDir, { recursive: true, force: true });
}
