// A traced path on the graph: which classes go on which element, as a pure function of the
// element ids drawn and the highlight the trace panel passes. The stylesheet (styles.ts)
// says what the classes look like; TopologyGraph applies them in one cy.batch(), without
// re-creating anything. Ids are the graph's own (lib/model/graph-ids.ts), so the trace
// names elements exactly as the graph draws them.
import { elementId } from '../../lib/model/graph-ids';
import type { Topology } from '../../lib/model/topology';

/** What a trace asks the graph to show: element ids (graph-ids.ts). */
export interface GraphHighlight {
  /** the elements the packet crosses, in order */
  path: string[];
  /** where it breaks (drawn red; on the path or not) */
  failed: string[];
  /** hops no agent could check (drawn dashed) */
  unverified?: string[];
}

export type HighlightClass = 'hl-path' | 'hl-failed' | 'hl-unverified' | 'hl-dim';
export const HIGHLIGHT_CLASSES: readonly HighlightClass[] = ['hl-path', 'hl-failed', 'hl-unverified', 'hl-dim'];

/**
 * The classes of every drawn element under a highlight: an element the trace names is on
 * the path (and failed, and unverified, as it says); every other one is dimmed. No
 * highlight: no classes at all.
 */
export function highlightClasses(
  drawn: Iterable<string>,
  h: GraphHighlight | null | undefined,
): Map<string, HighlightClass[]> {
  const out = new Map<string, HighlightClass[]>();
  if (!h) return out;
  const failed = new Set(h.failed);
  const unverified = new Set(h.unverified ?? []);
  const named = new Set([...h.path, ...failed, ...unverified]);
  for (const id of drawn) {
    if (!named.has(id)) {
      out.set(id, ['hl-dim']);
      continue;
    }
    const cls: HighlightClass[] = ['hl-path'];
    if (failed.has(id)) cls.push('hl-failed');
    if (unverified.has(id)) cls.push('hl-unverified');
    out.set(id, cls);
  }
  return out;
}

/** Every id a highlight names. */
export const highlightIds = (h: GraphHighlight | null | undefined): Set<string> =>
  new Set(h ? [...h.path, ...h.failed, ...(h.unverified ?? [])] : []);

/**
 * The node boxes a highlight passes through, which must be drawn open whatever the level
 * of detail: the nodes it names, the nodes of its bridges, uplinks, pods and veths, and
 * both ends of its routes.
 */
export function nodesOnHighlight(topology: Topology | null, h: GraphHighlight | null | undefined): Set<string> {
  const out = new Set<string>();
  if (!topology || !h) return out;
  const ids = highlightIds(h);
  for (const n of topology.nodes) {
    if (ids.has(elementId.node(n.name)) || ids.has(elementId.bridge(n.name)) || ids.has(elementId.uplink(n.name)))
      out.add(n.name);
  }
  for (const p of topology.pods) {
    if (p.node && (ids.has(elementId.pod(p.key)) || ids.has(elementId.veth(p.key)))) out.add(p.node);
  }
  for (const r of topology.routes) {
    if (!ids.has(elementId.route(r.from, r.dst))) continue;
    if (r.from !== 'router') out.add(r.from);
    if (r.to) out.add(r.to);
  }
  return out;
}
