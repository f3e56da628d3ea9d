// The dashboard server's side of "summary first" (issue 13), in one process, no browser:
// for synthetic clusters, the JSON bytes of topology.summary beside topology.snapshot's,
// the time to build each (the first merge: each route's node found by its subnet), one pod
// added (the source's read, the merge, topology.watch's diff, the summary update: the pods
// it looked at) and the server's heap. Prints, asserts nothing. See bench/README.md.
//
//   node --expose-gc --import ./node_modules/tsx/dist/loader.mjs bench/dashboard-server.ts \
//     [--shapes 100x10000,1000x100000] [--rounds 5]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { diffTopology } from '../lib/model/diff.js';
import { SyntheticSource } from '../server/sources/synthetic.js';
import { MergeMemo, mergeTopology } from '../server/topology/merge.js';
import { SummaryFeed } from '../server/topology/summary-feed.js';

const { values } = parseArgs({
  options: { shapes: { type: 'string', default: '100x10000,1000x100000' }, rounds: { type: 'string', default: '5' } },
});
const rounds = Number(values.rounds);
const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f1 = (x: number) => x.toFixed(1);
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

if (!gc) console.error('(run with node --expose-gc for heap figures after a collection)');
const rows: string[][] = [];
for (const shape of values.shapes.split(',')) {
  const heap0 = heapMB();
  const source = new SyntheticSource(shape, { startedAt: new Date('2026-12-01T00:00:00Z'), churnMs: null });
  const memo = new MergeMemo();
  let t0 = performance.now();
  const first = source.read();
  const readFirst = ms(t0);
  t0 = performance.now();
  let topo = mergeTopology(first, false, memo);
  const mergeFirst = ms(t0);
  t0 = performance.now();
  const feed = new SummaryFeed(topo, 0, memo);
  const summaryFirst = ms(t0);
  const heapAll = heapMB();

  t0 = performance.now();
  const snapshotBytes = Buffer.byteLength(JSON.stringify({ version: 0, topology: topo }));
  const snapshotJson = ms(t0);
  t0 = performance.now();
  const summaryBytes = Buffer.byteLength(JSON.stringify(feed.current()));
  const summaryJson = ms(t0);
  const detailBytes = Buffer.byteLength(JSON.stringify(feed.detail('node1')));

  // one pod added, `rounds` times: merge, topology.watch's diff, the summary's update
  const read: number[] = [];
  const merge: number[] = [];
  const diff: number[] = [];
  const summary: number[] = [];
  const total: number[] = [];
  const partsBuilt0 = memo.stats.partsBuilt;
  const compared0 = feed.builder.stats.podsCompared;
  const built0 = feed.builder.stats.nodesBuilt;
  const grouped0 = feed.builder.stats.podsGrouped;
  for (let r = 0; r < rounds; r++) {
    source.addPod(`node${1 + r}`, { name: `bench-${r}` });
    t0 = performance.now();
    const inputs = source.read();
    read.push(ms(t0));
    t0 = performance.now();
    const next = mergeTopology(inputs, false, memo);
    merge.push(ms(t0));
    t0 = performance.now();
    diffTopology(topo, next);
    diff.push(ms(t0));
    t0 = performance.now();
    feed.update(next, r + 1);
    summary.push(ms(t0));
    total.push(read.at(-1)! + merge.at(-1)! + diff.at(-1)! + summary.at(-1)!);
    topo = next;
  }
  const partsPerUpdate = (memo.stats.partsBuilt - partsBuilt0) / rounds;
  const perUpdate = [
    feed.builder.stats.nodesBuilt - built0,
    feed.builder.stats.podsGrouped - grouped0,
    feed.builder.stats.podsCompared - compared0,
  ]
    .map((n) => n / rounds)
    .join(' / ');
  const search: number[] = [];
  const table: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    let worst = 0;
    for (const q of ['pod-4242', '10.0.3.', 'web', 'node17']) {
      t0 = performance.now();
      feed.index.find(q, 50);
      worst = Math.max(worst, ms(t0));
    }
    search.push(worst);
    t0 = performance.now();
    feed.index.table({ page: 40, pageSize: 200, sort: { column: 'name', dir: 'asc' } });
    table.push(ms(t0));
  }
  const heapAfter = heapMB();
  rows.push([
    shape,
    kb(snapshotBytes),
    kb(summaryBytes),
    kb(detailBytes),
    `${f1(readFirst)} / ${f1(mergeFirst)}`,
    f1(summaryFirst),
    `${f1(snapshotJson)} / ${f1(summaryJson)}`,
    f1(median(read)),
    f1(median(merge)),
    f1(median(diff)),
    f1(median(summary)),
    `${f1(median(total))} / ${f1(Math.max(...total))}`,
    `${partsPerUpdate} / ${perUpdate}`,
    `${f1(search[0]!)} / ${f1(search[1]!)}`,
    `${f1(table[0]!)} / ${f1(table[1]!)}`,
    `${(heapAll - heap0).toFixed(0)} / ${(heapAfter - heap0).toFixed(0)}`,
  ]);
  console.error(`${shape} done`);
}
const head = [
  'shape',
  'snapshot JSON',
  'summary JSON',
  'node1 detail',
  'first: source read / merge ms',
  'summary build ms',
  'stringify snapshot / summary ms',
  '+1 pod: source read ms',
  'merge ms',
  'watch diff ms',
  'summary update ms',
  'all four: median / max ms',
  'merge parts built / summary nodes rebuilt / pods grouped / pods compared per update',
  'search, slowest of 4: first / again ms',
  'table page 40 by name: first / again ms',
  'heap MB (merged + summary / after)',
];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
