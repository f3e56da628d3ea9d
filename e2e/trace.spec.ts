// The trace panel and the connectivity matrix in real Chromium against the tests' own lab
// (global-setup.ts): a healthy path hop by hop, three faults made with `podnet lab fault`
// each shown as the red hop with its cause and fix, the ?trace= link, the path on the
// graph, the saved Markdown, the session's history, "trace from here", the matrix, and the
// read-only dashboard refusing what sends packets. Every test that breaks the lab heals it
// in a finally.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './test';
import { readEnv } from './env';
import { podnet } from './lab';

const env = readEnv();
const TRACE_TIMEOUT = 30_000;

// the screenshots are looked at as a person sees the page on a laptop
test.use({ viewport: { width: 1440, height: 900 } });

async function open(page: Page, query = ''): Promise<void> {
  await page.goto(`${env.url}${query}`);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
}

const result = (page: Page) => page.getByTestId('trace-result');
const hops = (page: Page) => result(page).getByTestId('trace-hop');

async function traceDone(page: Page): Promise<void> {
  await expect(result(page)).toHaveAttribute('data-phase', 'done', { timeout: TRACE_TIMEOUT });
}

/** the highlight classes Cytoscape has on an element */
const classesOf = (page: Page, id: string) =>
  page.evaluate((id) => {
    const e = (window as any).__podnetGraph.cy.getElementById(id);
    return e.empty() ? null : ['hl-path', 'hl-failed', 'hl-unverified', 'hl-dim'].filter((c) => e.hasClass(c));
  }, id);

function fault(kind: string, ...args: string[]): void {
  podnet(['lab', 'fault', kind, ...args, '--lab-id', env.labId]);
}
const healLab = () => podnet(['lab', 'fault', 'clear', '--lab-id', env.labId]);

/** what a person sees of a pod in the graph: clicked where Cytoscape drew it */
async function clickPod(page: Page, key: string): Promise<void> {
  const pos = await page.evaluate(
    (id) => (window as any).__podnetGraph.cy.getElementById(id).renderedPosition(),
    `pod:${key}`,
  );
  const box = (await page.getByTestId('graph').boundingBox())!;
  expect(pos.x > 0 && pos.x < box.width && pos.y > 0 && pos.y < box.height, `${key} is in view`).toBe(true);
  await page.mouse.click(box.x + pos.x, box.y + pos.y);
}

test('a healthy trace from the panel: every hop both ways, the kernel agreeing, the probe, "reaches", the path on the graph', async ({
  page,
}) => {
  await open(page);
  await page.getByTestId('tab-trace').click();
  // the source by completion (typed, then chosen with the keyboard); the destination typed whole
  await page.getByTestId('trace-from').fill('web-1');
  await expect(page.getByTestId('trace-from-options').getByTestId('endpoint-option').first()).toHaveAttribute(
    'data-value',
    'default/web-1',
  );
  await page.getByTestId('trace-from').press('Enter');
  await expect(page.getByTestId('trace-from')).toHaveValue('default/web-1');
  await page.getByTestId('trace-to').fill('default/web-3');
  await page.getByTestId('trace-to').press('Escape');
  await page.getByTestId('trace-run').click();

  await traceDone(page);
  await expect(result(page)).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('trace-summary')).toContainText('Reaches');
  await expect(page.getByTestId('trace-summary')).toContainText('default/web-1 reaches default/web-3');
  // five hops there and five back, each with its verdict in words
  await expect(hops(page)).toHaveCount(10);
  const there = await hops(page).evaluateAll((els) =>
    els.map((e) => [e.getAttribute('data-hop-id'), e.getAttribute('data-verdict'), e.getAttribute('data-kernel')]),
  );
  expect(there.slice(0, 5)).toEqual([
    ['f1', 'forwarded', 'agrees'],
    ['f2', 'forwarded', 'agrees'],
    ['f3', 'forwarded', 'not-verified'],
    ['f4', 'forwarded', 'agrees'],
    ['f5', 'delivered', 'agrees'],
  ]);
  await expect(hops(page).nth(4).getByTestId('hop-verdict')).toHaveText(/delivered/);
  await expect(hops(page).nth(1)).toContainText('10.244.2.0/24 via 192.168.1.12 dev eth0');
  // the probe, with its settings stated
  const probe = page.getByTestId('trace-probe');
  await expect(probe).toHaveAttribute('data-reachable', 'true');
  await expect(probe).toContainText('3 pings every 200 ms');
  await expect(probe.locator('[data-part="ping"]')).toContainText('3/3 replies');
  await expect(probe.locator('[data-part="traceroute"]')).toHaveAttribute('data-state', 'ok');
  await expect(page.getByTestId('trace-diagnosis')).toHaveCount(0);

  // the path on the graph: its pods, veths, bridges and routes emphasised, the rest dimmed, the LAN unverified
  await expect.poll(() => classesOf(page, 'pod:default/web-1')).toEqual(['hl-path']);
  expect(await classesOf(page, 'route:node1 10.244.2.0/24')).toEqual(['hl-path']);
  expect(await classesOf(page, 'veth:default/web-3')).toEqual(['hl-path']);
  expect(await classesOf(page, 'lan')).toEqual(['hl-path', 'hl-unverified']);
  expect(await classesOf(page, 'pod:default/web-5')).toEqual(['hl-dim']);
  await expect(page).toHaveURL(/[?&]trace=default\/web-1,default\/web-3(&|$)/);
  await page.screenshot({ path: 'e2e/artifacts/trace-healthy.png' });

  // the link reopens the same trace, in a page of its own
  const again = await page.context().newPage();
  await again.goto(page.url());
  await expect(again.getByTestId('tab-trace')).toHaveAttribute('aria-selected', 'true');
  await expect(again.getByTestId('trace-from')).toHaveValue('default/web-1');
  await expect(again.getByTestId('trace-to')).toHaveValue('default/web-3');
  await expect(result(again)).toHaveAttribute('data-phase', 'done', { timeout: TRACE_TIMEOUT });
  await expect(result(again)).toHaveAttribute('data-status', 'ok');
  await again.close();
});

const FAULTS = [
  {
    kind: 'missing-route',
    args: [],
    diagnosis: 'route-missing',
    breakHop: 'f2',
    cause: 'node1 has no route to 10.244.2.2',
    fixNode: 'node1',
    fix: 'ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151',
    red: 'node:node1',
  },
  {
    kind: 'veth-down',
    args: ['--pod', 'web-3'],
    diagnosis: 'veth-down',
    breakHop: 'f4',
    cause: /default\/web-3's veth veth\w+ on node2 is down/,
    fixNode: 'node2',
    fix: /^ip link set veth\w+ up$/,
    red: 'veth:default/web-3',
  },
  {
    kind: 'forward-drop',
    args: [],
    diagnosis: 'forward-drop',
    breakHop: 'f2',
    cause: "node1's firewall drops pod traffic",
    fixNode: 'node1',
    fix: /^iptables -I FORWARD -s 10\.244\.0\.0\/16 .*-j ACCEPT/,
    red: 'node:node1',
  },
] as const;

for (const f of FAULTS) {
  test(`lab fault ${f.kind}: the link's trace shows the red hop, the cause and the fix with its node`, async ({
    page,
  }) => {
    fault(f.kind, ...f.args);
    try {
      await open(page, '?trace=default/web-1,default/web-3');
      await traceDone(page);
      await expect(result(page)).toHaveAttribute('data-status', 'broken');
      await expect(page.getByTestId('trace-summary')).toContainText(`Broken at hop ${f.breakHop.slice(1)} there`);
      const broken = result(page).locator('[data-testid="trace-hop"][data-break="true"]');
      await expect(broken).toHaveCount(1);
      await expect(broken).toHaveAttribute('data-hop-id', f.breakHop);
      await expect(broken).toHaveAttribute('data-verdict', 'dropped');
      await expect(broken.getByTestId('hop-verdict')).toHaveText(/DROPPED/);
      const diagnosis = broken.locator('[data-testid="trace-diagnosis"][data-first="true"]');
      await expect(diagnosis).toHaveAttribute('data-kind', f.diagnosis);
      await expect(diagnosis.getByTestId('trace-cause')).toContainText(f.cause);
      await expect(diagnosis.getByTestId('trace-fix')).toHaveAttribute('data-node', f.fixNode);
      await expect(diagnosis.getByTestId('trace-fix')).toContainText(`run on ${f.fixNode}`);
      await expect(diagnosis.getByTestId('fix')).toHaveText(f.fix);
      await expect(diagnosis).toBeInViewport();
      // on the graph: what the cause is about in red, on the highlighted path
      await expect.poll(() => classesOf(page, f.red)).toEqual(['hl-path', 'hl-failed']);
      await expect(page.getByTestId('tab-trace')).toContainText('✗');
      await page.screenshot({ path: `e2e/artifacts/trace-${f.kind}.png` });
    } finally {
      healLab();
    }
  });
}

test('a broken trace saved as Markdown carries the fix and a link that re-runs it; as JSON, the whole result', async ({
  page,
}) => {
  fault('missing-route');
  try {
    await open(page, '?trace=default/web-1,default/web-3');
    await traceDone(page);
    const [md] = await Promise.all([page.waitForEvent('download'), page.getByTestId('trace-save-md').click()]);
    expect(md.suggestedFilename()).toMatch(/^podnet-trace_default_web-1_default_web-3-\d{8}-\d{6}\.md$/);
    const text = readFileSync((await md.path())!, 'utf8');
    expect(text).toContain('**BROKEN**');
    expect(text).toContain('`ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151`');
    expect(text).toContain('fix (on node1)');
    expect(text).toContain(`Re-run: ${env.url}?trace=default/web-1,default/web-3 (against the network as it is then)`);
    expect(text).toContain('| 2 | node1 |');
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('trace-save-json').click()]);
    const saved = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(saved).toMatchObject({
      status: 'broken',
      phase: 'done',
      diagnoses: [{ kind: 'route-missing', hop: 'f2', fix: { node: 'node1' } }],
    });
  } finally {
    healLab();
  }
});

test('"Trace from here" in a pod\'s panel, then a click on the destination pod in the graph; the session keeps its traces', async ({
  page,
}) => {
  await open(page, '?select=pod:default/web-1');
  // the link's selection is centred with an animation: let it end, as a person would
  await expect(page.getByTestId('side-panel')).toContainText('default/web-1');
  await page.waitForTimeout(400);
  await expect.poll(() => page.evaluate(() => (window as any).__podnetGraph.cy.animated())).toBe(false);
  await page.getByTestId('trace-from-here').click();
  await expect(page.getByTestId('tab-trace')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('graph-picking')).toContainText('default/web-1');
  // Escape stops waiting for the click, and only that
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('graph-picking')).toHaveCount(0);
  await expect(page).toHaveURL(/select=pod:default\/web-1/);
  await page.getByTestId('tab-details').click();
  await page.getByTestId('trace-from-here').click();
  await expect(page.getByTestId('graph-picking')).toBeVisible();
  await clickPod(page, 'default/web-5');
  await traceDone(page);
  await expect(page.getByTestId('trace-to')).toHaveValue('default/web-5');
  await expect(result(page)).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('graph-picking')).toHaveCount(0);
  // the click chose the destination; it did not change the selection
  await expect(page).toHaveURL(/select=pod:default\/web-1/);
  await expect(page).toHaveURL(/trace=default\/web-1,default\/web-5/);

  // a second trace, by keyboard only; then the first is reopened from the history as it was
  await page.getByTestId('trace-to').fill('10.244.2.250');
  await page.getByTestId('trace-to').press('Escape');
  await page.getByTestId('trace-to').press('Enter');
  await traceDone(page);
  await expect(page.getByTestId('trace-summary')).toContainText('10.244.2.250');
  const history = page.getByTestId('trace-history-item');
  await expect(history).toHaveCount(2);
  await expect(history.first()).toContainText('10.244.2.250');
  await history.nth(1).click();
  await expect(result(page)).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('trace-summary')).toContainText('default/web-1 reaches default/web-5');
  await expect(page.getByTestId('trace-rerun')).toBeVisible();
  await expect(page).toHaveURL(/trace=default\/web-1,default\/web-5/);
  // a reload keeps the session's history (and re-runs the trace in the address bar)
  await page.reload();
  await expect(page.getByTestId('trace-history-item').filter({ hasText: '10.244.2.250' })).toHaveCount(1);
});

test("bad input is refused with the server's reason, and nothing runs", async ({ page }) => {
  await open(page, '?trace=default/web-1,web-3%3B%20reboot');
  await expect(page.getByTestId('trace-error')).toContainText('neither an IPv4 address nor a pod');
  await expect(result(page)).toHaveCount(0);
});

test('the connectivity matrix fills node by node, all cells ok on the healthy lab; a pair opens its trace', async ({
  page,
}) => {
  await open(page);
  await page.getByTestId('tab-matrix').click();
  await page.getByTestId('matrix-run').click();
  const matrix = page.getByTestId('matrix');
  await expect(matrix).toHaveAttribute('data-done', 'true', { timeout: TRACE_TIMEOUT });
  const cells = matrix.getByTestId('matrix-cell');
  await expect(cells).toHaveCount(9);
  expect(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(Array(9).fill('ok'));
  await expect(matrix.locator('[data-testid="matrix-cell"][data-from="node1"][data-to="node2"]')).toContainText('4/4');
  await expect(matrix.locator('[data-testid="matrix-cell"][data-from="node1"][data-to="node1"]')).toContainText('2/2');
  await expect(matrix.locator('[data-testid="matrix-cell"][data-from="node1"][data-to="node2"]')).toContainText(
    /\d+\.\d+ ms/,
  );
  await expect(page.getByTestId('matrix-summary')).toHaveText('30 of 30 pod pairs answered');

  // the keyboard opens a cell; its pairs are listed; a pair opens its trace
  await matrix.locator('[data-testid="matrix-cell"][data-from="node2"][data-to="node3"]').focus();
  await page.keyboard.press('Enter');
  const pairs = page.getByTestId('matrix-cell-pairs').getByTestId('matrix-pair');
  await expect(pairs).toHaveCount(4);
  await page.screenshot({ path: 'e2e/artifacts/matrix-healthy.png' });
  await pairs.first().getByTestId('matrix-pair-trace').click();
  await expect(page.getByTestId('tab-trace')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('trace-from')).toHaveValue('default/web-3');
  await expect(page.getByTestId('trace-to')).toHaveValue('default/web-5');
  await traceDone(page);
  await expect(result(page)).toHaveAttribute('data-status', 'ok');
});

test('read-only (under a sub-path): the trace sends no packets and says so; the matrix is refused with the reason; /embed?trace= shows the path', async ({
  page,
}) => {
  await page.goto(`${env.subpathUrl}?trace=default/web-1,default/web-3`);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
  await traceDone(page);
  await expect(page.getByTestId('trace-notes')).toContainText('no packets sent (read-only)');
  await expect(page.getByTestId('trace-probe')).toHaveCount(0);
  await expect(hops(page).first()).toHaveAttribute('data-kernel', 'agrees');
  await page.getByTestId('tab-matrix').click();
  await expect(page.getByTestId('matrix-refused')).toContainText('read-only');
  await expect(page.getByTestId('matrix-run')).toHaveCount(0);

  await page.goto(`${env.subpathUrl}embed?trace=default/web-1,default/web-3&theme=dark`);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
  const card = page.getByTestId('trace-card');
  await expect(card).toHaveAttribute('data-phase', 'done', { timeout: TRACE_TIMEOUT });
  await expect(card).toContainText('default/web-1');
  await expect.poll(() => classesOf(page, 'pod:default/web-3')).toEqual(['hl-path']);
  await expect(page.getByTestId('open-in-podnet')).toHaveAttribute('href', /\?trace=default\/web-1,default\/web-3$/);
  await page.screenshot({ path: 'e2e/artifacts/trace-embed-read-only.png' });
});
