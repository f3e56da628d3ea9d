// The server's live Topology: a source's inputs merged after every change (debounced, so
// a burst of agent diffs costs one merge), diffed against the last one, and fanned out
// to every watching page as TopologyEvents. A page that falls behind gets a fresh
// snapshot instead of an ever longer queue.
import type { Topology, TopologyEvent } from '../../lib/model/topology';
import { diffTopology } from '../../lib/model/topology-diff';
import type { ClusterSource } from '../sources/source';
import { mergeTopology } from './merge';

const DEBOUNCE_MS = 15;
const FIRST_VIEW_WAIT_MS = 2_000;
/** queued events per watcher before it is sent a snapshot instead */
const MAX_QUEUE = 64;

interface Watcher {
  queue: TopologyEvent[];
  wake: (() => void) | null;
}

export class ClusterView {
  private topology: Topology;
  private version = 0;
  private problems: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private watchers = new Set<Watcher>();

  constructor(
    private readonly source: ClusterSource,
    private readonly isReadOnly: boolean,
  ) {
    this.topology = this.merge();
  }

  /** Starts the source and gives the agents a moment to answer, so the first page
   *  shows the network rather than a row of "connecting" nodes. */
  async start(): Promise<void> {
    await this.source.start(() => this.schedule());
    const deadline = Date.now() + FIRST_VIEW_WAIT_MS;
    while (Date.now() < deadline && [...this.source.read().agents.values()].some((a) => a.status.state === 'connecting')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.update();
  }

  current(): { version: number; topology: Topology; problems: string[] } {
    return { version: this.version, topology: this.topology, problems: this.problems };
  }

  /** Yields a snapshot, then changes, until the signal aborts. */
  async *events(signal: AbortSignal | undefined): AsyncGenerator<TopologyEvent> {
    const w: Watcher = { queue: [{ type: 'snapshot', version: this.version, topology: this.topology }], wake: null };
    this.watchers.add(w);
    const onAbort = () => w.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted) {
        const next = w.queue.shift();
        if (next) {
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

  agentToken(): string | null {
    return this.source.agentToken();
  }

  get readOnly(): boolean {
    return this.isReadOnly;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.wake?.();
    await this.source.close();
  }

  private merge(): Topology {
    const inputs = this.source.read();
    this.problems = inputs.problems;
    return mergeTopology(inputs, this.isReadOnly);
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
    const changes = diffTopology(this.topology, next);
    if (changes.length === 0) return;
    this.topology = next;
    this.version++;
    for (const w of this.watchers) {
      if (w.queue.length >= MAX_QUEUE) w.queue = [{ type: 'snapshot', version: this.version, topology: next }];
      else w.queue.push({ type: 'changes', version: this.version, changes });
      w.wake?.();
    }
  }
}
