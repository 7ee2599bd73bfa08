/** Waits `ms` milliseconds (negative waits return on the next turn). */
export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Caps the requests in flight and their start rate; share one per invocation. */
export interface RequestLimiter {
  /** Runs `fn` once a concurrency slot and a rate token are free; the slot is held until it settles. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export interface RequestLimiterOptions {
  /** Requests in flight at once; `Infinity` for no cap. */
  maxConcurrency: number;
  /** Request starts per second; 0 = unlimited. */
  rateLimitRps: number;
  /** Starts allowed back to back before the rate applies; default 1 (evenly spaced). */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A limiter combining a FIFO concurrency cap with a token bucket (GCRA) on
 * request starts: with burst `b` and rate `r`, at most `b + r·t` requests
 * start in any window of `t` seconds.
 */
export function createRequestLimiter(options: RequestLimiterOptions): RequestLimiter {
  const { maxConcurrency, rateLimitRps } = options;
  const burst = options.burst ?? 1;
  if (!(maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be at least 1');
  if (!(rateLimitRps >= 0) || !Number.isFinite(rateLimitRps)) {
    throw new RangeError('rateLimitRps must be a finite number >= 0');
  }
  if (!(burst >= 1) || !Number.isInteger(burst))
    throw new RangeError('burst must be an integer >= 1');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const interval = rateLimitRps > 0 ? 1000 / rateLimitRps : 0;
  const tolerance = (burst - 1) * interval;
  let theoreticalArrival = Number.NEGATIVE_INFINITY;
  let active = 0;
  const waiting: (() => void)[] = [];

  const acquireSlot = async (): Promise<void> => {
    if (active < maxConcurrency) {
      active += 1;
      return;
    }
    // The releasing caller hands its slot over, so `active` stays unchanged.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const releaseSlot = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  const awaitToken = async (): Promise<void> => {
    if (interval === 0) return;
    const t = now();
    // Reserve a start time synchronously so concurrent callers never share one.
    const startAt = Math.max(t, theoreticalArrival - tolerance);
    theoreticalArrival = Math.max(theoreticalArrival, t) + interval;
    if (startAt > t) await sleep(startAt - t);
  };

  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      await acquireSlot();
      try {
        await awaitToken();
        return await fn();
      } finally {
        releaseSlot();
      }
    },
  };
}
