/**
 * Interleaves several async iterables, yielding each item as soon as its source produces it
 * (khatru's concurrent filters). Each source has at most one pending `next()`, so a slow
 * consumer slows every source down instead of letting them buffer without bound.
 */
export async function* mergeAsync<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) => {
    const it = iterators[index]!;
    pending.set(
      index,
      it.next().then((result) => ({ index, result })),
    );
  };
  for (let i = 0; i < iterators.length; i++) pull(i);
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pull(index);
      yield result.value;
    }
  } finally {
    // Stop the sources that are still running (consumer aborted or threw).
    await Promise.allSettled([...pending.keys()].map((i) => iterators[i]!.return?.()));
  }
}
