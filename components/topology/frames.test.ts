import { describe, expect, it } from 'vitest';
import { afterPaint, MAX_INPUT_WAITS, nextFrame, whenQuiet } from './frames';

/** A clock run by hand: frames and tasks queue until the test runs them. */
function handClock(pending: () => boolean) {
  const frames: (() => void)[] = [];
  const tasks: (() => void)[] = [];
  const log: string[] = [];
  return {
    log,
    clock: {
      frame: (f: () => void) => frames.push(f),
      task: (f: () => void) => tasks.push(f),
      inputPending: pending,
    },
    /** one frame: its callbacks, then the tasks they posted */
    tick() {
      log.push('frame');
      for (const f of frames.splice(0)) f();
      for (const t of tasks.splice(0)) t();
    },
  };
}

describe('afterPaint', () => {
  it('runs after the next frame when no input waits', () => {
    const h = handClock(() => false);
    afterPaint(() => h.log.push('work'), h.clock);
    expect(h.log).toEqual([]);
    h.tick();
    expect(h.log).toEqual(['frame', 'work']);
  });

  it('lets waiting input have a frame first, and runs a frame later', () => {
    let waiting = 1;
    const h = handClock(() => waiting-- > 0);
    afterPaint(() => h.log.push('work'), h.clock);
    h.tick();
    h.tick();
    expect(h.log).toEqual(['frame', 'frame', 'work']);
  });

  it('does not wait forever behind a user who keeps scrolling', () => {
    const h = handClock(() => true);
    afterPaint(() => h.log.push('work'), h.clock);
    for (let i = 0; i <= MAX_INPUT_WAITS; i++) h.tick();
    expect(h.log.filter((l) => l === 'work')).toHaveLength(1);
    expect(h.log).toHaveLength(MAX_INPUT_WAITS + 2);
  });
});

describe('nextFrame', () => {
  it("runs in the next frame's callbacks, or a later one while input waits", () => {
    let waiting = 2;
    const h = handClock(() => waiting-- > 0);
    nextFrame(() => h.log.push('work'), h.clock);
    h.tick();
    h.tick();
    expect(h.log).toEqual(['frame', 'frame']);
    h.tick();
    expect(h.log).toEqual(['frame', 'frame', 'frame', 'work']);
  });
});

describe('whenQuiet', () => {
  /** time run by hand: `advance` runs what is due */
  function handTimer() {
    let now = 0;
    let due: { at: number; f: () => void }[] = [];
    return {
      timer: { now: () => now, later: (ms: number, f: () => void) => due.push({ at: now + ms, f }) },
      advance(ms: number) {
        now += ms;
        const run = due.filter((d) => d.at <= now);
        due = due.filter((d) => d.at > now);
        for (const d of run) d.f();
      },
    };
  }

  it('runs at once when the last input is long enough ago', () => {
    const t = handTimer();
    t.advance(1000);
    const log: string[] = [];
    whenQuiet(
      () => 500,
      120,
      () => log.push('work'),
      t.timer,
    );
    expect(log).toEqual(['work']);
  });

  it('waits out the quiet time, and longer when input comes during the wait', () => {
    const t = handTimer();
    let last = 0;
    const log: string[] = [];
    whenQuiet(
      () => last,
      120,
      () => log.push('work'),
      t.timer,
    );
    t.advance(100);
    last = 100; // a wheel
    t.advance(20);
    expect(log).toEqual([]);
    t.advance(99);
    expect(log).toEqual([]);
    t.advance(1);
    expect(log).toEqual(['work']);
  });
});
