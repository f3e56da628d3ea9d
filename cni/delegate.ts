// Delegation to another plugin (IPAM), the way libcni does it: find `type` in CNI_PATH,
// run it with the same environment but CNI_COMMAND, feed the same configuration.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { Verb } from './env.js';
import { CniError, ErrorCode } from './errors.js';

export function findPlugin(type: string, paths: string[]): string {
  if (type.includes('/')) throw new CniError(ErrorCode.InvalidNetworkConfig, `plugin type "${type}" must be a name, not a path`);
  for (const dir of paths) {
    const file = join(dir, type);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* try the next directory */
    }
  }
  throw new CniError(ErrorCode.InvalidNetworkConfig, `plugin "${type}" not found in CNI_PATH (${paths.join(':') || 'empty'})`);
}

export function execPlugin(file: string, verb: Verb, stdin: string, env: Record<string, string> = {}): unknown {
  const r = spawnSync(file, [], { input: stdin, encoding: 'utf8', env: { ...process.env, ...env, CNI_COMMAND: verb }, timeout: 60_000 });
  const name = file.split('/').pop();
  if (r.error) throw new CniError(ErrorCode.IpamDelegateFailed, `could not run plugin ${name}: ${r.error.message}`);
  let body: unknown = undefined;
  try {
    body = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    /* handled below */
  }
  if (r.status !== 0) {
    const b = body as { code?: unknown; msg?: unknown; details?: unknown } | undefined;
    if (b && typeof b.code === 'number' && typeof b.msg === 'string') {
      throw new CniError(b.code, `${name}: ${b.msg}`, typeof b.details === 'string' ? b.details : undefined);
    }
    throw new CniError(ErrorCode.IpamDelegateFailed, `plugin ${name} ${verb} failed with status ${r.status}`, (r.stderr || r.stdout).trim());
  }
  return body;
}
