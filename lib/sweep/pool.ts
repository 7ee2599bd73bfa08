/**
 * Runs `worker` over every item of `source` (sync or async iterable) with at
 * most `concurrency` in flight, pulling items lazily so a streamed listing
 * is never held in memory whole. Before taking each item it asks
 * `shouldStart()`; once that says false no new item is started and the
 * items not started are handed to `onSkipped`. Rejections of `worker`
 * propagate after the in-flight items settle; iteration errors propagate too.
 */
export async function forEachConcurrent<T>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
  options: { shouldStart?: () => boolean; onSkipped?: (item: T) => void } = {},
): Promise<void> {
  const { shouldStart = () => true, onSkipped } = options;
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  let stopped = false;
  let failure: { error: unknown } | undefined;

  // One shared iterator pulled by `concurrency` lanes: next() calls are
  // serialised through `pulling` because async generators must not be
  // re-entered.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = pulling.then(() => iterator.next());
    pulling = result.catch(() => undefined);
    return result;
  };

  const lane = async (): Promise<void> => {
    while (failure === undefined) {
      const result = await next();
      if (result.done) return;
      if (stopped || !shouldStart()) {
        stopped = true;
        onSkipped?.(result.value);
        continue;
      }
      try {
        await worker(result.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };

  const lanes = Array.from({ length: Math.max(1, Math.floor(concurrency)) }, lane);
  const settled = await Promise.allSettled(lanes);
  const iterationError = settled.find((s) => s.status === 'rejected');
  if (failure !== undefined) throw failure.error;
  if (iterationError !== undefined) throw (iterationError as PromiseRejectedResult).reason;
}
