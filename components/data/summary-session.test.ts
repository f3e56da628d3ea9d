// The page's side of summary first, against the server's own feed (no mocks of it): a
// node the page wants open is focused once the subscription says hello, its pods arrive
// and follow changes, a node let go is dropped at once, and a subscription the server has
// forgotten (resumed: false) gets its focus sent again.
import { describe, expect, it } from 'vitest';
import { SyntheticSource } from '../../server/sources/synthetic';
import { ClusterView } from '../../server/topology/cluster-view';
import type { SummaryEvent } from '../../lib/model/summary';
import { SummarySession, type FocusSender, type SummaryState } from './summary-session';

const START = new Date('2026-12-01T00:00:00.000Z');

async function until<T>(what: string, get: () => T | undefined | false, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`waited for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setUp() {
  const source = new SyntheticSource('8x80', { startedAt: START, churnMs: null });
  const view = new ClusterView(source, false);
  await view.start();
  const feed = view.summaries;
  const sent: string[][] = [];
  const sender: FocusSender = {
    topology: {
      focus: {
        mutate: async ({ subscriptionId, nodes }) => {
          sent.push(nodes);
          const done = feed.focus(subscriptionId, nodes);
          if (!done) throw new Error('NOT_FOUND');
          return done;
        },
      },
    },
  };
  let state: SummaryState | null = null;
  const first = feed.current();
  const session = new SummarySession(sender, first, (s) => (state = s));
  /** one connection of watchSummary feeding the session, as tRPC's SSE link does */
  const connect = (lastEventId: string | null) => {
    const abort = new AbortController();
    const ids: string[] = [];
    void (async () => {
      for await (const { id, event } of feed.events(abort.signal, lastEventId)) {
        ids.push(id);
        session.event(event as SummaryEvent);
      }
    })();
    return { abort: () => abort.abort(), ids };
  };
  return { source, view, feed, session, sent, connect, first, state: () => state };
}

describe('SummarySession (the page held as summaries)', () => {
  it('opens, follows and lets go of a node; says nothing to the server before it has a subscription', async () => {
    const t = await setUp();
    expect(t.state()!.loaded.size).toBe(0);
    expect(t.state()!.topology.nodes).toHaveLength(8);
    t.session.want(['node3']);
    expect(t.sent).toEqual([]); // no subscription yet
    const conn = t.connect(String(t.first.version));
    await until('node3 loaded', () => t.state()?.loaded.has('node3'));
    expect(t.sent).toEqual([['node3']]);
    const pods = () => t.state()!.topology.pods.map((p) => p.key);
    expect(pods()).toHaveLength(10);
    expect(t.state()!.topology.pods.every((p) => p.node === 'node3')).toBe(true);

    // a pod added on node3 arrives; one on node5 (not open) changes only its count
    const added = t.source.addPod('node3', { name: 'new-1' });
    await until('the new pod', () => pods().includes(added));
    t.source.addPod('node5', { name: 'new-2' });
    await until('node5 counted', () => t.state()!.summary.nodes.find((n) => n.name === 'node5')!.pods === 11);
    expect(pods()).toHaveLength(11);
    expect(t.state()!.summary.totals.pods).toBe(82);

    // let go: dropped at once, before the server has heard
    t.session.want([]);
    expect(t.state()!.loaded.size).toBe(0);
    expect(pods()).toEqual([]);
    await until('focus cleared', () => t.sent.length === 2);
    expect(t.sent[1]).toEqual([]);
    await until('the server focuses nothing', () => t.feed.stats().focused.length === 0);
    conn.abort();
    t.session.close();
    await t.view.close();
  });

  it('sends its focus again when the server no longer knows its subscription', async () => {
    const t = await setUp();
    t.session.want(['node2', 'node7']);
    const conn = t.connect(String(t.first.version));
    await until('both loaded', () => t.state()?.loaded.size === 2);
    conn.abort();
    // another server process (or one past the grace period): an id it never made
    const conn2 = t.connect(`someone-else:${t.first.version}`);
    await until('focus sent again', () => t.sent.length === 2);
    expect(t.sent[1]).toEqual(['node2', 'node7']);
    await until('both loaded again', () => t.state()?.loaded.size === 2);
    expect(t.state()!.topology.pods).toHaveLength(20);
    expect(conn2.ids[0]).not.toMatch(/^someone-else:/);
    conn2.abort();
    t.session.close();
    await t.view.close();
  });
});
