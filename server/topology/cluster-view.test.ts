// The live view's event stream: a watcher that resumes from a version gets exactly the
// changes it missed while the ring holds them, and a snapshot otherwise.
import { describe, expect, it } from 'vitest';
import { SyntheticSource } from '../sources/synthetic';
import { ClusterView, STREAM_SNAPSHOT_MAX_PODS } from './cluster-view';
import { applyTopologyChanges } from '../../lib/model/diff';
import type { TopologyChange, TopologyEvent } from '../../lib/model/topology';

async function settled(view: ClusterView, version: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (view.current().version < version) {
    if (Date.now() > deadline) throw new Error(`the view did not reach version ${version}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ClusterView', () => {
  it('resumes a watcher from its version with the changes it missed, then live changes', async () => {
    const source = new SyntheticSource('2x4');
    const view = new ClusterView(source, false);
    await view.start();
    const { version: v0, topology: t0 } = view.current();
    const late1 = source.addPod('node1', { name: 'late-1' });
    await settled(view, v0 + 1);
    source.addPod('node2', { name: 'late-2' });
    await settled(view, v0 + 2);

    // nobody watched: nothing was diffed; what changed since v0 is diffed now, as one event
    expect(view.stats.diffs).toBe(0);
    const missed = view.catchUp(v0);
    expect(view.stats.diffs).toBe(1);
    expect(missed.map((e) => [e.type, e.version])).toEqual([['changes', v0 + 2]]);
    expect(view.catchUp(v0)).toEqual(missed); // the ring holds it: not diffed again
    expect(view.stats.diffs).toBe(1);
    expect(view.catchUp(v0 + 1)[0]).toMatchObject({ type: 'snapshot' }); // inside that event: a snapshot
    // replayed, they give what the view holds now
    let t = t0;
    for (const e of missed) if (e.type === 'changes') t = applyTopologyChanges(t, e.changes as TopologyChange[]);
    expect(t.pods.map((p) => p.key).sort()).toEqual(
      view
        .current()
        .topology.pods.map((p) => p.key)
        .sort(),
    );

    expect(view.catchUp(v0 + 2)).toEqual([]); // up to date: nothing to send
    expect(view.catchUp(null)[0]).toMatchObject({ type: 'snapshot', version: v0 + 2 });
    expect(view.catchUp(v0 + 99)[0]).toMatchObject({ type: 'snapshot' }); // a version from another server

    const abort = new AbortController();
    const stream = view.events(abort.signal, v0 + 2);
    const next = stream.next();
    expect(source.removePod(late1)).toBe(true);
    const got = (await next).value as TopologyEvent;
    expect(got).toMatchObject({ type: 'changes', version: v0 + 3 });
    expect(view.stats.diffs).toBe(2); // a watcher: every change is diffed
    expect(view.catchUp(v0)).toHaveLength(2);
    abort.abort();
    await view.close();
  });

  it('diffs nothing while no page watches; a page that comes back gets what it missed as one event', async () => {
    const source = new SyntheticSource('4x16', { churnMs: null });
    const view = new ClusterView(source, false);
    await view.start();
    const { version: v0, topology: t0 } = view.current();
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      keys.push(source.addPod(`node${1 + (i % 4)}`, { name: `away-${i}` }));
      await settled(view, v0 + i + 1);
    }
    expect(source.removePod(keys[0]!)).toBe(true);
    await settled(view, v0 + 6);
    expect(view.stats.diffs).toBe(0);
    // the summary feed followed every change
    expect(view.summaries.current().summary.totals.pods).toBe(16 + 4);

    const abort = new AbortController();
    const stream = view.events(abort.signal, v0);
    const first = (await stream.next()).value as TopologyEvent;
    expect(first).toMatchObject({ type: 'changes', version: v0 + 6 });
    const changes = (first as Extract<TopologyEvent, { type: 'changes' }>).changes;
    expect(
      changes
        .filter((c) => c.collection === 'pods')
        .map((c) => `${c.op} ${c.key}`)
        .sort(),
    ).toEqual(keys.slice(1).map((k) => `added ${k}`));
    const t = applyTopologyChanges(t0, changes as TopologyChange[]);
    expect(t).toEqual(view.current().topology);
    abort.abort();
    await view.close();
  });

  it('does not stream a whole topology above STREAM_SNAPSHOT_MAX_PODS: it says to load topology.snapshot', async () => {
    const pods = STREAM_SNAPSHOT_MAX_PODS + 10;
    const view = new ClusterView(new SyntheticSource(`20x${pods}`, { churnMs: null }), false);
    await view.start();
    const fresh = view.events(undefined, null);
    await expect(fresh.next()).rejects.toThrow(/load topology.snapshot and watch from its version/);
    // from the version topology.snapshot gave: changes, no snapshot, as always
    const abort = new AbortController();
    const resumed = view.events(abort.signal, view.current().version);
    const first = resumed.next();
    abort.abort();
    expect((await first).done).toBe(true);
    await view.close();
  }, 60_000);
});
