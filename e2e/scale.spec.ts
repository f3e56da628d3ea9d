// The dashboard at scale (issue 13): the main page and the embed page in real Chromium
// against a synthetic cluster of 100 nodes and 10,000 pods (`podnet dashboard --source
// synthetic --synthetic 100x10000`, started here with the tests' key and stopped by PID in
// afterAll). What must work at that size: the page becomes usable and says how big the
// cluster is, search finds a pod by its IP and selecting it opens its node's box, a deep
// link selects the pod it names, the table's pager (the server pages it at this size)
// reaches its 40th page, and the embed page draws one node's pods. What the page shows is
// checked against topology.snapshot, fetched with the key. Nothing here asserts a duration:
// the expectations poll, with room for a page that today takes ~10–15 s to become
// interactive at this size.
import type { Page } from '@playwright/test';
import { expect, test } from './test';
import { readEnv } from './env';
import { dashboard, freePort } from './global-setup';
import { settled } from './graph-labels';

const NODES = 100;
const PODS = 10_000;
/** how long any one thing may take to show at this size */
const SLOW = { timeout: 60_000 };
/** the table's page (components/panels/TopologyTable.tsx: PAGE, the server's TABLE_PAGE_MAX) */
const TABLE_PAGE = 200;
const TABLE_PAGE_WANTED = 40;

interface SnapPod {
  key: string;
  namespace: string;
  name: string;
  node: string | null;
  ip: string | null;
}
interface Snapshot {
  nodes: { name: string }[];
  pods: SnapPod[];
}

// every test opens a page of 10,000 pods: more than the suite's 60 s each
test.describe.configure({ timeout: 180_000 });

let url = '';
let pid = 0;
let snapshot: Snapshot = { nodes: [], pods: [] };

test.beforeAll(async () => {
  // the dashboard is built first when the sources changed (~20–90 s)
  test.setTimeout(300_000);
  ({ url, pid } = await dashboard([
    '--source',
    'synthetic',
    '--synthetic',
    `${NODES}x${PODS}`,
    '--port',
    String(await freePort()),
  ]));
  const res = await fetch(`${url}api/trpc/topology.snapshot`, {
    headers: { authorization: `Bearer ${readEnv().key}` },
  });
  expect(res.status).toBe(200);
  snapshot = ((await res.json()) as { result: { data: { topology: Snapshot } } }).result.data.topology;
  expect(snapshot.nodes).toHaveLength(NODES);
  expect(snapshot.pods).toHaveLength(PODS);
});

test.afterAll(async () => {
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  // gone, with its next-server child, before the next spec starts
  await expect.poll(() => alive(pid), { timeout: 15_000 }).toBe(false);
});

function alive(p: number): boolean {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
}

/** a pod from the middle of the snapshot (not node0's), with its IP and node */
function podAt(fraction: number): SnapPod & { node: string; ip: string } {
  const p = snapshot.pods.slice(Math.floor(snapshot.pods.length * fraction)).find((x) => x.ip && x.node);
  if (!p) throw new Error('no pod with an IP and a node in the snapshot');
  return p as SnapPod & { node: string; ip: string };
}

const podsOn = (node: string) =>
  snapshot.pods
    .filter((p) => p.node === node)
    .map((p) => `pod:${p.key}`)
    .sort();

async function open(page: Page, path = ''): Promise<void> {
  await page.goto(`${url}${path}`);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true', SLOW);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live', SLOW);
}

/** what the graph has drawn of a pod and of its node's box */
const drawnPod = (page: Page, pod: SnapPod) =>
  page.evaluate(
    ({ id, box }) => {
      const g = (window as any).__podnetGraph;
      if (!g) return null;
      const p = g.cy.getElementById(id);
      const n = g.cy.getElementById(box);
      return {
        drawn: p.nonempty(),
        selected: p.nonempty() && p.hasClass('selected'),
        box: p.nonempty() ? (p.data('box') ?? null) : null,
        /** the node box is drawn and open (not collapsed into a count) */
        boxOpen: n.nonempty() && !n.data('collapsed'),
        /** the pods drawn in that box */
        podsInBox: g.cy
          .nodes(`[kind = "pod"][box = "${box}"]`)
          .map((e: any) => e.id())
          .sort(),
      };
    },
    { id: `pod:${pod.key}`, box: `node:${pod.node}` },
  );

/** the pod is selected on the graph, in its node's opened box, and the side panel shows it */
async function expectSelected(page: Page, pod: SnapPod & { node: string; ip: string }): Promise<void> {
  const panel = page.getByTestId('side-panel');
  await expect(panel).toHaveAttribute('data-key', `pod:${pod.key}`, SLOW);
  await expect(panel).toHaveAttribute('data-found', 'true', SLOW);
  await expect(panel).toContainText(pod.name, SLOW);
  await expect(panel).toContainText(pod.ip, SLOW);
  await expect
    .poll(() => drawnPod(page, pod), SLOW)
    .toEqual({
      drawn: true,
      selected: true,
      box: `node:${pod.node}`,
      boxOpen: true,
      podsInBox: podsOn(pod.node),
    });
}

test('at 100 nodes and 10,000 pods the page becomes usable and says how big the cluster is', async ({ page }) => {
  await open(page);
  const counts = page.getByTestId('counts');
  await expect(counts).toHaveAttribute('data-nodes', String(NODES), SLOW);
  await expect(counts).toHaveAttribute('data-pods', String(PODS), SLOW);
  await expect(counts).toContainText(`${NODES} nodes · ${PODS} pods`);
  await expect(page.getByTitle('where the dashboard reads the cluster from')).toHaveText('synthetic');
  // every node is drawn (as a box: at this size pods are drawn when a box opens)
  await expect(page.getByTestId('graph')).toHaveAttribute('data-nodes', String(NODES), SLOW);
  await expect
    .poll(() => page.evaluate(() => (window as any).__podnetGraph?.cy.nodes('[kind = "node"]').length ?? 0), SLOW)
    .toBe(NODES);
  await page.screenshot({ path: 'e2e/artifacts/scale-10000.png' });
});

test('zoomed to where boxes open, pods’ labels too small to read are not drawn; a little closer, they are', async ({
  page,
}) => {
  // every text any canvas of the page draws: the screen's, and the label textures'
  // (Cytoscape draws those on offscreen canvases)
  await page.addInitScript(() => {
    const texts: string[] = [];
    (window as any).__texts = texts;
    for (const proto of [CanvasRenderingContext2D.prototype, OffscreenCanvasRenderingContext2D.prototype]) {
      const fillText = proto.fillText;
      proto.fillText = function (this: unknown, text: string, ...rest: [number, number]) {
        texts.push(String(text));
        return fillText.call(this, text, ...rest);
      };
    }
  });
  await open(page);
  // the first fit done: a fit after the view was set would take it back to the overview
  await settled(page);
  expect(await page.evaluate(() => (window as any).__podnetGraph.smallLabelsUntextured)).toBe(true);
  const box = `node:${snapshot.nodes[Math.floor(NODES / 2)]!.name}`;
  /** the view at that zoom, a node's box in its centre; then, once the boxes in view are
   *  open and drawn, what was drawn since the last call that is a drawn pod's IP */
  const podIpsDrawnAt = async (zoom: number) => {
    // set again while the page has not opened boxes there: a resize of the page (a view
    // set from outside counts as the fitted one) fits it again
    await expect
      .poll(
        () =>
          page.evaluate(
            ({ z, id }) => {
              const cy = (window as any).__podnetGraph.cy;
              if (Math.abs(cy.zoom() - z) > 1e-9) {
                const at = cy.getElementById(id).position();
                cy.viewport({ zoom: z, pan: { x: cy.width() / 2 - z * at.x, y: cy.height() / 2 - z * at.y } });
              }
              return cy.nodes('[kind = "pod"]').length;
            },
            { z: zoom, id: box },
          ),
        SLOW,
      )
      .toBeGreaterThan(0);
    await settled(page);
    const seen = await page.evaluate(() => {
      const cy = (window as any).__podnetGraph.cy;
      const ips = new Set(cy.nodes('[kind = "pod"]').map((p: any) => p.data('ip')));
      // a pod's label breaks anywhere: a zero-width space between its characters
      const drawn = ((window as any).__texts.splice(0) as string[]).map((t) => t.replaceAll('\u200b', ''));
      return { zoom: cy.zoom() as number, pods: ips.size, ips: drawn.filter((t) => ips.has(t)) };
    });
    // still there, boxes open: not an overview without pods, where nothing would be found
    expect(seen.zoom).toBeCloseTo(zoom, 6);
    expect(seen.pods).toBeGreaterThan(0);
    return seen.ips;
  };
  // Pods' labels are 12 px with a 5 px minimum. At 0.3 they would be 3.6 px: not drawn,
  // though 6 px at the texture level Cytoscape rounds 0.3 up to (0.5), which its own
  // direct drawing went by (every pod label in view, on every frame)…
  expect(await podIpsDrawnAt(0.3)).toEqual([]);
  // …at 0.45 (5.4 px) they read, and are drawn (into their textures)
  expect(await podIpsDrawnAt(0.45)).not.toEqual([]);
});

test.describe('a server not answering yet', () => {
  // the refused requests below, on purpose
  test.use({ allowedConsoleError: /net::ERR_CONNECTION_REFUSED/ });

  test('when topology.summary fails as the page loads, it is asked again and the cluster held as summaries', async ({
    page,
  }) => {
    // the procedures the page asked for, batched or not, subscriptions included
    const asked: string[] = [];
    page.on('request', (r) => {
      const m = /\/api\/trpc\/([^?]+)/.exec(r.url());
      if (m) asked.push(...decodeURIComponent(m[1]!).split(','));
    });
    // the server "not up yet" for the first two: the requests fail as a refused connection does
    let failed = 0;
    await page.route(/\/api\/trpc\/[^?]*topology\.summary/, (route) => {
      if (failed >= 2) return route.continue();
      failed++;
      return route.abort('connectionrefused');
    });
    await open(page);
    expect(failed).toBe(2);
    expect(asked.filter((p) => p === 'topology.summary').length).toBeGreaterThanOrEqual(3);
    // 100 nodes: summaries and the open nodes, never the whole topology (which the page fell
    // back to before, and which a cluster over 20,000 pods refuses on its stream)
    await expect.poll(() => asked.includes('topology.watchSummary'), SLOW).toBe(true);
    expect(asked).not.toContain('topology.snapshot');
    expect(asked).not.toContain('topology.watch');
  });
});

test('search finds a pod by its IP among 10,000; picking it selects it and opens its node’s box', async ({ page }) => {
  const pod = podAt(0.43);
  await open(page);
  await page.locator('body').press('/');
  await expect(page.getByTestId('search')).toBeFocused();
  await page.keyboard.type(pod.ip);
  const result = page.locator(`[data-testid="search-result"][data-key="pod:${pod.key}"]`);
  await expect(result).toBeVisible(SLOW);
  // an exact IP is the best match: first in the list
  await expect(page.getByTestId('search-result').first()).toHaveAttribute('data-key', `pod:${pod.key}`);
  await page.keyboard.press('Enter');
  await expectSelected(page, pod);
  await expect(page).toHaveURL(new RegExp(`select=pod(:|%3A)${pod.namespace}(/|%2F)${pod.name}(&|$)`));
  await page.screenshot({ path: 'e2e/artifacts/scale-10000-search.png' });
});

test('a deep link ?select=pod:NS/NAME opens with that pod selected, its node’s box open', async ({ page }) => {
  const pod = podAt(0.77);
  await open(page, `?select=pod:${pod.key}`);
  await expectSelected(page, pod);
});

test('the table reaches its 40th page of 200 rows, each a pod as the snapshot has it', async ({ page }, info) => {
  await open(page);
  await page.getByTestId('view-table').click();
  const table = page.getByTestId('topology-table');
  await expect(table).toBeVisible(SLOW);
  const total = NODES + PODS;
  const pages = Math.ceil(total / TABLE_PAGE);
  await expect(page.getByTestId('table-count')).toHaveAttribute('data-total', String(total), SLOW);
  await expect(table).toHaveAttribute('data-rows', String(total));
  const rows = table.locator('tbody tr[data-key]');
  await expect(rows).toHaveCount(TABLE_PAGE, SLOW);
  // at this size the server pages the table (issue 13): a pager, not "Show 200 more"
  const pager = page.getByTestId('table-page');
  await expect(pager).toHaveAttribute('data-page', '1', SLOW);
  await expect(pager).toHaveAttribute('data-pages', String(pages));
  await expect(page.getByTestId('table-more')).toHaveCount(0);
  await expect(page.getByTestId('table-prev')).toBeDisabled();
  const next = page.getByTestId('table-next');
  // Next, twice, then page 40 typed into the page box (how long it took is noted, not held:
  // see issue 13's targets for that)
  for (let n = 2; n <= 3; n++) {
    await next.click(SLOW);
    await expect(pager).toHaveAttribute('data-page', String(n), SLOW);
  }
  const started = Date.now();
  const goto = page.getByTestId('table-goto');
  await goto.fill(String(TABLE_PAGE_WANTED));
  await goto.press('Enter');
  await expect(pager).toHaveAttribute('data-page', String(TABLE_PAGE_WANTED), SLOW);
  // the page's rows have arrived (until then the previous page's stay on screen)
  await expect(pager).not.toHaveAttribute('data-waiting', SLOW);
  const took = `${((Date.now() - started) / 1000).toFixed(2)} s`;
  info.annotations.push({ type: 'table to page 40', description: took });
  console.log(`table to page 40: ${took}`);
  await expect(goto).toHaveValue(String(TABLE_PAGE_WANTED));
  await expect(pager).toContainText(`of ${pages} · ${total} rows`);
  await expect(table.locator('caption')).toContainText(`page ${TABLE_PAGE_WANTED} of ${pages}`);
  await expect(rows).toHaveCount(TABLE_PAGE);

  // page 40: rows 7,801–8,000, every one a distinct pod or node of the cluster, pods with the
  // node and IP the snapshot gives them, and exactly the server's page 40
  const page40 = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({
      key: tr.getAttribute('data-key') ?? '',
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
    })),
  );
  expect(page40).toHaveLength(TABLE_PAGE);
  expect(new Set(page40.map((r) => r.key)).size).toBe(TABLE_PAGE);
  const pods = new Map(snapshot.pods.map((p) => [`pod:${p.key}`, p]));
  const nodes = new Set(snapshot.nodes.map((n) => `node:${n.name}`));
  for (const r of page40) {
    if (nodes.has(r.key)) continue;
    const p = pods.get(r.key);
    expect(p, `${r.key} on page 40 is a pod of the cluster`).toBeDefined();
    // td cells: kind, namespace, node, IP, … (the name is the row's th)
    expect(r.cells.slice(0, 4), r.key).toEqual(['pod', p!.namespace, p!.node, p!.ip]);
  }
  const input = encodeURIComponent(JSON.stringify({ page: TABLE_PAGE_WANTED - 1, pageSize: TABLE_PAGE }));
  const res = await fetch(`${url}api/trpc/topology.table?input=${input}`, {
    headers: { authorization: `Bearer ${readEnv().key}` },
  });
  expect(res.status).toBe(200);
  const served = ((await res.json()) as { result: { data: { rows: { id: string }[] } } }).result.data.rows;
  expect(page40.map((r) => r.key)).toEqual(served.map((r) => r.id));

  // the last row of page 40 in view and answering a click: it selects that row
  const last = rows.nth(TABLE_PAGE - 1);
  await last.scrollIntoViewIfNeeded();
  await last.click();
  await expect(page.getByTestId('side-panel')).toHaveAttribute('data-key', page40.at(-1)!.key, SLOW);
  await expect(last).toHaveAttribute('data-selected', 'true', SLOW);
  // and Previous goes back a page
  await page.getByTestId('table-prev').click();
  await expect(pager).toHaveAttribute('data-page', String(TABLE_PAGE_WANTED - 1), SLOW);
});

test('the embed page for one node of 100 draws that node’s pods', async ({ page }) => {
  const node = podAt(0.31).node;
  const expected = podsOn(node);
  expect(expected.length).toBeGreaterThan(0);
  await page.goto(`${url}embed?node=${node}`);
  await expect(page.getByTestId('embed')).toHaveAttribute('data-node', node);
  const graph = page.getByTestId('graph');
  await expect(graph).toHaveAttribute('data-ready', 'true', SLOW);
  await expect(graph).toHaveAttribute('data-nodes', '1', SLOW);
  await expect(graph).toHaveAttribute('data-bridges', '1', SLOW);
  await expect(graph).toHaveAttribute('data-pods', String(expected.length), SLOW);
  await expect
    .poll(
      () =>
        page.evaluate((box) => {
          const cy = (window as any).__podnetGraph?.cy;
          if (!cy) return null;
          return {
            nodes: cy.nodes('[kind = "node"]').map((n: any) => n.id()),
            pods: cy
              .nodes('[kind = "pod"]')
              .map((n: any) => n.id())
              .sort(),
            inBox: cy.nodes(`[kind = "pod"][box = "${box}"]`).length,
            /** on screen: drawn inside the graph's viewport */
            inView: cy.nodes('[kind = "pod"]').filter((n: any) => {
              const b = n.renderedBoundingBox({ includeLabels: false });
              return n.visible() && b.x2 > 0 && b.y2 > 0 && b.x1 < cy.width() && b.y1 < cy.height();
            }).length,
          };
        }, `node:${node}`),
      SLOW,
    )
    .toEqual({ nodes: [`node:${node}`], pods: expected, inBox: expected.length, inView: expected.length });
  await page.screenshot({ path: 'e2e/artifacts/scale-10000-embed.png' });
});
