// The graph's label sizes, and text cut to fit them. Labels are monospace so that how
// many characters fit a width is arithmetic, not a measurement: to-elements.ts cuts a
// name to its box here (the full text goes on the element's `tip`, shown on hover, and
// in the side panel), and styles.ts draws it at the same size.

/** Font sizes in world units. At the reference lab's default fit (zoom ≈ 1 in a 1024 px
 *  wide graph) a 12-unit label is about 12 screen px: the smallest that reads well. */
export const FONT_SIZE = {
  pod: 12,
  veth: 12,
  bridge: 12,
  title: 13,
  uplink: 12,
  route: 12,
  lan: 12,
  router: 13,
} as const;

/** A monospace character's advance as a share of the font size: 0.6 in DejaVu Sans Mono,
 *  Liberation Mono, Menlo and SF Mono (Consolas 0.55); a little more, so that an
 *  estimate never falls short of what the browser draws. */
export const MONO_ADVANCE = 0.62;

/** How many characters of `fontSize` fit in `width` world units. */
export const charsIn = (width: number, fontSize: number) => Math.max(1, Math.floor(width / (fontSize * MONO_ADVANCE)));

/** The width `chars` characters take at `fontSize`. */
export const widthOf = (chars: number, fontSize: number) => chars * fontSize * MONO_ADVANCE;

/**
 * `text` in at most `max` characters, cut in the middle: Kubernetes names differ at both
 * ends (coredns-5d78c9869d-6hjpv: the workload, then the pod's own suffix), so both stay.
 */
export function ellipsize(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…';
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}
