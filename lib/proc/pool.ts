// A bounded pool of async tasks: the lab's CNI ADDs, the checks of `podnet check`, the
// agent's kernel lookups, the matrix's pings. Pure (no I/O of its own).
/** Runs tasks with at most `limit` at once; resolves with every result in input order. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
