import { describe, expect, it } from 'vitest';
import { LEASE_ITEM_LINGER_MS } from '../../../lib/removal/lease/group-lease.ts';
import { CLOCK_SKEW_MARGIN_MS, planStillGood } from '../../../lib/removal/lease/plan-still-good.ts';

const NOW = Date.UTC(2026, 0, 1, 12);
const LISTED = NOW - 60_000;
const lease = { groupKey: 'p/g', owner: 'sweep:me', expiresAtMs: NOW + 1, fence: 2 };
const heldUntil = (heldUntilMs: number) =>
  ({ held: true, lease, previous: { owner: 'remediate:other', heldUntilMs } }) as const;

describe('planStillGood', () => {
  it.each([
    [
      'held until well before the listing began',
      heldUntil(LISTED - CLOCK_SKEW_MARGIN_MS - 1),
      true,
    ],
    [
      'held until within the clock-skew margin of it',
      heldUntil(LISTED - CLOCK_SKEW_MARGIN_MS),
      false,
    ],
    ['held while the listing ran', heldUntil(LISTED + 1), false],
    ['held since (released just now)', heldUntil(NOW), false],
    ['a malformed item (no time)', heldUntil(Number.NaN), false],
  ])('a group %s: %s', (_, hold, good) => {
    expect(planStillGood(hold, LISTED, NOW)).toBe(good);
  });

  it('takes a group with no lease item as not held for the linger period', () => {
    const none = { held: true, lease, previous: undefined } as const;
    expect(planStillGood(none, LISTED, NOW)).toBe(true);
    // A plan older than that is read again: the item may have been deleted since.
    const old = NOW - LEASE_ITEM_LINGER_MS + CLOCK_SKEW_MARGIN_MS;
    expect(planStillGood(none, old, NOW)).toBe(false);
    expect(planStillGood(none, old + 1, NOW)).toBe(true);
  });

  it('re-plans whenever nothing is known: no drain table, no listing time', () => {
    expect(planStillGood({ held: true, lease: undefined, previous: 'unknown' }, LISTED, NOW)).toBe(
      false,
    );
    expect(planStillGood(heldUntil(0), undefined, NOW)).toBe(false);
  });
});
