import { describe, expect, it } from 'vitest';
import {
  idealSweepMs,
  median,
  minimumSweepRequests,
  pagesFor,
  sweepDepth,
  throttleUse,
} from '../../../bench/lib/ideal.ts';
import { describeTarget, meets } from '../../../bench/lib/lines.ts';

describe('pagesFor', () => {
  it.each([
    [0, 1],
    [1, 1],
    [99, 1],
    [100, 1],
    [101, 2],
    [200, 2],
    [201, 3],
  ])('needs %i items → %i page(s) of 100', (count, pages) => {
    expect(pagesFor(count)).toBe(pages);
  });

  it('honours another page size', () => {
    expect(pagesFor(25, 10)).toBe(3);
  });

  it('refuses counts and page sizes that are not whole numbers', () => {
    expect(() => pagesFor(-1)).toThrow(RangeError);
    expect(() => pagesFor(1.5)).toThrow(RangeError);
    expect(() => pagesFor(10, 0)).toThrow(RangeError);
  });
});

describe('minimumSweepRequests', () => {
  it('adds group pages, each group’s listing pages and two calls per removal', () => {
    const groups = [
      { servers: 20, sessions: 32 },
      { servers: 0, sessions: 0 },
      { servers: 150, sessions: 250 },
    ];
    const minimum = minimumSweepRequests({ groups, removals: 4 });
    expect(minimum).toEqual({
      groupPages: 1,
      serverPages: 1 + 1 + 2,
      sessionPages: 1 + 1 + 3,
      rereads: 4,
      removes: 4,
      total: 1 + 4 + 5 + 8,
      maxGroupListingPages: 3,
    });
  });

  it('counts one page of groups per 100 groups', () => {
    const groups = Array.from({ length: 1_000 }, () => ({ servers: 20, sessions: 30 }));
    const minimum = minimumSweepRequests({ groups, removals: 0 });
    expect(minimum.groupPages).toBe(10);
    expect(minimum.total).toBe(10 + 1_000 + 1_000);
  });

  it('still asks once for an empty fleet', () => {
    expect(minimumSweepRequests({ groups: [], removals: 0 }).total).toBe(1);
  });
});

describe('sweepDepth', () => {
  it('chains the group pages, one group’s listing pages and a re-read before a remove', () => {
    expect(sweepDepth({ groupPages: 10, maxGroupListingPages: 2, removes: true })).toBe(14);
    expect(sweepDepth({ groupPages: 10, maxGroupListingPages: 2, removes: false })).toBe(12);
  });
});

describe('idealSweepMs', () => {
  it('is bound by the request volume when the chain is short', () => {
    expect(idealSweepMs({ requests: 1_600, depth: 14, latencyMs: 20, concurrency: 16 })).toBe(
      2_000,
    );
  });

  it('is bound by the chain when requests are few', () => {
    expect(idealSweepMs({ requests: 20, depth: 14, latencyMs: 20, concurrency: 16 })).toBe(280);
  });

  it('refuses a concurrency below one', () => {
    expect(() => idealSweepMs({ requests: 1, depth: 1, latencyMs: 1, concurrency: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('throttleUse', () => {
  it('is 1 when every token of the bucket was used', () => {
    expect(throttleUse({ accepted: 1_050, spanSeconds: 20, ratePerSecond: 50, burst: 50 })).toBe(1);
  });

  it('counts the burst as part of the allowance', () => {
    expect(throttleUse({ accepted: 50, spanSeconds: 0, ratePerSecond: 50, burst: 50 })).toBe(1);
    expect(throttleUse({ accepted: 525, spanSeconds: 20, ratePerSecond: 50, burst: 50 })).toBe(0.5);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses an empty sample', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('meets', () => {
  it.each([
    [1.25, { op: '<=', value: 1.25 }, true],
    [1.26, { op: '<=', value: 1.25 }, false],
    [200, { op: '<', value: 200 }, false],
    [0.9, { op: '>=', value: 0.9 }, true],
    [1, { op: '==', value: 1 }, true],
    [1.0001, { op: '==', value: 1 }, false],
    [Number.NaN, { op: '<=', value: 1 }, false],
  ] as const)('%d against %o → %s', (value, target, expected) => {
    expect(meets(value, target)).toBe(expected);
  });

  it('reads targets the way the table prints them', () => {
    expect(describeTarget({ op: '>=', value: 2_000, unit: 'req/s' })).toBe('≥ 2000 req/s');
  });
});
