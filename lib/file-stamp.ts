// What tells a re-read file from an unchanged one (a key, a certificate, a CA): its inode,
// size and mtime — a file replaced by rename gets a new inode even within one mtime tick.
// "missing" when it is not there. Node only.
import { statSync } from 'node:fs';

export function fileStamp(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'missing';
}
