import { describe, expect, it } from 'vitest';
import { FREED_HOURS_PER_REMOVAL, HOURS_PER_MONTH, savingsOf } from '../../lib/savings.ts';

describe('savingsOf', () => {
  it('counts server-hours freed without a price table and estimates no saving', () => {
    expect(savingsOf([{ flavorId: 'a' }, {}], undefined)).toEqual({
      serverHoursFreed: 2 * FREED_HOURS_PER_REMOVAL,
      estimatedMonthlySaving: undefined,
      unpricedFlavors: [],
    });
  });

  it('prices each removed server by flavor and lists the flavors without a price', () => {
    const saving = savingsOf(
      [
        { flavorId: 'large' },
        { flavorId: 'large' },
        { flavorId: 'small' },
        { flavorId: 'gpu' },
        {},
      ],
      { large: 0.5, small: 0.1 },
    );
    expect(saving.estimatedMonthlySaving).toBe(Math.round(1.1 * HOURS_PER_MONTH * 100) / 100);
    expect(saving.unpricedFlavors).toEqual(['(unknown flavor)', 'gpu']);
    expect(saving.serverHoursFreed).toBe(5 * FREED_HOURS_PER_REMOVAL);
  });

  it('does not price a flavor named like an Object prototype key', () => {
    expect(savingsOf([{ flavorId: 'constructor' }], {}).estimatedMonthlySaving).toBe(0);
  });
});
