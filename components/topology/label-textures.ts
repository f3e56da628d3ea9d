// Cytoscape's canvas renderer keeps labels as textures, one per zoom level: it draws the
// text into an atlas, then copies it to the screen. Its level rounds the zoom up to a
// power of two, so at the overview of 1,000 node boxes it made a texture of every title at
// ~6 px, one that is then not drawn at all (under its min-zoomed-font-size at the real
// zoom). A label under its minimum at the real zoom now gets no texture, and is not drawn
// on the screen either: a label the cache declines is drawn directly instead (its
// fallback for a label too big to cache), and that fallback tests the minimum at the
// level's zoom, not the real one — so between the two (pods' 12 px labels at zoom
// 0.25–0.42, where a big cluster's page sits once boxes open) every pod label in view was
// drawn with fillText on every frame, at ~4 px. Drawing into a layer (Cytoscape's image of
// many elements at one level, for graphs small enough to have one) keeps Cytoscape's own
// rule: a layer serves the whole level, whatever the zoom it was made at. A readable label
// is cached as before, so zooming among pods still reuses their textures. The first frame
// of 1,000 boxes: 1.14 s -> 0.68 s here; frames zoomed in among 10,000 pods p95 67 -> 17 ms
// (bench/README.md). Cytoscape has no option for this: the cache's getter and drawer are
// wrapped (pinned by package-lock.json; end-to-end tests check that the wrap still applies
// and that such a label is not drawn).
import type { Core } from 'cytoscape';

interface StyledElement {
  pstyle(name: string): { pfValue: number };
  cy(): Core;
}

type GetElement = (ele: StyledElement, bb: unknown, pxRatio: number, ...rest: unknown[]) => unknown;
type DrawElement = (context: unknown, ele: StyledElement, ...rest: unknown[]) => unknown;

interface LabelCache {
  getElement?: unknown;
  drawElement?: unknown;
}

interface Renderer {
  data?: { lblTxrCache?: LabelCache; contexts?: unknown[] };
  getPixelRatio?: () => number;
}

/** Whether a label with a min-zoomed-font-size reads at the current zoom. */
export function labelReads(fontPx: number, minPx: number, zoom: number, pxRatio: number): boolean {
  return fontPx * zoom * pxRatio >= minPx;
}

const readsNow = (ele: StyledElement, pxRatio: number) =>
  labelReads(ele.pstyle('font-size').pfValue, ele.pstyle('min-zoomed-font-size').pfValue, ele.cy().zoom(), pxRatio);

/** Only labels that read at the real zoom get textures or are drawn; false when this
 *  Cytoscape has no label cache to wrap (then it draws as it always did). */
export function textureReadableLabelsOnly(cy: Core): boolean {
  const renderer = (cy as unknown as { renderer?: () => Renderer }).renderer?.();
  const cache = renderer?.data?.lblTxrCache;
  const contexts = renderer?.data?.contexts;
  if (!cache || typeof cache.getElement !== 'function' || typeof cache.drawElement !== 'function') return false;
  if (!Array.isArray(contexts)) return false;
  const get = cache.getElement as GetElement;
  const draw = cache.drawElement as DrawElement;
  const pxRatio = () => renderer?.getPixelRatio?.() ?? 1;
  cache.getElement = function (this: unknown, ele: StyledElement, bb: unknown, ratio: number, ...rest: unknown[]) {
    return readsNow(ele, ratio) ? get.call(this, ele, bb, ratio, ...rest) : null;
  } satisfies GetElement;
  // the direct drawing the cache falls back on: on the screen's canvases by the real zoom
  // (into a layer, or a readable label's own texture, as Cytoscape does)
  const screens = new Set(contexts);
  cache.drawElement = function (this: unknown, context: unknown, ele: StyledElement, ...rest: unknown[]) {
    if (screens.has(context) && !readsNow(ele, pxRatio())) return undefined;
    return draw.call(this, context, ele, ...rest);
  } satisfies DrawElement;
  return true;
}
