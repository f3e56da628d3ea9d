// Attachment records: one JSON file per (containerID, ifname) under
// <stateDir>/attachments/<network>/, written by the plugin and read by the agent to
// name the pod behind each veth. Written to a temp file and renamed, so a reader never
// sees half a record. Beside them, `<containerID>@<ifname>.pending`: an ADD under way,
// written before its lease and veth exist and removed once its record is written (or the
// ADD failed), so GC can tell an attachment being built from a stale one. Readers of
// records (list) never see these.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Attachment } from '../model/cni.js';
import type { ThreadIdentity } from '../proc/identity.js';

export interface PendingAttachment {
  containerID: string;
  ifname: string;
  netns: string;
  hostVeth: string;
  /** the thread running the ADD: GC asks whether it still runs */
  holder: ThreadIdentity;
  /** when the ADD began (ISO) */
  since: string;
  /** tells this ADD's file from a later ADD's for the same attachment */
  nonce: string;
}

export class AttachmentStore {
  readonly dir: string;

  constructor(stateDir: string, network: string) {
    this.dir = join(stateDir, 'attachments', network);
  }

  private file(containerID: string, ifname: string, ext = '.json'): string {
    // containerID never holds '@' (the spec's character set), so the name is unambiguous.
    return join(this.dir, `${containerID}@${ifname}${ext}`);
  }

  private publish(target: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    // pid and thread: the node agent writes records from several threads of one process.
    const tmp = `${target}.${process.pid}${threadId ? `-${threadId}` : ''}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, target);
  }

  private static unlinkIfThere(path: string): void {
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  private readAll<T>(ext: string): T[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: T[] = [];
    for (const name of names) {
      if (!name.endsWith(ext)) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as T);
      } catch {
        /* removed while listing */
      }
    }
    return out;
  }

  read(containerID: string, ifname: string): Attachment | null {
    try {
      return JSON.parse(readFileSync(this.file(containerID, ifname), 'utf8')) as Attachment;
    } catch {
      return null;
    }
  }

  write(a: Attachment): void {
    this.publish(this.file(a.containerID, a.ifname), a);
  }

  remove(containerID: string, ifname: string): void {
    AttachmentStore.unlinkIfThere(this.file(containerID, ifname));
  }

  list(): Attachment[] {
    return this.readAll<Attachment>('.json');
  }

  /** Marks the record done now: its mtime says when the ADD's result went out (ms since the
   *  epoch from completedAt), which GC compares with its own start. */
  touch(containerID: string, ifname: string): void {
    const now = new Date();
    utimesSync(this.file(containerID, ifname), now, now);
  }

  completedAt(containerID: string, ifname: string): number | null {
    try {
      return statSync(this.file(containerID, ifname)).mtimeMs;
    } catch {
      return null;
    }
  }

  writePending(p: PendingAttachment): void {
    this.publish(this.file(p.containerID, p.ifname, '.pending'), p);
  }

  /** Removes the pending file; with `nonce`, only while it is still that ADD's. */
  removePending(containerID: string, ifname: string, nonce?: string): void {
    const file = this.file(containerID, ifname, '.pending');
    if (nonce !== undefined) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as PendingAttachment).nonce !== nonce) return;
      } catch {
        return; // gone already (a DEL or GC took it), or not ours to judge
      }
    }
    AttachmentStore.unlinkIfThere(file);
  }

  listPending(): PendingAttachment[] {
    return this.readAll<PendingAttachment>('.pending');
  }
}
