// Cytoscape's canvas renderer keeps labels as textures, one per zoom level: it draws the
// text into an atlas, then copies it to the screen. Its level rounds the zoom up to a
// power of two, so at the overview of 1,000 node boxes it made a texture of every title at
// ~6 px, one that is then not drawn at all (under its min-zoomed-font-size at the real
// zoom). A label under its minimum at the real zoom is now handed to Cytoscape's direct
// drawing (its fallback for a label too big to cache), which skips it; a readable one is
// cached as before, so zooming among pods still reuses their textures. The first frame of
// 1,000 boxes: 1.14 s -> 0.68 s here (bench/README.md). Cytoscape has no option for this:
// the cache's getter is wrapped (pinned by package-lock.json; an end-to-end test checks
// that it still applies).
import type { Core } from 'cytoscape';

interface StyledElement {
  pstyle(name: string): { pfValue: number };
  cy(): Core;
}

type GetElement = (ele: StyledElement, bb: unknown, pxRatio: number, ...rest: unknown[]) => unknown;

/** Whether a label with a min-zoomed-font-size reads at the current zoom. */
export function labelReads(fontPx: number, minPx: number, zoom: number, pxRatio: number): boolean {
  return fontPx * zoom * pxRatio >= minPx;
}

/** Only labels that are drawn get textures; false when this Cytoscape has no label cache
 *  to wrap (then it draws as it always did). */
export function textureReadableLabelsOnly(cy: Core): boolean {
  const renderer = (
    cy as unknown as { renderer?: () => { data?: { lblTxrCache?: { getElement?: unknown } } } }
  ).renderer?.();
  const cache = renderer?.data?.lblTxrCache;
  if (!cache || typeof cache.getElement !== 'function') return false;
  const get = cache.getElement as GetElement;
  cache.getElement = function (this: unknown, ele: StyledElement, bb: unknown, pxRatio: number, ...rest: unknown[]) {
    const reads = labelReads(
      ele.pstyle('font-size').pfValue,
      ele.pstyle('min-zoomed-font-size').pfValue,
      ele.cy().zoom(),
      pxRatio,
    );
    return reads ? get.call(this, ele, bb, pxRatio, ...rest) : null;
  } satisfies GetElement;
  return true;
}
