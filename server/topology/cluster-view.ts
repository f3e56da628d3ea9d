// The server's live Topology: a source's inputs merged after every change (debounced, so
// a burst of agent diffs costs one merge), diffed against the last one, and fanned out
// to every watching page as TopologyEvents. A page that falls behind gets a fresh
// snapshot instead of an ever longer queue. While no page watches, nothing is diffed: the
// topology the last diff reached is kept, and the first watcher to come back (resuming
// from that version) gets what changed since as one event, diffed then.
import type { Topology, TopologyEvent } from '../../lib/model/topology';
import { diffTopology } from '../../lib/model/diff';
import type { ClusterSource, SourceInputs } from '../sources/source';
import { MergeMemo, mergeTopology } from './merge';
import { SummaryFeed } from './summary-feed';

const DEBOUNCE_MS = 15;
const FIRST_VIEW_WAIT_MS = 2_000;
/** queued events per watcher before it is sent a snapshot instead */
const MAX_QUEUE = 64;
const RING_SIZE = 256;
/**
 * Above this many pods topology.watch does not put a whole topology on its stream: at
 * 100,000 pods (and ~1M routes in host-gw) one snapshot is hundreds of MB of JSON, and a
 * watcher that needs one while the cluster churns needs another before the first is out —
 * the server held 4 GB within a minute and died. Such a watcher is ended with a message
 * saying what to do instead (topology.snapshot, then watch from its version; or the
 * summary protocol, as the page does at that size).
 */
export const STREAM_SNAPSHOT_MAX_PODS = 20_000;

export class StreamTooBigError extends Error {}

interface Watcher {
  queue: TopologyEvent[];
  wake: (() => void) | null;
}

type ChangesEvent = Extract<TopologyEvent, { type: 'changes' }>;

export class ClusterView {
  private topology: Topology;
  private version = 0;
  private problems: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private watchers = new Set<Watcher>();
  /** the last RING_SIZE change events, for watchers that resume from a version; each
   *  takes a page from version `from` to its own (from: the event before it, or a
   *  catch-up event's base) */
  private ring: { from: number; event: ChangesEvent }[] = [];
  /** while no page watches: the topology the ring's last event reached, not yet diffed
   *  against the current one (dropped when it falls RING_SIZE versions behind) */
  private undiffed: { version: number; topology: Topology } | null = null;
  /** diffTopology runs (catch-ups included) */
  readonly stats = { diffs: 0, merges: 0 };
  private closed = false;
  private readonly memo = new MergeMemo();
  /** "summary first" (topology.summary, node, search, table, findings, watchSummary,
   *  focus): kept node by node from each merged topology */
  readonly summaries: SummaryFeed;

  constructor(
    private readonly source: ClusterSource,
    private readonly isReadOnly: boolean,
  ) {
    this.topology = this.merge();
    this.summaries = new SummaryFeed(this.topology, this.version, this.memo);
  }

  /** Starts the source and gives the agents a moment to answer, so the first page
   *  shows the network rather than a row of "connecting" nodes. */
  async start(): Promise<void> {
    await this.source.start(() => this.schedule());
    const deadline = Date.now() + FIRST_VIEW_WAIT_MS;
    while (
      Date.now() < deadline &&
      [...this.source.read().agents.values()].some((a) => a.status.state === 'connecting')
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.update();
  }

  current(): { version: number; topology: Topology; problems: string[] } {
    return { version: this.version, topology: this.topology, problems: this.problems };
  }

  /** What a watcher that has `since` misses: the changes after it when the ring still
   *  holds them all, else (or without `since`) the whole topology. */
  catchUp(since: number | null): TopologyEvent[] {
    const snapshot: TopologyEvent[] = [{ type: 'snapshot', version: this.version, topology: this.topology }];
    if (since === null || since > this.version) return snapshot;
    if (since === this.version) return [];
    this.diffUndiffed();
    const missed = this.ring.filter((e) => e.event.version > since);
    // complete when they go from where the watcher is to now without a gap
    let at = since;
    for (const e of missed) {
      if (e.from !== at) return snapshot;
      at = e.event.version;
    }
    return at === this.version ? missed.map((e) => e.event) : snapshot;
  }

  /** The changes no page was there to take, as one event from the last diffed version. */
  private diffUndiffed(): void {
    const base = this.undiffed;
    if (!base) return;
    this.undiffed = null;
    this.stats.diffs++;
    const changes = diffTopology(base.topology, this.topology);
    this.remember(base.version, { type: 'changes', version: this.version, changes });
  }

  private remember(from: number, event: ChangesEvent): void {
    this.ring.push({ from, event });
    if (this.ring.length > RING_SIZE) this.ring.shift();
  }

  /** Yields what the watcher missed since version `since` (a snapshot without one), then
   *  changes, until the signal aborts or the view closes. A page loads the snapshot with
   *  the topology.snapshot query (one JSON response: far cheaper than the whole topology
   *  as one SSE event in a large cluster, bench/README.md) and watches from its version; a
   *  reconnect resumes the same way. */
  async *events(signal: AbortSignal | undefined, since: number | null = null): AsyncGenerator<TopologyEvent> {
    const w: Watcher = { queue: this.catchUp(since), wake: null };
    this.watchers.add(w);
    this.diffUndiffed(); // from now on every change is diffed
    const onAbort = () => w.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted && !this.closed) {
        const next = w.queue.shift();
        if (next) {
          if (next.type === 'snapshot' && next.topology.pods.length > STREAM_SNAPSHOT_MAX_PODS)
            throw new StreamTooBigError(
              `topology.watch does not stream whole topologies above ${STREAM_SNAPSHOT_MAX_PODS} pods (this one has ` +
                `${next.topology.pods.length}): load topology.snapshot and watch from its version, or use ` +
                'topology.summary and topology.watchSummary',
            );
          yield next;
          continue;
        }
        await new Promise<void>((r) => (w.wake = r));
        w.wake = null;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.watchers.delete(w);
    }
  }

  /** What a trace is computed from: the source's inputs as they are now (the control
   *  plane, every agent's snapshot, the lab's held faults). */
  traceInputs(): SourceInputs {
    return this.source.read();
  }

  agentToken(): string | null {
    return this.source.agentToken();
  }

  get readOnly(): boolean {
    return this.isReadOnly;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.summaries.close();
    for (const w of this.watchers) w.wake?.();
    await this.source.close();
  }

  private merge(): Topology {
    const inputs = this.source.read();
    this.problems = inputs.problems;
    return mergeTopology(inputs, this.isReadOnly, this.memo);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.update();
    }, DEBOUNCE_MS);
  }

  private update(): void {
    const next = this.merge();
    this.stats.merges++;
    // the merge hands back the same topology when nothing changed
    if (next === this.topology) return;
    if (this.watchers.size === 0) {
      // Nobody to send changes to: diff later, if a page comes back in time.
      this.undiffed ??= { version: this.version, topology: this.topology };
      this.topology = next;
      this.version++;
      if (this.version - this.undiffed.version > RING_SIZE) {
        // too far behind to be worth a diff: a page coming back gets a snapshot
        this.undiffed = null;
        this.ring = [];
      }
      this.summaries.update(next, this.version);
      return;
    }
    this.diffUndiffed();
    this.stats.diffs++;
    const changes = diffTopology(this.topology, next);
    if (changes.length === 0) return;
    const from = this.version;
    this.topology = next;
    this.version++;
    const event = { type: 'changes' as const, version: this.version, changes };
    this.remember(from, event);
    for (const w of this.watchers) {
      if (w.queue.length >= MAX_QUEUE) w.queue = [{ type: 'snapshot', version: this.version, topology: next }];
      else w.queue.push(event);
      w.wake?.();
    }
    this.summaries.update(next, this.version);
  }
}
