// Delegation to another plugin (IPAM), the way libcni does it: find `type` in CNI_PATH,
// run it with the same environment but CNI_COMMAND, feed the same configuration. "The same
// environment" is the one the verb was given (CniEnv.vars), passed explicitly: in the node
// agent, which serves verbs in-process, process.env is the agent's and has no CNI_*.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { runSync } from '../lib/proc/spawn.js';
import type { Verb } from './env.js';
import { CniError, ErrorCode } from './errors.js';

export function findPlugin(type: string, paths: string[]): string {
  if (type.includes('/'))
    throw new CniError(ErrorCode.InvalidNetworkConfig, `plugin type "${type}" must be a name, not a path`);
  for (const dir of paths) {
    const file = join(dir, type);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* try the next directory */
    }
  }
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `plugin "${type}" not found in CNI_PATH (${paths.join(':') || 'empty'})`,
  );
}

/** Runs plugin `file` for `verb` with the verb's environment `vars`, `overrides` on top. */
export function execPlugin(
  file: string,
  verb: Verb,
  stdin: string,
  vars: Readonly<Record<string, string | undefined>>,
  overrides: Record<string, string> = {},
): unknown {
  const r = runSync(file, [], { input: stdin, env: { ...vars, ...overrides, CNI_COMMAND: verb }, timeout: 60_000 });
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
    throw new CniError(
      ErrorCode.IpamDelegateFailed,
      `plugin ${name} ${verb} failed with status ${r.status}`,
      (r.stderr || r.stdout).trim(),
    );
  }
  return body;
}
