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
