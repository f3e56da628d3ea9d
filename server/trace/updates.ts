// A job that reports progress through a callback, as an async iterator a subscription can
// yield from: every update in order, then the end (or the job's error). Updates that come
// faster than the client reads are coalesced to the newest, since each one is whole.
export async function* updatesOf<T>(
  job: (update: (value: T) => void) => Promise<unknown>,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  let latest: { value: T } | null = null;
  let finished = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  job((value) => {
    latest = { value };
    poke();
  }).then(
    () => {
      finished = true;
      poke();
    },
    (e: unknown) => {
      failure = e ?? new Error('failed');
      finished = true;
      poke();
    },
  );
  signal?.addEventListener('abort', poke);
  try {
    while (!signal?.aborted) {
      if (latest) {
        const { value } = latest as { value: T };
        latest = null;
        yield value;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
    }
    if (failure) throw failure;
  } finally {
    signal?.removeEventListener('abort', poke);
  }
}
