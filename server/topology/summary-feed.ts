// topology.watchSummary and topology.focus behind the router: the ClusterView folds each
// new Topology in here (SummaryBuilder, per node), and every summary subscription gets
// the summary's changes plus, for the nodes it is focused on (the ones its page has
// open), their detail changes. Focus belongs to a subscription id, which every event id
// carries ("SUB:VERSION"): a reconnect (tRPC sends the last id back) resumes the same
// subscription with its focus when it comes within FOCUS_GRACE_MS of the drop; later, or
// against another server process, it is a new subscription with no focus (its `hello`
// says resumed: false) and the page sends topology.focus again.
import { randomBytes } from 'node:crypto';
import type { Topology } from '../../lib/model/topology';
import {
  diffNodeDetail,
  diffSummary,
  parseSummaryEventId,
  type ClusterSummary,
  type DetailUpdate,
  type NodeDetail,
  type SummaryChange,
  type SummaryEvent,
} from '../../lib/model/summary';
import type { MergeMemo } from './merge';
import { SummaryBuilder } from './summary';
import { PodIndex } from './pod-index';

/** how long a dropped subscription keeps its focus for a reconnect */
export const FOCUS_GRACE_MS = 60_000;
/** queued events per subscription before it is sent a fresh summary instead */
const MAX_QUEUE = 64;
const RING_SIZE = 256;
/** subscriptions remembered at once (dropped ones are forgotten first) */
const MAX_SESSIONS = 2_000;

type ChangesEvent = Extract<SummaryEvent, { type: 'changes' }>;

interface Session {
  id: string;
  focus: Set<string>;
  queue: SummaryEvent[];
  wake: (() => void) | null;
  /** the connection now serving it; a newer one takes over */
  conn: number;
  /** when its last connection ended; null while connected */
  droppedAt: number | null;
}

export class SummaryFeed {
  readonly builder = new SummaryBuilder();
  readonly index: PodIndex;
  private version = 0;
  private ring: ChangesEvent[] = [];
  /** the ring holds every event after this version */
  private ringFloor: number;
  private sessions = new Map<string, Session>();
  /** how many connected-or-graced sessions focus each node, and its detail as last sent */
  private focused = new Map<string, { count: number; detail: NodeDetail | null }>();
  private connSeq = 0;
  private closed = false;

  constructor(
    topology: Topology,
    version: number,
    private readonly memo?: MergeMemo,
    private readonly now: () => number = Date.now,
  ) {
    this.builder.update(topology, memo);
    this.version = version;
    this.ringFloor = version;
    this.index = new PodIndex(this.builder);
    this.index.update(topology, version);
  }

  current(): { version: number; summary: ClusterSummary } {
    return { version: this.version, summary: this.builder.summary() };
  }

  detail(name: string): { version: number; detail: NodeDetail } | null {
    const detail = this.builder.detail(name);
    return detail ? { version: this.version, detail } : null;
  }

  /** Which node a pod (NAMESPACE/NAME) is on: a pass over the node parts (a deep link's
   *  one question, not a per-frame one). null: no such pod. */
  locate(pod: string): { version: number; node: string | null } | null {
    for (const b of this.builder.buckets()) {
      const p = b.pods.find((x) => x.key === pod);
      if (p) return { version: this.version, node: b.node === null ? null : p.node };
    }
    return null;
  }

  /** Folds the next topology in (called by the ClusterView after each merge that changed
   *  something) and queues the events. */
  update(topology: Topology, version: number): void {
    const prev = this.builder.summary();
    this.builder.update(topology, this.memo);
    this.version = version;
    this.index.update(topology, version);
    const changes = diffSummary(prev, this.builder.summary());
    const details = new Map<string, DetailUpdate>();
    for (const [name, f] of this.focused) {
      const next = this.builder.detail(name);
      const u = detailUpdate(name, f.detail, next);
      f.detail = next;
      if (u) details.set(name, u);
    }
    if (changes.length === 0 && details.size === 0) return;
    const event: ChangesEvent = { type: 'changes', version, changes, details: [] };
    this.ring.push(event);
    if (this.ring.length > RING_SIZE) this.ringFloor = this.ring.shift()!.version;
    for (const s of this.sessions.values()) {
      if (s.droppedAt !== null) continue;
      const mine = [...s.focus].flatMap((n) => details.get(n) ?? []);
      if (changes.length === 0 && mine.length === 0) continue;
      if (s.queue.length >= MAX_QUEUE) s.queue = [this.fresh(s)];
      else s.queue.push(mine.length ? { ...event, details: mine } : event);
      s.wake?.();
    }
  }

  /**
   * One connection of watchSummary: `hello`, then what the page misses since the
   * version in `lastEventId` (the summary changes while the ring holds them, else the
   * whole summary; details of its focused nodes as snapshots), then changes as they come.
   */
  async *events(
    signal: AbortSignal | undefined,
    lastEventId: string | null = null,
  ): AsyncGenerator<{ id: string; event: SummaryEvent }> {
    this.sweep();
    const { subscriptionId, version: since } = parseSummaryEventId(lastEventId);
    let s = subscriptionId ? this.sessions.get(subscriptionId) : undefined;
    const resumed = s !== undefined;
    if (!s) {
      s = {
        id: randomBytes(12).toString('base64url'),
        focus: new Set(),
        queue: [],
        wake: null,
        conn: 0,
        droppedAt: null,
      };
      this.sessions.set(s.id, s);
    }
    const session = s;
    const conn = ++this.connSeq;
    session.wake?.(); // an older connection still open: it ends
    session.conn = conn;
    session.droppedAt = null;
    session.queue = this.catchUp(session, since);
    const onAbort = () => session.wake?.();
    signal?.addEventListener('abort', onAbort);
    const hello: SummaryEvent = { type: 'hello', subscriptionId: session.id, resumed, focus: [...session.focus] };
    let at = since;
    try {
      // the version the page has: a drop right after this resumes from there
      yield { id: `${session.id}:${since ?? ''}`, event: hello };
      while (!signal?.aborted && !this.closed && session.conn === conn) {
        const next = session.queue.shift();
        if (next) {
          if (next.type !== 'hello') at = next.version;
          yield { id: `${session.id}:${at ?? ''}`, event: next };
          continue;
        }
        await new Promise<void>((r) => (session.wake = r));
        session.wake = null;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (session.conn === conn) {
        session.droppedAt = this.now();
        session.queue = [];
        session.wake = null;
      }
    }
  }

  /** Sets which nodes' details a subscription receives; newly focused nodes get a
   *  snapshot at the current version in its next event. Unknown nodes are kept (a node
   *  that appears later gets its snapshot then) and returned as `unknown`. */
  focus(
    subscriptionId: string,
    nodes: readonly string[],
  ): { version: number; focus: string[]; unknown: string[] } | null {
    this.sweep();
    const s = this.sessions.get(subscriptionId);
    if (!s) return null;
    const next = new Set(nodes);
    const opened: DetailUpdate[] = [];
    for (const n of next) {
      if (s.focus.has(n)) continue;
      const f = this.retain(n);
      if (f.detail) opened.push({ node: n, op: 'snapshot', detail: f.detail });
    }
    for (const n of s.focus) if (!next.has(n)) this.release(n);
    s.focus = next;
    if (opened.length && s.droppedAt === null) {
      s.queue.push({ type: 'changes', version: this.version, changes: [], details: opened });
      s.wake?.();
    }
    return { version: this.version, focus: [...next], unknown: [...next].filter((n) => !this.builder.has(n)) };
  }

  /** for tests: which nodes any subscription has focused, and how many subscriptions are remembered */
  stats(): { focused: string[]; sessions: number } {
    return { focused: [...this.focused.keys()], sessions: this.sessions.size };
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) s.wake?.();
  }

  private catchUp(s: Session, since: number | null): SummaryEvent[] {
    if (since === null || since > this.version) return [this.fresh(s)];
    const snapshots = [...s.focus].flatMap((n): DetailUpdate[] => {
      const d = this.builder.detail(n);
      return d ? [{ node: n, op: 'snapshot', detail: d }] : [];
    });
    if (since < this.ringFloor) return [this.fresh(s)];
    const missed = this.ring.filter((e) => e.version > since);
    // Missed summary changes as they were; the focused nodes' details whole, at the end:
    // everything then stands at the current version.
    const out: SummaryEvent[] = missed.map((e) => ({ ...e, details: [] }));
    if (snapshots.length) out.push({ type: 'changes', version: this.version, changes: [], details: snapshots });
    return out;
  }

  private fresh(s: Session): SummaryEvent {
    const details = [...s.focus].flatMap((n): DetailUpdate[] => {
      const d = this.builder.detail(n);
      return d ? [{ node: n, op: 'snapshot', detail: d }] : [];
    });
    return { type: 'summary', version: this.version, summary: this.builder.summary(), details };
  }

  private retain(node: string): { count: number; detail: NodeDetail | null } {
    let f = this.focused.get(node);
    if (!f) this.focused.set(node, (f = { count: 0, detail: this.builder.detail(node) }));
    f.count++;
    return f;
  }

  private release(node: string): void {
    const f = this.focused.get(node);
    if (f && --f.count <= 0) this.focused.delete(node);
  }

  /** Forgets subscriptions dropped longer than the grace period (and the oldest dropped
   *  ones beyond MAX_SESSIONS), releasing their focus. */
  private sweep(): void {
    const now = this.now();
    const dropped = [...this.sessions.values()].filter((s) => s.droppedAt !== null);
    const excess = this.sessions.size - MAX_SESSIONS;
    dropped.sort((a, b) => a.droppedAt! - b.droppedAt!);
    dropped.forEach((s, i) => {
      if (now - s.droppedAt! > FOCUS_GRACE_MS || i < excess) {
        for (const n of s.focus) this.release(n);
        this.sessions.delete(s.id);
      }
    });
  }
}

function detailUpdate(node: string, prev: NodeDetail | null, next: NodeDetail | null): DetailUpdate | null {
  if (!next) return prev ? { node, op: 'removed' } : null;
  if (!prev) return { node, op: 'snapshot', detail: next };
  const changes = diffNodeDetail(prev, next);
  return changes.length ? { node, op: 'changes', changes } : null;
}

export type { SummaryChange };
