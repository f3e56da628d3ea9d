// Elements added to a drawing that is already on screen go to Cytoscape a slice per frame.
// Each new element costs Cytoscape ~1 ms here to style, measure and cache as a texture on
// its next frame; a box opening with a few hundred pods in one batch held that frame, and
// every click or wheel step behind it, for 150–400 ms (bench/README.md). In slices, input
// is answered between them and the first pods show sooner.
import type { ElementDefinition } from 'cytoscape';

/** New elements per frame: ~25 ms of Cytoscape's work here, in software (48 made frames
 *  of ~80 ms; 16 of ~15 ms, but 13 frames to fill a box of 100 pods). */
export const ADD_SLICE = 32;
/** New elements per frame within INPUT_QUIET_MS of the user's last click, wheel or drag on
 *  the graph. Chromium hands a wheel to the page only after several turns of its main
 *  thread (in a bench page: ~4 frames' time, whatever their length), so a wheel right
 *  after a click waits for ~4 of these frames: they are kept short. */
export const ADD_SLICE_NEAR_INPUT = 8;
export const INPUT_QUIET_MS = 400;

/**
 * `add` in the order slices may be added in: every element after what it hangs on (boxes,
 * bridges and other nodes first, a pod before its veth, the other edges last), and `first`
 * (the selection's pod) with its veth before the other pods. Cut into slices of `size`.
 */
export function sliceAdds(add: ElementDefinition[], first: string | null, size = ADD_SLICE): ElementDefinition[][] {
  const others: ElementDefinition[] = [];
  const pods: ElementDefinition[] = [];
  const edges: ElementDefinition[] = [];
  for (const e of add) {
    if (e.group === 'edges') edges.push(e);
    else if (e.data.kind === 'pod') pods.push(e);
    else others.push(e);
  }
  // a pod's veth goes right after it; the rest of the edges (routes, uplinks) after all pods
  const podIds = new Set(pods.map((p) => p.data.id as string));
  const vethOf = new Map<string, ElementDefinition[]>();
  const rest: ElementDefinition[] = [];
  for (const e of edges) {
    const src = e.data.source as string;
    if (podIds.has(src)) vethOf.set(src, [...(vethOf.get(src) ?? []), e]);
    else rest.push(e);
  }
  const lead = pods.findIndex((p) => p.data.id === first);
  if (lead > 0) pods.unshift(...pods.splice(lead, 1));
  const order = [...others];
  for (const p of pods) order.push(p, ...(vethOf.get(p.data.id as string) ?? []));
  order.push(...rest);
  return sliceAgain([order], size);
}

/** What is left to add, in the same order, cut again into slices of `size`. */
export function sliceAgain(slices: ElementDefinition[][], size: number): ElementDefinition[][] {
  const all = slices.flat();
  const out: ElementDefinition[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}
