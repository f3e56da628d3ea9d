// Where the agent's CNI socket lives (agent/cni-socket/server.ts): in a directory only root can
// change, as a socket that is the agent's own from its first moment.
//
// The socket is 0600, but the shim (cni/shim/podnet-shim.c) finds it by its path: whoever
// can write in its directory, or in one above it, can bind a socket of their own there while
// the agent restarts, and then receives every pod's config, answers ADD with a forged
// address, or acknowledges a DEL and cleans nothing up. So the shim talks only to a root
// process at a path whose every directory is root's and writable by nobody else; the agent
// makes its directory that way (0700) and refuses to start in one that is not.
import { chmodSync, lstatSync, mkdirSync, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname, isAbsolute } from 'node:path';

const MAX_SOCKET_PATH = 107; // sun_path is 108 bytes with its NUL

/**
 * Why someone other than root (or this process's user) could change what `dir` holds, or
 * null. A directory above the socket's may be a sticky one such as /tmp: others can add
 * names there but not rename or remove root's. The socket's own directory may not: a
 * stranger could create the socket's name while it is absent. The shim applies the same
 * rule (untrusted_dir).
 */
export function untrustedDir(dir: string, holdsSocket: boolean): string | null {
  const st = lstatSync(dir);
  const me = process.geteuid?.() ?? 0;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== 0 && st.uid !== me) return `directory ${dir} is owned by uid ${st.uid}, not root`;
  const writable = st.mode & 0o022;
  if (writable && (holdsSocket || !(st.mode & 0o1000))) {
    return `directory ${dir} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  }
  return null;
}

/** Every directory from / down to `dir` (symlinks resolved), checked by untrustedDir. */
export function untrustedSocketDir(dir: string): string | null {
  const real = realpathSync(dir);
  const parts = real.split('/').filter(Boolean);
  const chain = ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
  for (const [i, d] of chain.entries()) {
    const why = untrustedDir(d, i === chain.length - 1);
    if (why) return why;
  }
  return null;
}

/** Is someone accepting connections on this unix socket? */
function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const t = setTimeout(() => (s.destroy(), resolve(true)), 1000); // accepting but slow: alive
    s.on('connect', () => (clearTimeout(t), s.destroy(), resolve(true)));
    s.on('error', () => (clearTimeout(t), resolve(false)));
  });
}

/**
 * Makes the socket's directory (0700; the ones above it 0755) unless it exists, refuses one
 * a stranger could change, and clears a stale socket; refuses a file that is not a socket and
 * a socket another process serves.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  if (!isAbsolute(path)) throw new Error(`CNI socket path "${path}" must be absolute`);
  if (Buffer.byteLength(path) + 1 > MAX_SOCKET_PATH)
    throw new Error(`CNI socket path "${path}" is too long for a unix socket (at most ${MAX_SOCKET_PATH - 1} bytes)`);
  const dir = dirname(path);
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const why = untrustedSocketDir(dir);
  if (why) {
    throw new Error(
      `refusing to serve the CNI socket at ${path}: ${why}, so another user could put a socket of their own there and receive pods' configs. ` +
        `Make every directory on the path root's and writable by root alone (chown root; chmod go-w), or choose another path`,
    );
  }
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: refusing to replace it`);
  if (await listening(path)) throw new Error(`${path}: another process is serving this CNI socket`);
  // A stale socket (its agent died): the rename in listenAt replaces it.
}

/** Listens on `path` with mode 0600 from the first moment: bind a temporary name, chmod,
 *  rename over. Resolves to the socket's inode (close() removes only its own). */
export function listenAt(server: Server, path: string): Promise<number> {
  const tmp = `${path}~`;
  try {
    unlinkSync(tmp);
  } catch {
    /* none left over */
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, () => {
      server.off('error', reject);
      try {
        chmodSync(tmp, 0o600);
        renameSync(tmp, path);
        resolve(statSync(path).ino);
      } catch (e) {
        server.close();
        reject(e);
      }
    });
  });
}
