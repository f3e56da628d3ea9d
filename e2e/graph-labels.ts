// What the graph's labels look like on screen, measured in the page from its Cytoscape
// instance (window.__podnetGraph): each label's text, its size in screen px (font size ×
// zoom), its box as Cytoscape renders it, the element's body, its colour and the colour it
// is drawn on. graph-readable.spec.ts judges them as a reader would.
import type { Page } from '@playwright/test';

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface DrawnLabel {
  id: string;
  kind: string;
  which: 'main' | 'source' | 'target';
  text: string;
  /** font size × zoom */
  px: number;
  /** the label, in px relative to the graph's top left */
  box: Box;
  /** a node's body (null for edges) */
  body: Box | null;
  /** "rgb(r, g, b)" */
  colour: string;
  /** what the text sits on: its background, the node's fill, or the page */
  backdrop: string;
}

export interface GraphView {
  zoom: number;
  width: number;
  height: number;
  labels: DrawnLabel[];
  /** page elements laid over the graph (the legend), relative to its top left */
  overlays: Box[];
}

export function graphView(page: Page): Promise<GraphView> {
  return page.evaluate(() => {
    const cy = (window as any).__podnetGraph.cy;
    const container: HTMLElement = cy.container();
    const origin = container.getBoundingClientRect();
    // the canvas is transparent: the page's colour shows through
    let page = 'rgb(255, 255, 255)';
    for (let el: HTMLElement | null = container; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) {
        page = c;
        break;
      }
    }
    const box = (b: any) => ({ x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 });
    const only = {
      includeNodes: false,
      includeEdges: false,
      includeLabels: true,
      includeMainLabels: false,
      includeSourceLabels: false,
      includeTargetLabels: false,
      includeOverlays: false,
      includeUnderlays: false,
    };
    const labels: any[] = [];
    const zoom = cy.zoom();
    cy.elements().forEach((e: any) => {
      if (!e.visible() || Number(e.pstyle('opacity').value) === 0) return;
      for (const [prop, which, opt] of [
        ['label', 'main', 'includeMainLabels'],
        ['source-label', 'source', 'includeSourceLabels'],
        ['target-label', 'target', 'includeTargetLabels'],
      ] as const) {
        const text = e.pstyle(prop)?.strValue;
        if (!text) continue;
        const isNode = e.isNode();
        const outside = isNode && e.pstyle('text-valign').value === 'top';
        const textBg =
          Number(e.pstyle('text-background-opacity').value) > 0 ? e.pstyle('text-background-color').strValue : null;
        labels.push({
          id: e.id(),
          kind: e.data('kind'),
          which,
          text,
          px: parseFloat(e.pstyle('font-size').strValue) * zoom,
          box: box(e.renderedBoundingBox({ ...only, [opt]: true })),
          body: isNode
            ? box(e.renderedBoundingBox({ includeLabels: false, includeOverlays: false, includeUnderlays: false }))
            : null,
          colour: e.pstyle('color').strValue,
          backdrop: textBg ?? (isNode && !outside ? e.pstyle('background-color').strValue : page),
        });
      }
    });
    const overlays = [...document.querySelectorAll('[data-testid="legend"]')].map((el) => {
      const r = (el.parentElement ?? el).getBoundingClientRect();
      return { x1: r.left - origin.left, y1: r.top - origin.top, x2: r.right - origin.left, y2: r.bottom - origin.top };
    });
    return { zoom, width: cy.width(), height: cy.height(), labels, overlays };
  });
}

/** Waits until the view stops moving (a fit, a refit on resize, a selection's animation). */
export async function settled(page: Page): Promise<void> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const now = await page.evaluate(() => {
      const cy = (window as any).__podnetGraph?.cy;
      return cy ? JSON.stringify([cy.zoom(), cy.pan(), cy.elements().length]) : '';
    });
    if (now && now === last) return;
    last = now;
    await page.waitForTimeout(300);
  }
  throw new Error('the graph kept moving for 12 s');
}

/** how far two boxes overlap in both directions (0 when they do not) */
export function overlap(a: Box, b: Box): number {
  return Math.max(
    0,
    Math.min(Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1), Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1)),
  );
}

export const inside = (inner: Box, outer: Box, slack = 0.5) =>
  inner.x1 >= outer.x1 - slack &&
  inner.y1 >= outer.y1 - slack &&
  inner.x2 <= outer.x2 + slack &&
  inner.y2 <= outer.y2 + slack;

/** WCAG 2 contrast ratio of two "rgb(…)" colours */
export function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Every way the labels fail a reader, as messages (none: all is well). */
export function readabilityProblems(view: GraphView, minPx: number): string[] {
  const out: string[] = [];
  const name = (l: DrawnLabel) => `${l.id} ${l.which} "${l.text.replace(/\n/g, ' / ')}"`;
  const screen = { x1: 0, y1: 0, x2: view.width, y2: view.height };
  for (const l of view.labels) {
    if (l.px < minPx) out.push(`${name(l)} is ${l.px.toFixed(1)} px, under ${minPx}`);
    if (!inside(l.box, screen)) out.push(`${name(l)} is cut off by the graph's edge`);
    for (const o of view.overlays) if (overlap(l.box, o) > 0.5) out.push(`${name(l)} is under the legend`);
    if (l.kind === 'pod' && l.body && !inside(l.box, l.body)) out.push(`${name(l)} spills out of its pod`);
    const c = contrast(l.colour, l.backdrop);
    if (c < 4.5) out.push(`${name(l)}: contrast ${c.toFixed(2)} (${l.colour} on ${l.backdrop}), under 4.5`);
  }
  for (let i = 0; i < view.labels.length; i++) {
    for (let j = i + 1; j < view.labels.length; j++) {
      const a = view.labels[i]!;
      const b = view.labels[j]!;
      if (overlap(a.box, b.box) > 0.5) out.push(`${name(a)} overlaps ${name(b)}`);
    }
  }
  return out;
}
