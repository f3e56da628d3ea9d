// Cytoscape's canvas renderer draws on three stacked canvases: the elements, the ones being
// dragged, and the selection box. It clears the drag and selection-box canvases on most
// frames, and a canvas cleared is a canvas changed: Chromium hands each changed canvas to
// its compositor again. In this page nothing is ever dragged (autoungrabify) and the
// selection box and the tap highlight are off (opacity 0), so both canvases stay blank;
// their clears still made frames whose compositor commit held the main thread 45–60 ms at
// 100 boxes, software-rendered here, and a wheel right after a click waited for several of
// those (bench/README.md: first wheel p50 158 → 119 ms at 100x10000 without them). A blank
// canvas is not cleared again. Cytoscape has no option for this: its renderer's render()
// is wrapped (pinned by package-lock.json; the end-to-end tests check the wrap applies).
import type { Core } from 'cytoscape';

/** Which of the two canvases a frame may leave as they are. */
export function blankLayersToSkip(s: {
  /** a PNG export or the like draws into a context of its own: never skipped */
  forced: boolean;
  /** elements in the drag layer now */
  dragging: number;
  /** the drag canvas was left blank by the last frame */
  dragBlank: boolean;
}): { selectBox: boolean; drag: boolean } {
  if (s.forced) return { selectBox: false, drag: false };
  return { selectBox: true, drag: s.dragBlank && s.dragging === 0 };
}

interface Renderer {
  render(options?: { forcedContext?: unknown; drawAllLayers?: boolean }): unknown;
  getCachedZSortedEles(): { drag: unknown[] };
  data: { canvasNeedsRedraw: boolean[] };
  DRAG: number;
  SELECT_BOX: number;
}

/** Wraps `cy`'s renderer; false when this Cytoscape does not have what it wraps. */
export function skipBlankLayers(cy: Core): boolean {
  const r = (cy as unknown as { renderer?: () => Renderer }).renderer?.();
  if (
    !r ||
    typeof r.render !== 'function' ||
    typeof r.getCachedZSortedEles !== 'function' ||
    !Array.isArray(r.data?.canvasNeedsRedraw) ||
    typeof r.DRAG !== 'number' ||
    typeof r.SELECT_BOX !== 'number'
  )
    return false;
  const render = r.render.bind(r);
  let dragBlank = false;
  r.render = (options) => {
    const need = r.data.canvasNeedsRedraw;
    const forced = Boolean(options?.forcedContext || options?.drawAllLayers);
    const skip = blankLayersToSkip({
      forced,
      dragging: r.getCachedZSortedEles().drag.length,
      dragBlank,
    });
    if (skip.selectBox) need[r.SELECT_BOX] = false;
    if (skip.drag) need[r.DRAG] = false;
    const cleared = need[r.DRAG] === true;
    const out = render(options);
    // blank when nothing is in it and it was cleared now or was blank already
    if (!forced) dragBlank = r.getCachedZSortedEles().drag.length === 0 && (cleared || dragBlank);
    return out;
  };
  return true;
}
