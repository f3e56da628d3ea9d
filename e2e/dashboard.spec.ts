// The dashboard in real Chromium against a real lab (global-setup.ts): what the page
// shows must be what the kernel has, and must follow it without a reload.
import type { Page } from '@playwright/test';
import { expect, test } from './test';
import { readEnv } from './env';
import { hostVethOf, labStatus, podnet, setLink } from './lab';

const env = readEnv();

async function openDashboard(page: Page, query = ''): Promise<void> {
  await page.goto(`${env.url}${query}`);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
}

/** the pod ids Cytoscape holds right now */
const drawnPods = (page: Page) =>
  page.evaluate(() =>
    (window as any).__podnetGraph.cy
      .nodes('[kind = "pod"]')
      .map((n: any) => n.id())
      .sort(),
  );

test('the page shows three nodes, three bridges and every pod of the lab', async ({ page }, info) => {
  await openDashboard(page);
  const lab = labStatus(env.labId);
  const graph = page.getByTestId('graph');
  await expect(graph).toHaveAttribute('data-nodes', '3');
  await expect(graph).toHaveAttribute('data-bridges', '3');
  await expect(graph).toHaveAttribute('data-pods', String(lab.pods.length));
  expect(await drawnPods(page)).toEqual(lab.pods.map((p) => `pod:${p.namespace}/${p.name}`).sort());
  await page.screenshot({ path: info.outputPath('dashboard.png'), fullPage: true });
  await page.screenshot({ path: 'e2e/artifacts/dashboard.png', fullPage: true });
});

test('a pod added with "podnet lab pod add" appears without a reload, and goes when deleted', async ({ page }) => {
  await openDashboard(page);
  await page.evaluate(() => ((window as any).__noReload = true));
  podnet(['lab', 'pod', 'add', 'e2e-new', '--node', 'node2', '--lab-id', env.labId]);
  await expect.poll(() => drawnPods(page)).toContain('pod:default/e2e-new');
  const ip = labStatus(env.labId).pods.find((p) => p.name === 'e2e-new')!.ip!;
  expect(ip).toMatch(/^10\.244\.2\./);
  podnet(['lab', 'pod', 'del', 'e2e-new', '--lab-id', env.labId]);
  await expect.poll(() => drawnPods(page)).not.toContain('pod:default/e2e-new');
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true); // same document all along
});

test("a pod's veth set down shows as a finding on its node, and clears when healed", async ({ page }) => {
  await openDashboard(page);
  const { node, netns, veth } = hostVethOf(labStatus(env.labId), 'web-3');
  const findings = page.getByTestId('findings');
  const finding = findings.locator(`[data-finding-id="${node}/veth-down:${veth}"]`);
  setLink(netns, veth, 'down');
  try {
    await expect(finding).toBeVisible();
    await expect(finding).toHaveAttribute('data-node', node);
    await expect(finding).toContainText(`ip link set ${veth} up`);
    const nodeHealth = () =>
      page.evaluate((id) => (window as any).__podnetGraph.cy.getElementById(id).data('health'), `node:${node}`);
    await expect.poll(nodeHealth).toBe('finding');
  } finally {
    setLink(netns, veth, 'up');
  }
  await expect(finding).toHaveCount(0);
});

test('search finds a pod by IP, selects it and shows it in the side panel', async ({ page }) => {
  await openDashboard(page);
  const pod = labStatus(env.labId).pods.find((p) => p.name === 'web-4')!;
  await page.locator('body').press('/');
  await expect(page.getByTestId('search')).toBeFocused();
  await page.keyboard.type(pod.ip!);
  const result = page.locator(`[data-testid="search-result"][data-key="pod:default/web-4"]`);
  await expect(result).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('side-panel')).toContainText('web-4');
  await expect(page.getByTestId('side-panel')).toContainText(pod.ip!);
  await expect(page).toHaveURL(/select=pod(:|%3A)default(\/|%2F)web-4/);
});

test('the table view lists what the graph shows', async ({ page }) => {
  await openDashboard(page);
  const lab = labStatus(env.labId);
  await page.getByRole('button', { name: /table/i }).first().click();
  const table = page.getByTestId('topology-table');
  await expect(table).toBeVisible();
  for (const p of lab.pods) {
    const row = table.locator(`tr[data-key="pod:${p.namespace}/${p.name}"]`);
    await expect(row).toContainText(p.ip!);
    await expect(row).toContainText(p.node);
  }
  for (const n of lab.nodes) await expect(table.locator(`tr[data-key="node:${n.name}"]`)).toHaveCount(1);
});

test('a deep link selects the pod it names', async ({ page }) => {
  await openDashboard(page, '?select=pod:default/web-2');
  await expect(page.getByTestId('side-panel')).toContainText('web-2');
});

test('a ping from a pod to a pod on another node, run from the side panel by its agent', async ({ page }) => {
  await openDashboard(page, '?select=pod:default/web-1');
  const target = labStatus(env.labId).pods.find((p) => p.name === 'web-4')!;
  await page.getByTestId('probe-to').fill(target.ip!);
  await page.getByTestId('probe-run').click();
  const result = page.getByTestId('probe-result');
  await expect(result).toHaveAttribute('data-ok', 'true', { timeout: 30_000 });
  await expect(result).toContainText(`3/3 replies from ${target.ip}`);
  // and to an address nothing answers at: the page says it failed
  await page.getByTestId('probe-to').fill('10.244.2.250');
  await page.getByTestId('probe-run').click();
  await expect(result).toHaveAttribute('data-ok', 'false', { timeout: 30_000 });
});

test.describe('embedding', () => {
  // The foreign portal's frame is refused by CSP on purpose: that one violation is expected.
  test.use({ allowedCspViolation: /frame-ancestors/ });

  test('the embed page renders under a sub-path inside an allowed portal, and refuses other origins', async ({
    page,
  }) => {
    const direct = await page.request.get(`${env.subpathUrl}embed`);
    expect(direct.status()).toBe(200);
    expect(direct.headers()['content-security-policy']).toContain(`frame-ancestors ${env.portal.replace(/\/$/, '')}`);
    const main = await page.request.get(env.url);
    expect(main.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    // the whole page is under the policy: scripts by nonce only, connections to itself
    expect(main.headers()['content-security-policy']).toMatch(
      /script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/,
    );
    expect(main.headers()['content-security-policy']).toContain("connect-src 'self'");
    // that dashboard is read-only: probes are refused, with the reason
    const probe = await page.request.post(`${env.subpathUrl}api/trpc/probe.run`, {
      data: { kind: 'ping', from: 'default/web-1', to: '10.244.2.2' },
    });
    expect(probe.status()).toBe(403);
    expect(JSON.stringify(await probe.json())).toContain('read-only');

    await page.goto(env.portal);
    const frame = page.frameLocator('#podnet');
    await expect(frame.getByTestId('embed')).toBeVisible();
    await expect(frame.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
    // embed?node=node2: only node2 is drawn
    await expect(frame.getByTestId('graph')).toHaveAttribute('data-nodes', '1');
    await page.screenshot({ path: 'e2e/artifacts/embed-in-portal.png' });

    await page.goto(env.foreignPortal);
    // Chromium replaces a frame that CSP refuses with its error page.
    const frameUrl = () =>
      page
        .frames()
        .find((f) => f !== page.mainFrame())
        ?.url() ?? '';
    await expect.poll(frameUrl).toMatch(/^chrome-error:/);
    expect(await page.frameLocator('#podnet').getByTestId('embed').count()).toBe(0);
  });
});
