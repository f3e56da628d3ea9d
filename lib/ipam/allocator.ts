// Picks the next free address of a range set, round-robin from the last one handed out
// (as host-local does, so a released address is not reused at once).
import { rangeSetLabel, type Range, type RangeSet } from './range.js';
import type { LeaseStore } from './store.js';

export class RangeExhaustedError extends Error {
  constructor(readonly label: string) {
    super(`no free address in range ${label}: every address is leased`);
  }
}

export interface Allocation {
  ip: number;
  range: Range;
}

function* span(range: Range, from: number, to: number): Generator<Allocation> {
  for (let ip = from; ip <= to; ip++) if (ip !== range.gateway) yield { ip, range };
}

/** The rest of the range holding `after`, the ranges that follow, then wrap around. */
function* candidates(set: RangeSet, after: number | null): Generator<Allocation> {
  const i = after === null ? -1 : set.findIndex((r) => after >= r.start && after <= r.end);
  if (i < 0 || after === null) {
    for (const range of set) yield* span(range, range.start, range.end);
    return;
  }
  const home = set[i]!;
  yield* span(home, after + 1, home.end);
  for (let k = 1; k < set.length; k++) {
    const range = set[(i + k) % set.length]!;
    yield* span(range, range.start, range.end);
  }
  yield* span(home, home.start, after);
}

export function allocate(
  store: LeaseStore,
  set: RangeSet,
  setIndex: number,
  containerID: string,
  ifname: string,
): Allocation {
  const taken = new Set(store.list().map((l) => l.ip));
  for (const c of candidates(set, store.lastReserved(setIndex))) {
    if (taken.has(c.ip)) continue;
    if (store.reserve(c.ip, containerID, ifname, setIndex)) return c;
  }
  throw new RangeExhaustedError(rangeSetLabel(set));
}
