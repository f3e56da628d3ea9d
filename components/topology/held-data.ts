// Data changes of elements out of view, held until the view comes near them. Cytoscape
// redraws the whole view for any change anywhere, so at 1,000 boxes a pod count changing on
// a box nobody sees cost a full frame (~60 ms zoomed in among open boxes) — and a cluster
// that changes 20 times a second kept the page busy drawing what it did not show. Only a
// change that cannot move or resize anything is held (a label, a tip, a health, a count):
// a held element is where Cytoscape has it, so whether it is in view is still true.

/** data keys whose change leaves an element's place and size as they are */
const LOOKS = new Set(['label', 'tip', 'health', 'severity', 'pods', 'findings', 'fontSize']);

/** Whether going from `before` to `after` changes looks only (`after` holds every key that
 *  changes, a removed one as null: planUpdate's data). */
export function looksOnly(before: Record<string, unknown>, after: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(after)) if (before[k] !== v && !LOOKS.has(k)) return false;
  return true;
}

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** the view grown by half its size on every side: what is about to be seen */
export function nearView(view: Box): Box {
  const w = (view.x2 - view.x1) / 2;
  const h = (view.y2 - view.y1) / 2;
  return { x1: view.x1 - w, y1: view.y1 - h, x2: view.x2 + w, y2: view.y2 + h };
}

export const overlaps = (a: Box, b: Box) => a.x1 <= b.x2 && b.x1 <= a.x2 && a.y1 <= b.y2 && b.y1 <= a.y2;

/** the held changes by element id, merged in order: what each element is still to be given */
export class HeldData {
  private held = new Map<string, Record<string, unknown>>();

  get size(): number {
    return this.held.size;
  }

  hold(id: string, data: Record<string, unknown>): void {
    const had = this.held.get(id);
    this.held.set(id, had ? { ...had, ...data } : data);
  }

  /** what to give the element now: anything held for it, then `data` over it */
  take(id: string, data: Record<string, unknown> = {}): Record<string, unknown> {
    const had = this.held.get(id);
    if (!had) return data;
    this.held.delete(id);
    return { ...had, ...data };
  }

  drop(id: string): void {
    this.held.delete(id);
  }

  ids(): string[] {
    return [...this.held.keys()];
  }
}
