import { describe, expect, it } from 'vitest';
import { createRequestLimiter } from '../../../lib/huawei/request-limiter.ts';
import { createManualClock } from '../../helpers/manual-clock.ts';

const T0 = 1_700_000_000_000;

describe('createRequestLimiter', () => {
  it('caps the requests in flight and starts waiters in order', async () => {
    const limiter = createRequestLimiter({ maxConcurrency: 3, rateLimitRps: 0 });
    let active = 0;
    let maxActive = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const runs = Array.from({ length: 10 }, (_, i) =>
      limiter.run(async () => {
        started.push(i);
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((resolve) => gates.push(resolve));
        active -= 1;
        return i;
      }),
    );
    const flush = () => new Promise((resolve) => setImmediate(resolve));
    await flush();
    expect(started).toEqual([0, 1, 2]);
    while (gates.length > 0) {
      gates.shift()?.();
      await flush();
    }
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxActive).toBe(3);
  });

  it('frees the slot of a task that fails', async () => {
    const limiter = createRequestLimiter({ maxConcurrency: 1, rateLimitRps: 0 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });

  it('spaces request starts at the rate limit', async () => {
    const clock = createManualClock(T0);
    const limiter = createRequestLimiter({
      maxConcurrency: 100,
      rateLimitRps: 10,
      now: clock.now,
      sleep: clock.sleep,
    });
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 25 }, () => limiter.run(async () => starts.push(clock.now() - T0))),
    );
    await clock.runUntil(all);
    expect(starts).toEqual(Array.from({ length: 25 }, (_, i) => i * 100));
  });

  it('allows a burst, then holds every window to burst + rate', async () => {
    const clock = createManualClock(T0);
    const limiter = createRequestLimiter({
      maxConcurrency: 4,
      rateLimitRps: 20,
      burst: 5,
      now: clock.now,
      sleep: clock.sleep,
    });
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 60 }, () =>
        limiter.run(async () => {
          starts.push(clock.now() - T0);
          await clock.sleep(30);
        }),
      ),
    );
    await clock.runUntil(all);
    expect(starts.slice(0, 4)).toEqual([0, 0, 0, 0]);
    for (const from of starts) {
      const inWindow = starts.filter((t) => t >= from && t < from + 1_000).length;
      expect(inWindow).toBeLessThanOrEqual(5 + 20);
    }
    expect(starts.at(-1)).toBeGreaterThanOrEqual(((60 - 5) * 1_000) / 20);
  });

  it('starts at once when the rate is unlimited', async () => {
    const clock = createManualClock(T0);
    const limiter = createRequestLimiter({
      maxConcurrency: 5,
      rateLimitRps: 0,
      now: clock.now,
      sleep: clock.sleep,
    });
    await Promise.all(Array.from({ length: 20 }, () => limiter.run(async () => 1)));
    expect(clock.sleeps).toEqual([]);
  });

  it('rejects nonsense limits', () => {
    expect(() => createRequestLimiter({ maxConcurrency: 0, rateLimitRps: 1 })).toThrow(RangeError);
    expect(() => createRequestLimiter({ maxConcurrency: 1, rateLimitRps: -1 })).toThrow(RangeError);
  });
});
