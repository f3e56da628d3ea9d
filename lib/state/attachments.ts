// Attachment records: one JSON file per (containerID, ifname) under
// <stateDir>/attachments/<network>/, written by the plugin and read by the agent to
// name the pod behind each veth. Written to a temp file and renamed, so a reader never
// sees half a record.
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Attachment } from '../model/cni.js';

export class AttachmentStore {
  readonly dir: string;

  constructor(stateDir: string, network: string) {
    this.dir = join(stateDir, 'attachments', network);
  }

  private file(containerID: string, ifname: string): string {
    // containerID never holds '@' (the spec's character set), so the name is unambiguous.
    return join(this.dir, `${containerID}@${ifname}.json`);
  }

  read(containerID: string, ifname: string): Attachment | null {
    try {
      return JSON.parse(readFileSync(this.file(containerID, ifname), 'utf8')) as Attachment;
    } catch {
      return null;
    }
  }

  write(a: Attachment): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    const target = this.file(a.containerID, a.ifname);
    // pid and thread: the node agent writes records from several threads of one process.
    const tmp = `${target}.${process.pid}${threadId ? `-${threadId}` : ''}.tmp`;
    writeFileSync(tmp, JSON.stringify(a, null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, target);
  }

  remove(containerID: string, ifname: string): void {
    try {
      unlinkSync(this.file(containerID, ifname));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  list(): Attachment[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: Attachment[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Attachment);
      } catch {
        /* removed while listing */
      }
    }
    return out;
  }
}
