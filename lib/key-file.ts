// The dashboard's key file, read one way by everything that reads it: `podnet up` and
// `podnet dashboard` when they settle the key (cli/dashboard-key.ts) and the server on
// every change of the file (server/access.ts). Returns an error text instead of throwing:
// the CLI turns it into its exit, the server into a page that says what is wrong.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** Shorter keys are refused: 16 characters is the least a guess-resistant key has. */
export const MIN_KEY_LENGTH = 16;

export type KeyRead = { key: string } | { error: string };

export interface KeyFileRules {
  /** refuse a symbolic link at the path (a key file podnet made itself is never one) */
  noFollow?: boolean;
  /** refuse a file that is not ours or that others may read (for a file podnet made) */
  private?: boolean;
}

export function readKeyFile(file: string, rules: KeyFileRules = {}): KeyRead {
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink planted at the path is refused, not followed.
    fd = openSync(file, constants.O_RDONLY | (rules.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: `the dashboard key file ${file} is missing` };
    return {
      error: `cannot read the dashboard key file ${file}: ${code === 'ELOOP' ? 'it is a symbolic link' : (e as Error).message}`,
    };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { error: `the dashboard key file ${file} is not a regular file` };
    if (rules.private && (st.uid !== process.getuid!() || (st.mode & 0o077) !== 0)) {
      return {
        error: `the dashboard key file ${file} is readable by others or not ours (mode ${(st.mode & 0o777).toString(8)}, owner ${st.uid}): remove it and a new one is made`,
      };
    }
    const key = readFileSync(fd, 'utf8').trim();
    if (key.length < MIN_KEY_LENGTH)
      return { error: `the dashboard key in ${file} is shorter than ${MIN_KEY_LENGTH} characters` };
    return { key };
  } catch (e) {
    return { error: `cannot read the dashboard key file ${file}: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}
