// The graph as a person reads it, measured in real Chromium at 1440×900 from the page's own
// Cytoscape instance: at the default fit every label is at least 11 px on screen (font size ×
// zoom), none overlaps another or hides under the legend, a pod's label stays in its pod, a
// node's title over its own box, and text contrasts with what it is drawn on — in both
// themes, on the lab, and on a kind cluster's real names (served by the test API server).
// Selecting from outside the graph zooms to where labels read; a click in the graph selects
// in place and a double-click zooms; a traced path is drawn on what is there.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './test';
import { KubeApiServer, writeKubeconfig, type KubeList, type TestKubeconfig } from '../test/kube-api-server';
import { readEnv } from './env';
import { dashboard, freePort } from './global-setup';
import { graphView, readabilityProblems, settled, type GraphView } from './graph-labels';
import { hostVethOf, labStatus, setLink } from './lab';

const env = readEnv();
const MIN_PX = 11;
/** what TopologyGraph's READABLE_PX promises for a selection */
const SELECTED_PX = 14;

test.use({ viewport: { width: 1440, height: 900 } });

async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
  await settled(page);
}

const smallest = (v: GraphView) => Math.min(...v.labels.map((l) => l.px));
const labelOf = (v: GraphView, id: string, which = 'main') => v.labels.find((l) => l.id === id && l.which === which);

/** node titles sit over their own box: a long name never reaches the neighbour's */
function titlesOverTheirBoxes(v: GraphView): string[] {
  return v.labels
    .filter((l) => l.kind === 'node' && l.body && (l.box.x1 < l.body.x1 - 0.5 || l.box.x2 > l.body.x2 + 0.5))
    .map(
      (l) =>
        `title of ${l.id} (${l.box.x1.toFixed(0)}–${l.box.x2.toFixed(0)}) is wider than its box (${l.body!.x1.toFixed(0)}–${l.body!.x2.toFixed(0)})`,
    );
}

test('at the default fit every label of the lab reads: 11 px or more, none overlapping, pods’ inside their pods', async ({
  page,
}, info) => {
  await open(page, env.url);
  // labels too small to draw get no texture (label-textures.ts): this Cytoscape still has
  // the cache that is wrapped, and what follows checks every label still reads
  expect(await page.evaluate(() => (window as any).__podnetGraph.smallLabelsUntextured)).toBe(true);
  // and the blank drag and selection-box canvases are not cleared again (blank-layers.ts)
  expect(await page.evaluate(() => (window as any).__podnetGraph.blankLayersKept)).toBe(true);
  const view = await graphView(page);
  await page.screenshot({ path: 'e2e/artifacts/graph-readable-light.png' });
  const measured = `${smallest(view).toFixed(1)} px at zoom ${view.zoom.toFixed(3)} in a ${view.width}×${view.height} graph`;
  info.annotations.push({ type: 'smallest label', description: measured });
  console.log(`smallest label at the default fit: ${measured}`);
  expect(readabilityProblems(view, MIN_PX)).toEqual([]);
  expect(titlesOverTheirBoxes(view)).toEqual([]);

  const lab = labStatus(env.labId);
  // every pod, with its host veth's name (as the kernel has it) on the wire to the bridge
  for (const p of lab.pods) {
    const key = `${p.namespace}/${p.name}`;
    expect(labelOf(view, `pod:${key}`)?.text.split('\n')).toContain(p.ip);
    const { veth } = hostVethOf(lab, p.name);
    expect(labelOf(view, `veth:${key}`, 'source')?.text).toBe(veth);
    const wire = await page.evaluate(
      (id) => (window as any).__podnetGraph.cy.getElementById(id).renderedBoundingBox({ includeLabels: false }).h,
      `veth:${key}`,
    );
    expect(wire, `${key}'s veth drawn as a link`).toBeGreaterThan(20);
  }
  // host-gw: every route along the LAN, labelled with the subnet and the gateway it goes via
  for (const from of lab.nodes) {
    for (const to of lab.nodes) {
      if (from === to) continue;
      const l = labelOf(view, `route:${from.name} ${to.podCIDR}`);
      expect(l?.text, `${from.name}'s route to ${to.name}`).toBe(`${to.podCIDR}\nvia ${to.ip}`);
    }
  }
});

test('the dark theme reads as well', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await open(page, env.url);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const view = await graphView(page);
  await page.screenshot({ path: 'e2e/artifacts/graph-readable-dark.png' });
  expect(readabilityProblems(view, MIN_PX)).toEqual([]);
  // a dark page: the labels are light
  expect(labelOf(view, 'pod:default/web-1')!.backdrop).not.toBe(labelOf(view, 'pod:default/web-1')!.colour);
});

test('a veth set down shows red on its pod and wire, and still reads', async ({ page }) => {
  await open(page, env.url);
  const lab = labStatus(env.labId);
  const { netns, veth } = hostVethOf(lab, 'web-4');
  setLink(netns, veth, 'down');
  try {
    const health = () =>
      page.evaluate(() => (window as any).__podnetGraph.cy.getElementById('veth:default/web-4').data('health'));
    await expect.poll(health).toBe('finding');
    await settled(page);
    const view = await graphView(page);
    await page.screenshot({ path: 'e2e/artifacts/graph-readable-veth-down.png' });
    expect(readabilityProblems(view, MIN_PX)).toEqual([]);
    const red = (c: string) => {
      const [r, g, b] = c.match(/\d+/g)!.map(Number) as [number, number, number];
      return r > 150 && r > 2 * g && r > 2 * b;
    };
    expect(red(labelOf(view, 'veth:default/web-4', 'source')!.colour)).toBe(true);
    expect(red(labelOf(view, 'veth:default/web-3', 'source')!.colour)).toBe(false);
  } finally {
    setLink(netns, veth, 'up');
  }
});

test('selecting a pod zooms to where it reads, closer than the default fit', async ({ page }) => {
  await open(page, env.url);
  const fit = (await graphView(page)).zoom;
  await open(page, `${env.url}?select=pod:default/web-3`);
  const view = await graphView(page);
  expect(view.zoom).toBeGreaterThan(fit);
  const label = labelOf(view, 'pod:default/web-3')!;
  expect(label.px).toBeGreaterThanOrEqual(SELECTED_PX);
  expect(readabilityProblems({ ...view, labels: [label] }, SELECTED_PX)).toEqual([]);
});

test('a click in the graph selects in place; a double-click zooms to where the pod reads', async ({ page }) => {
  await open(page, env.url);
  const id = 'pod:default/web-3';
  const before = await graphView(page);
  const label = labelOf(before, id)!;
  expect(label.px, 'at the default fit the pod is smaller than a selection is shown').toBeLessThan(SELECTED_PX);
  const origin = (await page.getByTestId('graph').boundingBox())!;
  const at = {
    x: origin.x + (label.body!.x1 + label.body!.x2) / 2,
    y: origin.y + (label.body!.y1 + label.body!.y2) / 2,
  };
  await page.mouse.click(at.x, at.y);
  await expect(page.getByTestId('side-panel')).toHaveAttribute('data-key', id);
  // the view stays where the user had it: what was under the pointer still is
  await page.waitForTimeout(600);
  const clicked = await graphView(page);
  expect(clicked.zoom).toBeCloseTo(before.zoom, 6);
  // (its box is a little bigger drawn selected: a thicker border)
  const centre = (b: { x1: number; x2: number; y1: number; y2: number }) => [(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2];
  const [cx, cy] = centre(labelOf(clicked, id)!.body!);
  expect(cx).toBeCloseTo(centre(label.body!)[0]!, 1);
  expect(cy).toBeCloseTo(centre(label.body!)[1]!, 1);

  await page.mouse.dblclick(at.x, at.y);
  await expect
    .poll(async () => labelOf(await graphView(page), id)?.px ?? 0, {
      message: 'the double-click zooms the pod to read',
    })
    .toBeGreaterThanOrEqual(SELECTED_PX);
  const zoomed = await graphView(page);
  expect(readabilityProblems({ ...zoomed, labels: [labelOf(zoomed, id)!] }, SELECTED_PX)).toEqual([]);
  await expect(page.getByTestId('side-panel')).toHaveAttribute('data-key', id);
});

test.describe('a kind cluster’s real names', () => {
  let api: KubeApiServer | null = null;
  let kubeconfig: TestKubeconfig | null = null;
  let url = '';
  let pid = 0;
  const kind = (file: string) => JSON.parse(readFileSync(`e2e/fixtures/kind-3node/${file}`, 'utf8')) as KubeList;

  test.beforeAll(async () => {
    api = await KubeApiServer.start({
      nodes: kind('nodelist.kind-3node.as-captured.json'),
      pods: kind('podlist.kind-3node.as-captured.json'),
    });
    kubeconfig = writeKubeconfig(api);
    ({ url, pid } = await dashboard([
      '--source',
      'kubernetes',
      '--kubeconfig',
      kubeconfig.path,
      '--agent-port',
      'off',
      '--port',
      String(await freePort()),
    ]));
  });

  test.afterAll(async () => {
    if (pid) process.kill(pid, 'SIGTERM');
    kubeconfig?.remove();
    await api?.close();
  });

  test('long node and pod names are cut to their boxes, never overlapping; the whole name on hover and in the side panel', async ({
    page,
  }) => {
    await open(page, url);
    const view = await graphView(page);
    await page.screenshot({ path: 'e2e/artifacts/graph-readable-kind.png' });
    expect(readabilityProblems(view, MIN_PX)).toEqual([]);
    expect(titlesOverTheirBoxes(view)).toEqual([]);
    expect(labelOf(view, 'node:kubehound.test.local-control-plane')!.text.split('\n')[0]).toBe(
      'kubehound.test.local-control-plane',
    );
    const id = 'pod:kube-system/coredns-5d78c9869d-6tjpv';
    const lines = labelOf(view, id)!.text.split('\n');
    expect(lines[0]).toMatch(/^coredns.*….*6tjpv$/);
    expect(lines.slice(1)).toEqual(['kube-system', '10.244.0.3']);

    const at = labelOf(view, id)!.body!;
    const origin = (await page.getByTestId('graph').boundingBox())!;
    await page.mouse.move(origin.x + (at.x1 + at.x2) / 2, origin.y + (at.y1 + at.y2) / 2);
    await expect(page.getByTestId('graph')).toHaveAttribute('title', /kube-system\/coredns-5d78c9869d-6tjpv/);
    await page.mouse.click(origin.x + (at.x1 + at.x2) / 2, origin.y + (at.y1 + at.y2) / 2);
    const panel = page.getByTestId('side-panel');
    await expect(panel).toContainText('coredns-5d78c9869d-6tjpv');
    await expect(panel).toContainText('kube-system');
  });
});

test.describe('a big cluster (level of detail)', () => {
  let url = '';
  let pid = 0;

  test.beforeAll(async () => {
    ({ url, pid } = await dashboard([
      '--source',
      'synthetic',
      '--synthetic',
      '16x1000',
      '--port',
      String(await freePort()),
    ]));
  });

  test.afterAll(() => {
    if (pid) process.kill(pid, 'SIGTERM');
  });

  /** the first pod the server has on each of these nodes */
  async function podsOn(page: Page, ...nodes: string[]): Promise<string[]> {
    const t = (await (await page.request.get(`${url}api/trpc/topology.snapshot`)).json()).result.data.topology as {
      pods: { key: string; node: string }[];
    };
    return nodes.map((n) => t.pods.find((p) => p.node === n)!.key);
  }

  test('selecting a pod in a closed box opens it and zooms to where the pod reads', async ({ page }) => {
    await open(page, url);
    await expect(page.getByTestId('graph')).toHaveAttribute('data-lod', 'true');
    const [key] = await podsOn(page, 'node12');
    await open(page, `${url}?select=pod:${key}`);
    const view = await graphView(page);
    const label = labelOf(view, `pod:${key}`);
    expect(label, 'the pod is drawn').toBeDefined();
    expect(readabilityProblems({ ...view, labels: [label!] }, SELECTED_PX)).toEqual([]);
  });

  test('a traced path is drawn on the same instance: its boxes open, its route drawn, the rest dimmed', async ({
    page,
  }) => {
    await open(page, url);
    const [a, b] = await podsOn(page, 'node3', 'node12');
    const route = 'route:node3 10.244.12.0/24';
    const path = [
      `pod:${a}`,
      `veth:${a}`,
      'bridge:node3',
      'node:node3',
      route,
      'uplink:node3',
      'lan',
      'uplink:node12',
      'node:node12',
      'bridge:node12',
      `veth:${b}`,
      `pod:${b}`,
    ];
    const state = () =>
      page.evaluate(
        ({ path, route }) => {
          const cy = (window as any).__podnetGraph.cy;
          const classes = (id: string) => (cy.getElementById(id).nonempty() ? cy.getElementById(id).classes() : null);
          return {
            same: cy.scratch('e2e-instance') === 'before',
            drawn: path.filter((id: string) => cy.getElementById(id).nonempty()),
            route: classes(route),
            pod: classes(path[0]!),
            far: classes(path[11]!),
            other: classes('node:node7'),
            dimmed: cy.elements('.hl-dim').length,
            marked: cy.elements('.hl-path, .hl-failed, .hl-unverified, .hl-dim').length,
          };
        },
        { path, route },
      );
    // a statement, not an expression: scratch() returns the whole Cytoscape instance, which
    // Playwright would try to serialise back
    await page.evaluate(() => {
      (window as any).__podnetGraph.cy.scratch('e2e-instance', 'before');
    });
    expect((await state()).drawn).not.toContain(route); // 16 nodes: only a focused node's routes are drawn

    await page.evaluate(
      ({ path, route, b }) =>
        (window as any).__podnetGraph.highlight({ path, failed: [route], unverified: [`veth:${b}`, `pod:${b}`] }),
      { path, route, b },
    );
    await expect.poll(async () => (await state()).drawn).toEqual(path);
    const on = await state();
    expect(on.same).toBe(true);
    expect(on.route).toEqual(expect.arrayContaining(['hl-path', 'hl-failed']));
    expect(on.pod).toEqual(['hl-path']);
    expect(on.far).toEqual(expect.arrayContaining(['hl-path', 'hl-unverified']));
    expect(on.other).toEqual(['hl-dim']);
    expect(on.dimmed).toBeGreaterThan(0);
    await page.screenshot({ path: 'e2e/artifacts/graph-readable-trace.png' });

    await page.evaluate(() => (window as any).__podnetGraph.highlight(null));
    await expect.poll(async () => (await state()).marked).toBe(0);
    expect((await state()).same).toBe(true);
  });
});
