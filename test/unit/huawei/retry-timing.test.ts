import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../../lib/huawei/retry-timing.ts';

const T0 = 1_700_000_000_000;
const TIMING = { baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 60_000 };

describe('parseRetryAfter', () => {
  it('parses Retry-After forms', () => {
    expect(parseRetryAfter('2', T0)).toBe(2_000);
    expect(parseRetryAfter(' 1.5 ', T0)).toBe(1_500);
    expect(parseRetryAfter(new Date(T0 - 5_000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter('soon', T0)).toBeUndefined();
    expect(parseRetryAfter(null, T0)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles the full-jitter ceiling per attempt up to maxDelayMs', () => {
    const top = { ...TIMING, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(undefined, n, top))).toEqual([
      199, 399, 799, 1_599, 3_199, 4_999, 4_999,
    ]);
    expect(backoffDelay(undefined, 3, { ...TIMING, random: () => 0 })).toBe(0);
  });

  it('waits at least Retry-After, at most a fifth (capped at 1 s) more', () => {
    expect(backoffDelay(2_000, 1, { ...TIMING, random: () => 0 })).toBe(2_000);
    expect(backoffDelay(2_000, 1, { ...TIMING, random: () => 0.999999 })).toBe(2_399);
    expect(backoffDelay(30_000, 1, { ...TIMING, random: () => 0.999999 })).toBe(30_999);
  });

  it('gives up when Retry-After exceeds maxRetryAfterMs', () => {
    expect(backoffDelay(60_001, 1, { ...TIMING, random: () => 0 })).toBeUndefined();
    expect(backoffDelay(60_000, 1, { ...TIMING, random: () => 0 })).toBe(60_000);
  });
});
