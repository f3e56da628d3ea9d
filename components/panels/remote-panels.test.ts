// The table and the findings list in remote mode, rendered as the server renders them
// (no DOM needed): the queries the components put in react-query's cache are answered
// by the real tRPC procedures over a synthetic cluster, then the page is rendered again
// and must show what the local mode shows from the same cluster's Topology.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticSource } from '../../server/sources/synthetic';
import { ClusterView } from '../../server/topology/cluster-view';
import { FindingsList } from './FindingsList';
import { TopologyTable } from './TopologyTable';

type Caller = Awaited<ReturnType<typeof makeCaller>>;

async function makeCaller(view: ClusterView) {
  const { createCaller } = await import('../../server/api/root');
  const { RateLimiter } = await import('../../server/audit');
  return createCaller({ cluster: view, headers: new Headers(), limiter: new RateLimiter(0) });
}

let view: ClusterView;
let caller: Caller;

beforeAll(async () => {
  // 453 rows: three pages of 200
  view = new ClusterView(
    new SyntheticSource('3x450', { startedAt: new Date('2026-12-01T00:00:00Z'), churnMs: null }),
    false,
  );
  await view.start();
  caller = await makeCaller(view);
});
afterAll(() => view.close());

/** Renders, answers every query the render asked for with the tRPC procedure it names
 *  (as the page's client would), and renders again. */
async function renderAnswered(ui: ReactElement): Promise<{ html: string; asked: unknown[] }> {
  const client = new QueryClient();
  const render = () => renderToStaticMarkup(createElement(QueryClientProvider, { client }, ui));
  const first = render();
  const queries = client.getQueryCache().findAll();
  for (const q of queries) {
    const [, what, input] = q.queryKey as [string, 'table' | 'findings' | 'search', never];
    client.setQueryData(q.queryKey, await caller.topology[what](input));
  }
  expect(first).not.toContain('data-key="pod:');
  return { html: render(), asked: queries.map((q) => q.queryKey) };
}

const rowKeys = (html: string) => [...html.matchAll(/<tr data-key="([^"]+)"/g)].map((m) => m[1]!);
/** each row's markup by its key */
const rowsByKey = (html: string) =>
  new Map([...html.matchAll(/<tr data-key="([^"]+)".*?<\/tr>/g)].map((m) => [m[1]!, m[0]]));
const attr = (html: string, testid: string, name: string) =>
  new RegExp(`data-testid="${testid}"[^>]*?${name}="([^"]*)"`).exec(html)?.[1];

describe('TopologyTable in remote mode', () => {
  it('shows the server’s first page of 200 rows, the counts and the pager, and asks nothing of the Topology', async () => {
    const version = view.current().version;
    const noop = () => {};
    const remote = await renderAnswered(
      createElement(TopologyTable, { topology: null, selection: null, onSelect: noop, remote: { version } }),
    );
    const local = renderToStaticMarkup(
      createElement(
        QueryClientProvider,
        { client: new QueryClient() },
        createElement(TopologyTable, { topology: view.current().topology, selection: null, onSelect: noop }),
      ),
    );
    // the page, and one row of each kind for the cluster's counts, in one render
    expect(remote.asked).toHaveLength(3);
    expect(rowKeys(remote.html)).toHaveLength(200);
    // every row one of the cluster's, drawn exactly as the local mode draws it (the
    // server's unsorted order is its own: node by node, so compare where both have a row)
    const keys = new Set([
      ...view.current().topology.nodes.map((n) => `node:${n.name}`),
      ...view.current().topology.pods.map((p) => `pod:${p.key}`),
    ]);
    for (const k of rowKeys(remote.html)) expect(keys.has(k), k).toBe(true);
    const localRows = rowsByKey(local);
    const both = [...rowsByKey(remote.html)].filter(([k]) => localRows.has(k));
    expect(both.length).toBeGreaterThan(100);
    for (const [k, tr] of both) expect(tr, k).toBe(localRows.get(k));
    expect(attr(remote.html, 'table-count', 'data-total')).toBe('453');
    expect(attr(local, 'table-count', 'data-total')).toBe('453');
    expect(attr(remote.html, 'table-page', 'data-page')).toBe('1');
    expect(attr(remote.html, 'table-page', 'data-pages')).toBe('3');
    // the page number is a box to type over: its value, then the rest of the line
    expect(remote.html).toMatch(/data-testid="table-goto"[^>]*value="1"/);
    expect(remote.html).toContain('of 3 · 453 rows');
    expect(remote.html).toContain('3 nodes and 450 pods');
    expect(remote.html).not.toContain('data-testid="table-more"');
    expect(local).toContain('data-testid="table-more"');
    expect(local).not.toContain('data-testid="table-page"');
  });
});

describe('FindingsList in remote mode', () => {
  it('says the same as the local mode when the server has no findings', async () => {
    const noop = () => {};
    const remote = await renderAnswered(
      createElement(FindingsList, {
        findings: [],
        selection: null,
        onSelect: noop,
        remote: { version: view.current().version },
      }),
    );
    const local = renderToStaticMarkup(
      createElement(
        QueryClientProvider,
        { client: new QueryClient() },
        createElement(FindingsList, { findings: [], selection: null, onSelect: noop }),
      ),
    );
    expect(remote.asked).toEqual([['topology', 'findings', { page: 0, pageSize: 100 }, view.current().version]]);
    expect(remote.html).toBe(local);
  });
});
