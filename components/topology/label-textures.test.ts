import { describe, expect, it } from 'vitest';
import { labelReads } from './label-textures';

describe('labelReads', () => {
  it('is the font size at the real zoom (and pixel ratio) against the label style minimum', () => {
    // a collapsed box's 48 px title at the overview of 1,000 boxes (zoom ~0.06): ~3 px
    expect(labelReads(48, 4, 0.06, 1)).toBe(false);
    // the texture level rounds that zoom up to 1/8: 6 px, which is what was textured
    expect(labelReads(48, 4, 1 / 8, 1)).toBe(true);
    // a high-density screen doubles the pixels
    expect(labelReads(48, 4, 0.06, 2)).toBe(true);
    // no minimum: always drawn, always cached as Cytoscape does
    expect(labelReads(10, 0, 0.001, 1)).toBe(true);
  });
});
