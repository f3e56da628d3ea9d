// The keys of a text box with a list of options under it (the ARIA combobox pattern), for
// the search box and the trace panel's endpoint boxes: arrows move through the options,
// Enter takes one (or submits), Escape closes the list (or clears).
import type { Dispatch, KeyboardEvent, SetStateAction } from 'react';

export function comboboxKeys(
  e: KeyboardEvent<HTMLInputElement>,
  o: {
    count: number;
    setActive: Dispatch<SetStateAction<number>>;
    open: () => void;
    enter: () => void;
    escape: () => void;
  },
): void {
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    o.open();
    o.setActive((a) => Math.min(a + 1, Math.max(o.count - 1, 0)));
  } else if (e.key === 'ArrowUp') {
    e.preventDefault();
    o.setActive((a) => Math.max(a - 1, 0));
  } else if (e.key === 'Enter') {
    e.preventDefault();
    o.enter();
  } else if (e.key === 'Escape') {
    o.escape();
  }
}
