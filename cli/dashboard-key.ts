// The dashboard's key, as `podnet up` and `podnet dashboard` settle it: a file given with
// --token-file, none with --no-auth (said loudly), or else one made here — a random key
// in a 0600 file, kept across restarts so a bookmarked link keeps working — as the lab
// does for its agents. The server reads the file again when it changes (rotation). The
// options themselves are cli/options.ts's AUTH_OPTIONS.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { readKeyFile as readFile } from '../lib/key-file.js';
import { isHostName } from '../lib/model/hostname.js';
import { flag, str, type Parsed } from './args.js';
import { CommandError } from './command.js';

export interface DashboardAuth {
  /** null with --no-auth */
  keyFile: string | null;
  key: string | null;
  /** whether the key file was made just now (a caller may remove it when it stops) */
  made: boolean;
  /** PODNET_* settings for the server */
  env: Record<string, string>;
}

/** Reads a key file, refusing anything but a plain file. The file podnet makes at its own
 *  path must not be a symbolic link (one planted there would choose the key) nor readable
 *  by others; a file the operator names is theirs to place, and may be a link — a
 *  Kubernetes Secret's files are links into its ..data directory. */
export function readKeyFile(file: string, made = false): string {
  const read = readFile(file, { noFollow: made, private: made });
  if ('error' in read) throw new CommandError(read.error, 2);
  return read.key;
}

/** The key file at `path`, made (0600, exclusively) when there is none yet. */
export function ensureKeyFile(path: string): { key: string; made: boolean } {
  let made = false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    writeSync(fd, `${randomBytes(32).toString('base64url')}\n`);
    closeSync(fd);
    made = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new CommandError(`cannot make the dashboard key file ${path}: ${(e as Error).message}`);
  }
  return { key: readKeyFile(path, true), made };
}

/** What the command's options say about the key; `defaultFile` is where a made key lives. */
export function dashboardAuth(args: Parsed, defaultFile: string, host: string): DashboardAuth {
  const given = str(args, 'token-file');
  const noAuth = flag(args, 'no-auth');
  if (given !== undefined && noAuth)
    throw new CommandError('--token-file and --no-auth contradict each other: choose one', 2);
  const env: Record<string, string> = { PODNET_HOST: host };
  const hosts = str(args, 'allowed-host');
  if (hosts !== undefined) {
    const names = hosts.split(',').map((h) => h.trim());
    const bad = names.find((h) => !isHostName(h));
    if (bad !== undefined)
      throw new CommandError(
        `--allowed-host takes host names (no scheme, no port), comma-separated; "${bad}" is not one`,
        2,
      );
    env.PODNET_ALLOWED_HOSTS = names.join(',');
  }
  if (noAuth) return { keyFile: null, key: null, made: false, env };
  const keyFile = given ?? defaultFile;
  const { key, made } = given !== undefined ? { key: readKeyFile(given), made: false } : ensureKeyFile(defaultFile);
  return { keyFile, key, made, env: { ...env, PODNET_DASHBOARD_TOKEN_FILE: keyFile } };
}

/** The URL to open once: with the key, which the page swaps for a session cookie and
 *  drops from the address bar. */
export function urlWithKey(url: string, key: string | null): string {
  if (key === null) return url;
  const u = new URL(url);
  u.searchParams.set('token', key);
  return u.toString();
}

export const NO_AUTH_WARNING =
  'WARNING: --no-auth: the dashboard has no key. Anyone who can reach its port can read the whole cluster network' +
  ' and, unless --read-only, run probes and traces from inside pods.';
