import { describe, expect, it } from 'vitest';
import {
  idealSweepMs,
  median,
  minimumSweepRequests,
  pagesFor,
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
  it('adds group pages, the listing pages each group needs and two calls per removal', () => {
    const groups = [
      { servers: 20, sessions: 32, removals: 3 },
      { servers: 0, sessions: 0, removals: 0 },
      { servers: 150, sessions: 250, removals: 1 },
    ];
    const minimum = minimumSweepRequests({ groups });
    expect(minimum).toEqual({
      groupPages: 1,
      serverPages: 1 + 1 + 2,
      sessionPages: 1 + 1 + 3,
      rereads: 4,
      removes: 4,
      ecsListPages: 0,
      groupRereads: 0,
      maintenanceOn: 0,
      maintenanceLift: 0,
      total: 1 + 4 + 5 + 8,
      maxGroupListingPages: 3,
      maxGroupRemovals: 3,
    });
  });

  it('lists nothing for a group its record skips, and no sessions for one over its threshold', () => {
    const minimum = minimumSweepRequests({
      groups: [
        { servers: null, sessions: null, removals: 0 },
        { servers: 120, sessions: null, removals: 0 },
      ],
    });
    expect(minimum.serverPages).toBe(2);
    expect(minimum.sessionPages).toBe(0);
    expect(minimum.total).toBe(1 + 2);
  });

  it('counts one page of groups per 100 groups', () => {
    const groups = Array.from({ length: 1_000 }, () => ({
      servers: 20,
      sessions: 30,
      removals: 0,
    }));
    const minimum = minimumSweepRequests({ groups });
    expect(minimum.groupPages).toBe(10);
    expect(minimum.total).toBe(10 + 1_000 + 1_000);
  });

  it('counts one ECS listing (pages of 100) when anything is removed, and each remove_member call', () => {
    const groups = [
      { servers: 20, sessions: 32, removals: 3, removeCalls: 2 },
      { servers: 10, sessions: 0, removals: 1, removeCalls: 2 },
    ];
    const minimum = minimumSweepRequests({ groups, ecsGroups: 250 });
    expect(minimum).toMatchObject({ rereads: 4, removes: 4, ecsListPages: 3 });
    expect(minimum.total).toBe(1 + 2 + 2 + 4 + 4 + 3);
    const none = minimumSweepRequests({
      groups: [{ servers: 5, sessions: 0, removals: 0, removeCalls: 0 }],
      ecsGroups: 250,
    });
    expect(none.ecsListPages).toBe(0);
    expect(minimumSweepRequests({ groups, ecsGroups: 0 }).ecsListPages).toBe(1);
  });

  it('with a drain: the re-check reads each acting group 3 times, ⌈n ÷ 20⌉ maintenance calls for the project, lifts per group when asked', () => {
    const groups = [
      { servers: 30, sessions: 0, removals: 25, removeCalls: 25, drained: 21 },
      { servers: 10, sessions: 0, removals: 2, removeCalls: 0, drained: 0 },
      { servers: 10, sessions: 0, removals: 3, removeCalls: 3, drained: 3 },
      { servers: 10, sessions: 0, removals: 0 },
    ];
    const lifted = minimumSweepRequests({ groups, drain: { lift: true } });
    // 24 drained servers in two groups: 2 calls for the project into maintenance,
    // lifted per group as each group settles (⌈21 ÷ 20⌉ + ⌈3 ÷ 20⌉ = 3); only the
    // 24 servers that reach a removal are re-read (the 2 refused ones are not).
    expect(lifted).toMatchObject({
      rereads: 24,
      groupRereads: 6,
      maintenanceOn: 2,
      maintenanceLift: 3,
    });
    expect(lifted.total).toBe(1 + 4 + 4 + 24 + 28 + 6 + 2 + 3);
    const released = minimumSweepRequests({ groups, drain: { lift: false } });
    expect(released).toMatchObject({ groupRereads: 6, maintenanceOn: 2, maintenanceLift: 0 });
    expect(minimumSweepRequests({ groups }).maintenanceOn).toBe(0);
  });

  it('still asks once for an empty fleet', () => {
    expect(minimumSweepRequests({ groups: [] }).total).toBe(1);
  });
});

describe('idealSweepMs', () => {
  const minimum = (groups: { servers: number; sessions: number; removals: number }[]) =>
    minimumSweepRequests({ groups });

  it('adds the acting phase after the evaluating one (the barrier), each bound by volume or chain', () => {
    // 800 groups of 1 page each: 8 + 800 + 800 = 1,608 listing requests; 2 × 400 removals.
    const m = minimum(
      Array.from({ length: 800 }, (_, i) => ({ servers: 20, sessions: 30, removals: i % 2 })),
    );
    const ideal = idealSweepMs({ minimum: m, latencyMs: 20, concurrency: 16 });
    expect(ideal.evaluateMs).toBe((1_608 * 20) / 16);
    expect(ideal.actMs).toBe((800 * 20) / 16);
    expect(ideal.drainMs).toBe(0);
    expect(ideal.totalMs).toBe(ideal.evaluateMs + ideal.actMs);
  });

  it('puts the maintenance calls and the drain period between evaluating and acting', () => {
    const m = minimumSweepRequests({
      groups: [{ servers: 20, sessions: 30, removals: 10, drained: 10 }],
      drain: { lift: true },
    });
    const ideal = idealSweepMs({ minimum: m, latencyMs: 20, concurrency: 16, drainSeconds: 10 });
    expect(ideal.drainMs).toBe(20 + 10_000);
    // 10 re-reads + 10 removals + 1 group re-read + 1 lift through 16 slots, but the chain is 20 long.
    expect(ideal.actMs).toBe(400);
    expect(ideal.totalMs).toBe(40 + 10_020 + 400);
  });

  it('runs one group’s removals one after another: its chain is a re-read and a remove per server', () => {
    const m = minimum([{ servers: 20, sessions: 30, removals: 10 }]);
    const ideal = idealSweepMs({ minimum: m, latencyMs: 20, concurrency: 16 });
    expect(ideal.depth).toEqual({ evaluate: 2, act: 20 });
    expect(ideal.evaluateMs).toBe(40);
    expect(ideal.actMs).toBe(400);
  });

  it('has no acting phase without removals', () => {
    const m = minimum([{ servers: 20, sessions: 30, removals: 0 }]);
    expect(idealSweepMs({ minimum: m, latencyMs: 20, concurrency: 16 }).actMs).toBe(0);
  });

  it('refuses a concurrency below one', () => {
    const m = minimum([]);
    expect(() => idealSweepMs({ minimum: m, latencyMs: 1, concurrency: 0 })).toThrow(RangeError);
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
