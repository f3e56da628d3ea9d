import { describe, expect, it } from 'vitest';
import { blankLayersToSkip } from './blank-layers';

describe('blankLayersToSkip', () => {
  it('leaves the selection-box canvas alone and the drag canvas while it is blank and nothing is dragged', () => {
    expect(blankLayersToSkip({ forced: false, dragging: 0, dragBlank: true })).toEqual({ selectBox: true, drag: true });
  });

  it('clears the drag canvas when it may hold something, or something is in it', () => {
    expect(blankLayersToSkip({ forced: false, dragging: 0, dragBlank: false }).drag).toBe(false);
    expect(blankLayersToSkip({ forced: false, dragging: 2, dragBlank: true }).drag).toBe(false);
  });

  it('skips nothing in a drawing of its own (a PNG export)', () => {
    expect(blankLayersToSkip({ forced: true, dragging: 0, dragBlank: true })).toEqual({
      selectBox: false,
      drag: false,
    });
  });
});
