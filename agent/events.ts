// The event log behind GET /v1/events: every change gets an id "<boot id>:<sequence>";
// the last events are kept so a client that reconnects with Last-Event-ID gets what it
// missed, and a client from another boot, or too far behind, gets a fresh snapshot first.
import { randomBytes } from 'node:crypto';
import type { Change } from '../lib/model/diff.js';

export interface AgentEvent {
  seq: number;
  changes: Change[];
  at: string;
}

export class EventLog {
  readonly bootId = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly ring: AgentEvent[] = [];

  constructor(private readonly capacity = 1000) {}

  get lastSeq(): number {
    return this.seq;
  }

  id(seq: number): string {
    return `${this.bootId}:${seq}`;
  }

  append(changes: Change[]): AgentEvent {
    const event = { seq: ++this.seq, changes, at: new Date().toISOString() };
    this.ring.push(event);
    if (this.ring.length > this.capacity) this.ring.shift();
    return event;
  }

  /** The events after Last-Event-ID, or null when the client must start from a snapshot. */
  since(lastEventId: string | undefined): AgentEvent[] | null {
    if (!lastEventId) return null;
    const [boot, seqText] = lastEventId.split(':');
    const seq = Number(seqText);
    if (boot !== this.bootId || !Number.isInteger(seq) || seq > this.seq) return null;
    if (seq === this.seq) return [];
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (seq + 1 < oldest) return null; // too far behind: the ring no longer holds what it missed
    return this.ring.filter((e) => e.seq > seq);
  }
}
