// A synchronous pause. The lock's wait loop runs inside CNI verbs, which are synchronous
// from start to end (a plugin process, or one of the agent's verb threads); the lab and
// `podnet up` use it for short polls outside any event loop work.
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds (nothing ever notifies `sleeper`). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
