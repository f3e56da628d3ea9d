// One summary subscription's state on the page (components/data/use-topology.ts holds
// it): the summary, the open nodes' details, and the focus asked of the server. Apart from
// React, so a test can drive it with the server's own SummaryFeed.
import {
  applyNodeDetailChanges,
  applySummaryChanges,
  type ClusterSummary,
  type DetailUpdate,
  type NodeDetail,
  type SummaryEvent,
} from '../../lib/model/summary';
import { topologyFromSummary } from '../../lib/model/summary-topology';
import type { Topology } from '../../lib/model/topology';

/** what the session publishes to the page */
export interface SummaryState {
  topology: Topology;
  loaded: ReadonlySet<string>;
  summary: ClusterSummary;
  version: number;
}

/** topology.focus, as much of the tRPC client as the session uses */
export interface FocusSender {
  topology: { focus: { mutate(input: { subscriptionId: string; nodes: string[] }): Promise<unknown> } };
}

export interface FocusControl {
  want(nodes: readonly string[]): void;
  close(): void;
}

/**
 * One summary subscription's state on the page: the summary, the open nodes' details, and
 * the focus it has asked for. Events apply in order; a `summary` event replaces
 * everything; details of nodes no longer wanted are dropped at once (the server stops
 * sending their changes).
 */
export class SummarySession implements FocusControl {
  private summary: ClusterSummary;
  private version: number;
  private details = new Map<string, NodeDetail>();
  private subscriptionId: string | null = null;
  /** what the page wants open */
  private wanted: string[] = [];
  /** the focus the server holds for the subscription, as last sent ('' for none: a new
   *  subscription's) */
  private sent = '';
  private sending = false;
  private closed = false;
  private frame: number | null = null;

  constructor(
    private readonly trpc: FocusSender,
    first: { version: number; summary: ClusterSummary },
    private readonly publish: (state: SummaryState) => void,
  ) {
    this.summary = first.summary;
    this.version = first.version;
    this.show(true);
  }

  want(nodes: readonly string[]): void {
    this.wanted = [...nodes];
    let dropped = false;
    for (const n of this.details.keys()) {
      if (this.wanted.includes(n)) continue;
      this.details.delete(n);
      dropped = true;
    }
    if (dropped) this.show();
    this.sendFocus();
  }

  event(e: SummaryEvent): void {
    if (this.closed) return;
    if (e.type === 'hello') {
      this.subscriptionId = e.subscriptionId;
      // A new subscription (first, or the server forgot the old one) has no focus: send it.
      if (!e.resumed) this.sent = '';
      this.sendFocus();
      return;
    }
    if (e.type === 'summary') {
      this.summary = e.summary;
      this.details.clear();
    } else if (e.version > this.version) this.summary = applySummaryChanges(this.summary, e.changes);
    this.version = Math.max(this.version, e.version);
    for (const d of e.details) this.detail(d);
    this.show();
  }

  close(): void {
    this.closed = true;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
  }

  private detail(d: DetailUpdate): void {
    // a node's detail that arrives after the page let it go is not kept
    if (!this.wanted.includes(d.node)) return;
    if (d.op === 'snapshot') this.details.set(d.node, d.detail);
    else if (d.op === 'removed') this.details.delete(d.node);
    else {
      const had = this.details.get(d.node);
      if (had) this.details.set(d.node, applyNodeDetailChanges(had, d.changes));
    }
  }

  /** The Topology for what is held now, at most once a frame (a burst of events is one
   *  render); `now` for the first one, which nothing should wait for. */
  private show(now = false): void {
    const publish = () => {
      this.frame = null;
      if (this.closed) return;
      const { topology, loaded } = topologyFromSummary(this.summary, this.details);
      this.publish({ topology, loaded, summary: this.summary, version: this.version });
    };
    if (now || typeof requestAnimationFrame === 'undefined') return publish();
    this.frame ??= requestAnimationFrame(publish);
  }

  /** One topology.focus at a time; the latest wish is sent when the one in flight ends. */
  private sendFocus(): void {
    const id = this.subscriptionId;
    const key = this.wanted.join('\n');
    if (!id || this.sending || this.closed || key === this.sent) return;
    this.sending = true;
    const nodes = this.wanted;
    this.trpc.topology.focus
      .mutate({ subscriptionId: id, nodes })
      .then(() => {
        if (this.subscriptionId === id) this.sent = key;
      })
      .catch(() => {
        // The server no longer knows the subscription: its reconnect's hello brings a new
        // id and the focus goes again then, not in a loop now.
        if (this.subscriptionId === id) this.subscriptionId = null;
      })
      .finally(() => {
        this.sending = false;
        this.sendFocus();
      });
  }
}
