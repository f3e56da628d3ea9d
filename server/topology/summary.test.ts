// Summary first (issue 13): the summary is kept node by node (one change costs that
// node's part: counted, not timed), a focused node's detail follows it while unfocused
// nodes change only as their summary, a reconnect mid-expansion gets one consistent
// version, search and table page through 10,000 pods, and the summary stays small.
import { describe, expect, it } from 'vitest';
import { SyntheticSource } from '../sources/synthetic';
import type { AgentView, SourceInputs } from '../sources/source';
import { ClusterView } from './cluster-view';
import { MergeMemo, mergeTopology } from './merge';
import { SummaryBuilder, samePod } from './summary';
import { SummaryFeed } from './summary-feed';
import {
  applyNodeDetailChanges,
  applySummaryChanges,
  SMALL_NODES,
  type ClusterSummary,
  type NodeDetail,
  type SummaryEvent,
} from '../../lib/model/summary';
import type { TopoPod, Topology } from '../../lib/model/topology';
import { cmp, looksLikeIp, nodeScore, podScore, sortKey } from '../../lib/model/search';
import { parseIpv4 } from '../../lib/model/ipv4';

const START = new Date('2026-12-01T00:00:00.000Z');

async function settled(view: ClusterView, version: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (view.current().version < version) {
    if (Date.now() > deadline) throw new Error(`the view did not reach version ${version}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function liveView(shape: string) {
  const source = new SyntheticSource(shape, { startedAt: START, churnMs: null });
  const view = new ClusterView(source, false);
  await view.start();
  return { source, view };
}

/** A subscription as a page holds it: events pulled one at a time, with a time limit. */
function subscribe(feed: SummaryFeed, lastEventId: string | null = null) {
  const abort = new AbortController();
  const it = feed.events(abort.signal, lastEventId);
  const ids: string[] = [];
  return {
    ids,
    async next(ms = 2_000): Promise<SummaryEvent> {
      const r = await Promise.race([
        it.next(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event within the time')), ms)),
      ]);
      if (r.done) throw new Error('the subscription ended');
      ids.push(r.value.id);
      return r.value.event;
    },
    /** true when no event comes within `ms` (the pending pull is left to the abort) */
    async quiet(ms = 100): Promise<boolean> {
      const got = await Promise.race([
        it.next().then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), ms)),
      ]);
      return got;
    },
    close: () => abort.abort(),
  };
}

/** The page's side: a summary and open nodes' details, replayed from events. */
class PageModel {
  summary: ClusterSummary | null = null;
  version: number | null = null;
  details = new Map<string, NodeDetail>();
  apply(e: SummaryEvent): void {
    if (e.type === 'hello') return;
    if (e.type === 'summary') this.summary = e.summary;
    else this.summary = applySummaryChanges(this.summary!, e.changes);
    this.version = e.version;
    for (const d of e.details) {
      if (d.op === 'snapshot') this.details.set(d.node, d.detail);
      else if (d.op === 'removed') this.details.delete(d.node);
      else this.details.set(d.node, applyNodeDetailChanges(this.details.get(d.node)!, d.changes));
    }
  }
}

const podKeys = (d: NodeDetail | undefined) => (d?.pods.map((p) => p.key) ?? []).sort();
const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;

/** The same summary, node details and buckets (in order) from both builders. */
function expectSameBuilders(a: SummaryBuilder, b: SummaryBuilder, topo: Topology): void {
  expect(a.summary()).toEqual(b.summary());
  expect(a.buckets()).toEqual(b.buckets());
  for (const n of topo.nodes) expect(a.detail(n.name)).toEqual(b.detail(n.name));
}

describe('SummaryBuilder', () => {
  it('rebuilds only the node a pod was added to; every other node summary is the same object', async () => {
    const { source, view } = await liveView('10x200');
    const feed = view.summaries;
    const before = feed.current();
    const built = feed.builder.stats.nodesBuilt;
    source.addPod('node3', { name: 'late-1' });
    await settled(view, before.version + 1);
    const after = feed.current();
    expect(feed.builder.stats.nodesBuilt - built).toBe(1);
    after.summary.nodes.forEach((n, i) => {
      if (n.name === 'node3') expect(n).not.toBe(before.summary.nodes[i]);
      else expect(n).toBe(before.summary.nodes[i]);
    });
    const node3 = after.summary.nodes.find((n) => n.name === 'node3')!;
    expect(node3.pods).toBe(21);
    expect(after.summary.totals.pods).toBe(201);
    // the other nodes' pod lists are the arrays they were (the search and table shards too)
    expect(feed.builder.part('node1')!.pods).toBe(feed.builder.part('node1')!.pods);
    await view.close();
  });

  it('an agent-only change costs that node: no pod of another node is even compared', () => {
    const source = new SyntheticSource('20x400', { startedAt: START, churnMs: null });
    const inputs = source.read();
    const memo = new MergeMemo();
    const builder = new SummaryBuilder();
    builder.update(mergeTopology(inputs, false, memo), memo);
    const first = builder.summary();
    const stats = { ...builder.stats };
    // node7's agent goes unreachable: a new AgentView for node7 only, the same control plane
    const node7 = inputs.agents.get('node7')!;
    const down: AgentView = {
      ...node7,
      status: { ...node7.status, state: 'unreachable', error: 'connect ECONNREFUSED' },
    };
    const next: SourceInputs = { ...inputs, agents: new Map([...inputs.agents, ['node7', down]]) };
    builder.update(mergeTopology(next, false, memo), memo);
    expect(builder.stats.nodesBuilt - stats.nodesBuilt).toBe(1);
    // node7's 20 pods are rebuilt by the merge (health unreachable) and compared (the
    // in-order pass stops at the first, then key by key); no pod of another node is
    expect(builder.stats.podsCompared - stats.podsCompared).toBe(1 + 20);
    const s = builder.summary();
    expect(s.nodes.filter((n, i) => n !== first.nodes[i]).map((n) => n.name)).toEqual(['node7']);
    expect(s.nodes[6]).toMatchObject({ health: 'unreachable', podHealth: [0, 0, 20], agent: { state: 'unreachable' } });
    expect(s.totals.podHealth).toEqual([380, 0, 20]);
  });

  it("one pod added: the update looks at that node's pods only (the merge's part), not the cluster's", () => {
    const source = new SyntheticSource('20x400', { startedAt: START, churnMs: null });
    const memo = new MergeMemo();
    const builder = new SummaryBuilder();
    builder.update(mergeTopology(source.read(), false, memo), memo);
    expect(builder.stats.podsGrouped).toBe(400); // the first update: every node's part once
    const stats = { ...builder.stats };
    const node1Pods = builder.part('node1')!.pods;
    source.addPod('node3', { name: 'late-1' });
    const topo = mergeTopology(source.read(), false, memo);
    builder.update(topo, memo);
    // node3's 21 pods, none of the other 19 nodes' 380
    expect(builder.stats.podsGrouped - stats.podsGrouped).toBe(21);
    expect(builder.stats.nodesBuilt - stats.nodesBuilt).toBe(1);
    expect(builder.part('node1')!.pods).toBe(node1Pods);
    // the same as grouping every pod (a topology without the merge's parts)
    const whole = new SummaryBuilder();
    whole.update({ ...topo });
    expect(whole.stats.podsGrouped).toBe(401);
    expectSameBuilders(builder, whole, topo);
  });

  it("the merge's parts give what grouping every pod gives: unscheduled pods, unlisted nodes, findings", () => {
    const source = new SyntheticSource('6x60', { startedAt: START, churnMs: null });
    const inputs = source.read();
    const memo = new MergeMemo();
    const parted = new SummaryBuilder();
    const pod = (name: string, node: string | null) => ({
      ...inputs.plane.pods[0]!,
      name,
      node,
      ip: null,
      phase: 'Pending' as const,
    });
    const node2 = inputs.agents.get('node2')!;
    const steps: SourceInputs[] = [
      inputs,
      // an unscheduled pod, one with node "": the unscheduled part alone
      { ...inputs, plane: { ...inputs.plane, pods: [pod('u-1', null), ...inputs.plane.pods, pod('u-2', '')] } },
      // pods on two nodes the control plane does not list, interleaved with the rest
      {
        ...inputs,
        plane: {
          ...inputs.plane,
          pods: [pod('g-1', 'ghost-a'), pod('u-1', null), ...inputs.plane.pods, pod('g-2', 'ghost-b')].concat(
            pod('g-3', 'ghost-a'),
          ),
        },
      },
      // a node unreachable (its pods and a finding), a pod missing its veth (a finding)
      {
        ...inputs,
        plane: {
          ...inputs.plane,
          pods: [...inputs.plane.pods, { ...inputs.plane.pods[5]!, name: 'no-veth' }, pod('u-3', null)],
        },
        agents: new Map([
          ...inputs.agents,
          ['node2', { ...node2, status: { ...node2.status, state: 'unreachable' as const, error: 'down' } }],
        ]),
      },
      inputs,
    ];
    const totals: [number, number, number][] = [];
    for (const step of steps) {
      const topo = mergeTopology(step, false, memo);
      parted.update(topo, memo);
      const whole = new SummaryBuilder();
      whole.update({ ...topo });
      expectSameBuilders(parted, whole, topo);
      const t = parted.summary().totals;
      totals.push([t.unscheduled, t.elsewhere, t.findings.error]);
    }
    // unscheduled, elsewhere (node "" or unlisted), error findings at each step
    expect(totals).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [1, 3, 0],
      [1, 0, 2],
      [0, 0, 0],
    ]);
  });

  it("carries each node's highest pod slot, its unslotted pods and its worst finding's severity", () => {
    const source = new SyntheticSource('3x30', { startedAt: START, churnMs: null });
    const inputs = source.read();
    const memo = new MergeMemo();
    const builder = new SummaryBuilder();
    builder.update(mergeTopology(inputs, false, memo), memo);
    const before = builder.summary().nodes.find((n) => n.name === 'node2')!;
    const highest = Math.max(...builder.detail('node2')!.pods.map((p) => Number(p.ip!.split('.')[3]) - 2));
    expect(before.slots).toEqual({ highest, unslotted: 0 });
    expect(before.severity).toBeNull();
    // a pod on node2 outside its subnet (no slot), and node2's agent gone (an error finding)
    const stray = { ...inputs.plane.pods.find((p) => p.node === 'node2')!, name: 'stray', ip: '10.99.0.7' };
    const node2 = inputs.agents.get('node2')!;
    builder.update(
      mergeTopology(
        {
          ...inputs,
          plane: { ...inputs.plane, pods: [...inputs.plane.pods, stray] },
          agents: new Map([
            ...inputs.agents,
            ['node2', { ...node2, status: { ...node2.status, state: 'unreachable' as const, error: 'down' } }],
          ]),
        },
        false,
        memo,
      ),
      memo,
    );
    const after = builder.summary().nodes.find((n) => n.name === 'node2')!;
    expect(after.slots).toEqual({ highest, unslotted: 1 });
    expect(after.severity).toBe('error');
    expect(builder.summary().nodes.find((n) => n.name === 'node1')!.severity).toBeNull();
  });

  it('summarises routes as exceptions: a healthy host-gw node lists none, a lost route is named', () => {
    const source = new SyntheticSource('5x10', { startedAt: START, churnMs: null });
    const inputs = source.read();
    const builder = new SummaryBuilder();
    builder.update(mergeTopology(inputs, false));
    expect(builder.summary().nodes[0]!.routes).toEqual({
      count: 4,
      kind: 'except',
      nodes: [],
      more: 0,
      misrouted: [],
      foreign: 0,
    });
    const view = inputs.agents.get('node1')!;
    const snap = view.snapshot!;
    const routes = snap.routes
      .filter((r) => r.dst !== inputs.plane.nodes[2]!.podCIDR)
      .map((r) => (r.dst === inputs.plane.nodes[1]!.podCIDR ? { ...r, gateway: '192.168.1.99' } : r));
    const next: SourceInputs = {
      ...inputs,
      agents: new Map([...inputs.agents, ['node1', { ...view, snapshot: { ...snap, routes } }]]),
    };
    builder.update(mergeTopology(next, false));
    expect(builder.summary().nodes[0]!.routes).toEqual({
      count: 3,
      kind: 'except',
      nodes: ['node3'],
      more: 0,
      misrouted: ['node2'],
      foreign: 0,
    });
  });

  it('samePod tells apart pods that differ in any one field', () => {
    const source = new SyntheticSource('1x1', { startedAt: START, churnMs: null });
    const pod = mergeTopology(source.read(), false).pods[0]!;
    const variants: Record<keyof TopoPod, unknown> = {
      key: 'x/y',
      namespace: 'x',
      name: 'y',
      node: 'node9',
      ip: '10.0.0.9',
      phase: 'Pending',
      hostNetwork: true,
      labels: { app: 'other' },
      owner: null,
      veth: { ...pod.veth!, up: false },
      agentIp: '10.0.0.8',
      netns: null,
      containerID: null,
      seenBy: { api: false, agent: true },
      health: 'finding',
    };
    expect(samePod(pod, json(pod) as TopoPod)).toBe(true);
    for (const [field, value] of Object.entries(variants))
      expect(samePod(pod, { ...pod, [field]: value }), field).toBe(false);
  });
});

describe('watchSummary and focus', () => {
  it('a node opened, changed (its detail arrives; an unfocused node only as its summary), closed', async () => {
    const { source, view } = await liveView('6x60');
    const feed = view.summaries;
    const sub = subscribe(feed);
    const page = new PageModel();
    const hello = await sub.next();
    expect(hello).toMatchObject({ type: 'hello', resumed: false, focus: [] });
    const id = (hello as Extract<SummaryEvent, { type: 'hello' }>).subscriptionId;
    const first = await sub.next();
    expect(first.type).toBe('summary');
    page.apply(first);
    expect(page.summary!.nodes).toHaveLength(6);

    // opened: a snapshot of node2 at the current version
    expect(feed.focus(id, ['node2'])).toMatchObject({ focus: ['node2'], unknown: [] });
    const opened = await sub.next();
    expect(opened).toMatchObject({ type: 'changes', changes: [], details: [{ node: 'node2', op: 'snapshot' }] });
    page.apply(opened);
    expect(page.details.get('node2')!.pods).toHaveLength(10);

    // changed: a pod on node2 arrives as a detail change and node2's summary
    const v = view.current().version;
    const added = source.addPod('node2', { name: 'opened-1' });
    await settled(view, v + 1);
    const changed = await sub.next();
    expect(changed.type).toBe('changes');
    if (changed.type !== 'changes') throw new Error('unreachable');
    expect(changed.details).toEqual([
      {
        node: 'node2',
        op: 'changes',
        changes: [expect.objectContaining({ collection: 'pods', op: 'added', key: added })],
      },
    ]);
    expect(changed.changes.filter((c) => c.collection === 'nodes').map((c) => c.key)).toEqual(['node2']);
    page.apply(changed);
    expect(podKeys(page.details.get('node2'))).toEqual(podKeys(feed.detail('node2')!.detail));

    // an unfocused node's change: its summary (the count), no detail
    source.addPod('node4', { name: 'elsewhere-1' });
    await settled(view, v + 2);
    const other = await sub.next();
    if (other.type !== 'changes') throw new Error(`expected changes, got ${other.type}`);
    expect(other.details).toEqual([]);
    expect(other.changes).toContainEqual(expect.objectContaining({ collection: 'nodes', key: 'node4', op: 'changed' }));
    page.apply(other);
    expect(page.summary!.nodes.find((n) => n.name === 'node4')!.pods).toBe(11);
    expect(JSON.stringify(page.summary)).toBe(JSON.stringify(feed.current().summary));

    // closed: node2 changes again, only its summary comes
    feed.focus(id, []);
    expect(feed.stats().focused).toEqual([]);
    source.removePod(added);
    await settled(view, v + 3);
    const after = await sub.next();
    if (after.type !== 'changes') throw new Error(`expected changes, got ${after.type}`);
    expect(after.details).toEqual([]);
    expect(after.changes).toContainEqual(expect.objectContaining({ collection: 'nodes', key: 'node2' }));
    sub.close();
    await view.close();
  });

  it('a page reconnecting mid-expansion gets its summary and its open nodes at one version', async () => {
    const { source, view } = await liveView('6x60');
    const feed = view.summaries;
    // the page loaded topology.summary at version V, and watches from there
    const loaded = feed.current();
    const page = new PageModel();
    page.summary = loaded.summary;
    page.version = loaded.version;
    const sub = subscribe(feed, String(loaded.version));
    const hello = (await sub.next()) as Extract<SummaryEvent, { type: 'hello' }>;
    expect(sub.ids[0]).toBe(`${hello.subscriptionId}:${loaded.version}`);
    feed.focus(hello.subscriptionId, ['node1', 'node5']);
    page.apply(await sub.next()); // the two snapshots
    expect([...page.details.keys()].sort()).toEqual(['node1', 'node5']);

    // mid-expansion: the page opens node3 too, and the connection drops before it hears
    feed.focus(hello.subscriptionId, ['node1', 'node5', 'node3']);
    const lastId = sub.ids.at(-1)!;
    sub.close();
    const v = view.current().version;
    source.addPod('node1', { name: 'while-away-1' });
    await settled(view, v + 1);
    source.addPod('node3', { name: 'while-away-2' });
    await settled(view, v + 2);
    source.addPod('node6', { name: 'while-away-3' });
    await settled(view, v + 3);

    // tRPC reconnects with the last event id: the same subscription, its focus kept
    const again = subscribe(feed, lastId);
    const hello2 = await again.next();
    expect(hello2).toMatchObject({ type: 'hello', subscriptionId: hello.subscriptionId, resumed: true });
    expect((hello2 as Extract<SummaryEvent, { type: 'hello' }>).focus.sort()).toEqual(['node1', 'node3', 'node5']);
    // the missed summary changes, then the open nodes whole, all ending at the current version
    const now = view.current().version;
    while (page.version !== now || page.details.size < 3) page.apply(await again.next());
    expect(again.ids.at(-1)).toBe(`${hello.subscriptionId}:${now}`);
    expect(json(page.summary)).toEqual(json(feed.current().summary));
    for (const n of ['node1', 'node3', 'node5'])
      expect(json(page.details.get(n))).toEqual(json(feed.detail(n)!.detail));
    expect(podKeys(page.details.get('node3')).some((k) => k.endsWith('/while-away-2'))).toBe(true);
    expect(await again.quiet()).toBe(true);
    again.close();

    // a resume from a version the server does not hold (another process): a fresh summary
    const stranger = subscribe(feed, 'someone-else:99999');
    expect(await stranger.next()).toMatchObject({ type: 'hello', resumed: false, focus: [] });
    expect(await stranger.next()).toMatchObject({ type: 'summary', version: now, details: [] });
    stranger.close();
    await view.close();
  });

  it('forgets a dropped subscription after the grace period; focus on it is then refused', async () => {
    let now = 1_000_000;
    const source = new SyntheticSource('3x9', { startedAt: START, churnMs: null });
    const memo = new MergeMemo();
    const feed = new SummaryFeed(mergeTopology(source.read(), false, memo), 0, memo, () => now);
    const sub = subscribe(feed);
    const hello = (await sub.next()) as Extract<SummaryEvent, { type: 'hello' }>;
    expect(feed.focus(hello.subscriptionId, ['node2', 'node9'])).toMatchObject({ unknown: ['node9'] });
    sub.close();
    await sub.quiet(20); // lets the generator see the abort
    now += 30_000;
    expect(feed.focus(hello.subscriptionId, ['node2'])).not.toBeNull(); // within the grace
    now += 61_000;
    expect(feed.focus(hello.subscriptionId, ['node2'])).toBeNull();
    expect(feed.stats()).toEqual({ focused: [], sessions: 0 });
  });
});

describe('search, table and findings from the index', () => {
  it('finds pods by IP, name, namespace and node, and pages the table, at 10,000 pods', async () => {
    const { source, view } = await liveView('100x10000');
    const index = view.summaries.index;
    const topo = view.current().topology;
    const pod = topo.pods.find((p) => p.key === source.podKeys('node42')[3])!;

    expect(index.find(pod.ip!, 50).results[0]).toMatchObject({ sel: { kind: 'pod', key: pod.key }, score: 0 });
    // an address prefix: the node's subnet
    const prefix = pod.ip!.split('.').slice(0, 3).join('.') + '.';
    const byPrefix = index.find(prefix, 50);
    expect(byPrefix.total).toBeGreaterThanOrEqual(100);
    expect(byPrefix.results).toHaveLength(50);
    expect(index.find(pod.name, 10).results[0]).toMatchObject({ sel: { kind: 'pod', key: pod.key }, score: 0 });
    // a substring (trigrams), counted across every node
    const sub = index.find('od-99', 50);
    expect(sub.total).toBe(topo.pods.filter((p) => p.name.includes('od-99')).length);
    expect(sub.results.every((r) => r.label.includes('od-99'))).toBe(true);
    // a namespace: every pod in it, after pods named so
    expect(index.find('batch', 5).total).toBe(topo.pods.filter((p) => p.namespace === 'batch').length);
    // a node: the node first, then its pods
    const byNode = index.find('node42', 200);
    expect(byNode.results[0]).toMatchObject({ sel: { kind: 'node', key: 'node42' }, score: 0 });
    expect(byNode.total).toBe(1 + 100);
    // the same answers as a scan of every pod with the page's rules
    for (const q of ['web/pod-1', 'pod-77', 'po', '7', '10.244.3', 'data', 'node9', 'cache']) {
      const got = index.find(q, 50);
      const want = scan(topo, q);
      expect(got.total, q).toBe(want.length);
      expect(
        got.results.map((r) => `${r.score} ${r.label}`),
        q,
      ).toEqual(want.slice(0, 50));
    }

    // table: page 40 of 200 rows, nodes first then pods as listed
    const total = topo.nodes.length + topo.pods.length;
    const p40 = index.table({ page: 40, pageSize: 200 });
    expect(p40.total).toBe(total);
    expect(p40.rows.map((r) => r.id)).toEqual(
      [...topo.nodes.map((n) => `node:${n.name}`), ...bucketOrder(view)].slice(8000, 8200),
    );
    // sorted by IP, descending: the k-way merge agrees with a plain sort of every row
    const sorted = index.table({ page: 3, pageSize: 50, sort: { column: 'ip', dir: 'desc' }, kind: 'pod' });
    const ipNum = (ip: string | null) => ip!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const expected = topo.pods
      .slice()
      .sort((a, b) => ipNum(b.ip) - ipNum(a.ip))
      .slice(150, 200)
      .map((p) => p.key);
    expect(sorted.rows.map((r) => r.sel.key)).toEqual(expected);
    expect(sorted.total).toBe(topo.pods.length);
    // filtered: every word in the row's text
    const filtered = index.table({ page: 0, pageSize: 200, filter: 'pod node42 batch' });
    expect(filtered.total).toBe(topo.pods.filter((p) => p.node === 'node42' && p.namespace === 'batch').length);
    expect(filtered.rows.every((r) => r.node === 'node42' && r.namespace === 'batch')).toBe(true);
    // by name, ascending and numeric-aware: pod-2 before pod-10
    const byName = index.table({ page: 0, pageSize: 3, sort: { column: 'name', dir: 'asc' }, kind: 'pod' });
    expect(byName.rows.map((r) => r.name)).toEqual(['pod-1', 'pod-2', 'pod-3']);

    // after a change only that node's shards are built again
    const built = { ...index.stats };
    const v = view.current().version;
    const late = source.addPod('node7', { name: 'zz-late' });
    await settled(view, v + 1);
    expect(index.find('zz-late', 5).results[0]).toMatchObject({ sel: { key: late } });
    expect(index.stats.searchShardsBuilt - built.searchShardsBuilt).toBe(1);
    expect(
      index.table({ page: 0, pageSize: 1, sort: { column: 'name', dir: 'desc' }, kind: 'pod' }).rows[0]!.sel.key,
    ).toBe(late);
    expect(index.stats.tableShardsBuilt - built.tableShardsBuilt).toBe(1);

    expect(index.findings({ page: 0, pageSize: 10 })).toMatchObject({ rows: [], total: 0 });
    await view.close();
  });

  it('pages the findings, errors first, by node', () => {
    const source = new SyntheticSource('4x8', { startedAt: START, churnMs: null });
    const inputs = source.read();
    const down = (name: string): [string, AgentView] => {
      const a = inputs.agents.get(name)!;
      return [name, { ...a, status: { ...a.status, state: 'unreachable', error: 'timeout' } }];
    };
    const plane = {
      ...inputs.plane,
      nodes: inputs.plane.nodes.map((n) => (n.name === 'node4' ? { ...n, ready: false } : n)),
    };
    const next: SourceInputs = { ...inputs, plane, agents: new Map([...inputs.agents, down('node2'), down('node3')]) };
    const memo = new MergeMemo();
    const feed = new SummaryFeed(mergeTopology(next, false, memo), 1, memo);
    const all = feed.index.findings({ page: 0, pageSize: 10 });
    expect(all.total).toBe(3);
    expect(all.rows.map((f) => [f.severity, f.node])).toEqual([
      ['error', 'node2'],
      ['error', 'node3'],
      ['warning', 'node4'],
    ]);
    expect(feed.index.findings({ page: 1, pageSize: 2 }).rows.map((f) => f.node)).toEqual(['node4']);
    expect(feed.index.findings({ page: 0, pageSize: 10, node: 'node3' }).total).toBe(1);
    expect(feed.current().summary.totals.findings).toEqual({ error: 2, warning: 1 });
  });
});

/** search by scanning every node and pod, ordered as the page orders results */
function scan(topo: Topology, query: string): string[] {
  const q = query.trim().toLowerCase();
  const ip = looksLikeIp(q);
  const fullIp = ip ? parseIpv4(q) : null;
  const out: { score: number; kind: number; label: string }[] = [];
  for (const n of topo.nodes) {
    const score = nodeScore(n, q, ip, fullIp);
    if (score !== null) out.push({ score, kind: 0, label: n.name });
  }
  for (const p of topo.pods) {
    const score = podScore(p, q, ip);
    if (score !== null) out.push({ score, kind: 1, label: p.key });
  }
  out.sort((a, b) => a.score - b.score || a.kind - b.kind || cmp(sortKey(a.label), sortKey(b.label)));
  return out.map((r) => `${r.score} ${r.label}`);
}

/** the pods in the index's unsorted order: node by node, as the topology lists them */
function bucketOrder(view: ClusterView): string[] {
  return view.summaries.builder.buckets().flatMap((b) => b.pods.map((p) => `pod:${p.key}`));
}

describe('the summary stays small', () => {
  it('100 x 10,000 is at most 300 KB and 1,000 x 100,000 at most 1 MB of JSON', () => {
    for (const [shape, limit] of [
      ['100x10000', 300_000],
      ['1000x100000', 1_000_000],
    ] as const) {
      const source = new SyntheticSource(shape, { startedAt: START, churnMs: null });
      const memo = new MergeMemo();
      const builder = new SummaryBuilder();
      builder.update(mergeTopology(source.read(), false, memo), memo);
      const bytes = Buffer.byteLength(JSON.stringify(builder.summary()));
      expect(bytes, shape).toBeLessThanOrEqual(limit);
      const perNode = bytes / builder.summary().nodes.length;
      expect(perNode, shape).toBeLessThanOrEqual(1_000);
    }
  }, 240_000);
});

describe('the tRPC procedures', () => {
  it('answers summary, node, search, table and findings; an unknown node or subscription is NOT_FOUND', async () => {
    const { createCaller } = await import('../api/root');
    const { RateLimiter } = await import('../audit');
    const { view } = await liveView('4x40');
    const caller = createCaller({ cluster: view, headers: new Headers(), limiter: new RateLimiter(0) });
    const { version, summary, whole } = await caller.topology.summary();
    expect(version).toBe(view.current().version);
    expect(summary.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3', 'node4']);
    expect(whole).toBeNull();
    // a cluster a page holds whole comes whole too when asked: the snapshot's own version
    const small = await caller.topology.summary({ wholeIfSmall: true });
    expect(small.whole?.version).toBe(view.current().version);
    expect(small.whole?.topology.pods).toHaveLength(40);
    expect((await caller.topology.node({ name: 'node2' })).detail.pods).toHaveLength(10);
    await expect(caller.topology.node({ name: 'node9' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await caller.topology.search({ text: 'node3', limit: 5 })).results[0]).toMatchObject({
      sel: { key: 'node3' },
    });
    expect(await caller.topology.table({ page: 1, pageSize: 20 })).toMatchObject({ total: 44 });
    await expect(caller.topology.table({ page: 0, pageSize: 201 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await caller.topology.findings({ page: 0, pageSize: 10 })).toMatchObject({ total: 0 });
    const pod = (await caller.topology.node({ name: 'node3' })).detail.pods[4]!;
    expect(await caller.topology.locate({ pod: pod.key })).toEqual({ version, node: 'node3' });
    await expect(caller.topology.locate({ pod: 'default/nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(caller.topology.focus({ subscriptionId: 'gone', nodes: ['node1'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      caller.topology.focus({ subscriptionId: 'x', nodes: Array.from({ length: 65 }, (_, i) => `node${i}`) }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await view.close();
  });

  it('does not send a cluster whole past SMALL_NODES, even when asked', async () => {
    const { createCaller } = await import('../api/root');
    const { RateLimiter } = await import('../audit');
    const { view } = await liveView(`${SMALL_NODES + 1}x${SMALL_NODES + 1}`);
    const caller = createCaller({ cluster: view, headers: new Headers(), limiter: new RateLimiter(0) });
    const { summary, whole } = await caller.topology.summary({ wholeIfSmall: true });
    expect(summary.nodes).toHaveLength(SMALL_NODES + 1);
    expect(whole).toBeNull();
    await view.close();
  });
});
