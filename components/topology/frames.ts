// Scheduling the graph's heavy work around the user's input: a click is answered in its
// frame, the work it asks for (a box opening, the panels) comes after, and input the page
// can already see waiting (isInputPending, Chromium only) goes first. A wheel step that
// Chromium still holds for a later frame is not seen: in a trace at 10x1000 the wheel sent
// 22 ms after a click waited ~250 ms behind the frames that open the box (bench/README.md).

interface Clock {
  frame(f: () => void): unknown;
  task(f: () => void): unknown;
  /** input waits to be dispatched (false where the browser cannot tell) */
  inputPending(): boolean;
}

const browser: Clock = {
  frame: (f) => requestAnimationFrame(() => f()),
  task: (f) => setTimeout(f, 0),
  inputPending: () => {
    const s = (navigator as { scheduling?: { isInputPending?: (o?: { includeContinuous?: boolean }) => boolean } })
      .scheduling;
    return s?.isInputPending?.({ includeContinuous: true }) ?? false;
  },
};

/** Frames work waits for input at most: a user who keeps scrolling still gets it done. */
export const MAX_INPUT_WAITS = 4;

/** Runs `f` in a task after the next frame is painted, and a frame later again (up to
 *  MAX_INPUT_WAITS times) while input is waiting. */
export function afterPaint(f: () => void, clock: Clock = browser, waited = 0): void {
  clock.frame(() =>
    clock.task(() => {
      if (waited < MAX_INPUT_WAITS && clock.inputPending()) afterPaint(f, clock, waited + 1);
      else f();
    }),
  );
}

/** Runs `f` in the next frame's callbacks, or a later one's (up to MAX_INPUT_WAITS frames
 *  later) while input is waiting: what it adds is drawn in the frame after it. */
export function nextFrame(f: () => void, clock: Clock = browser, waited = 0): void {
  clock.frame(() => {
    if (waited < MAX_INPUT_WAITS && clock.inputPending()) nextFrame(f, clock, waited + 1);
    else f();
  });
}

interface Timer {
  now(): number;
  later(ms: number, f: () => void): unknown;
}

const browserTimer: Timer = { now: () => performance.now(), later: (ms, f) => setTimeout(f, ms) };

/** Runs `f` once `quietMs` have passed since `last()` (the user's last input), at once if
 *  they have. `last` is read again when the wait is over: input during it waits longer.
 *  Chromium hands a wheel to the page only after several turns of its main thread (~4
 *  frames' time, however long the frames), so the work a click asks for waits for a
 *  wheel that may follow it (bench/README.md). */
export function whenQuiet(last: () => number, quietMs: number, f: () => void, timer: Timer = browserTimer): void {
  const wait = last() + quietMs - timer.now();
  if (wait <= 0) f();
  else timer.later(wait, () => whenQuiet(last, quietMs, f, timer));
}
