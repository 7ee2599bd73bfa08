/** A virtual clock: `sleep` resolves only when `runUntil` moves time past it. */
export interface ManualClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Every `sleep` duration asked for, in order. */
  sleeps: number[];
  /**
   * Moves time from timer to timer until `done` settles, letting pending
   * promise callbacks run between steps; throws if nothing is left to wake.
   */
  runUntil<T>(done: Promise<T>): Promise<T>;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Creates a {@link ManualClock} starting at `start` epoch ms. */
export function createManualClock(start = 0): ManualClock {
  let time = start;
  const timers: { at: number; seq: number; wake: () => void }[] = [];
  const sleeps: number[] = [];
  let seq = 0;
  return {
    now: () => time,
    sleeps,
    sleep(ms) {
      sleeps.push(ms);
      return new Promise((resolve) => {
        timers.push({ at: time + Math.max(0, ms), seq: seq++, wake: resolve });
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      });
    },
    async runUntil(done) {
      let settled = false;
      done.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      for (;;) {
        await flush();
        if (settled) return done;
        const next = timers.shift();
        if (next === undefined) throw new Error('manual clock: nothing left to wake');
        time = Math.max(time, next.at);
        next.wake();
      }
    },
  };
}
