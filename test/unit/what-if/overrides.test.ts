import { describe, expect, it } from 'vitest';
import { parseWhatIf, WhatIfSyntaxError } from '../../../lib/what-if/overrides.ts';

describe('parseWhatIf', () => {
  it('reads every key into its override', () => {
    expect(parseWhatIf(' shrink=15, threshold=70,min=2,maxPerGroup=3,maxPerSweep=40 ')).toEqual({
      label: 'shrink=15, threshold=70,min=2,maxPerGroup=3,maxPerSweep=40',
      overrides: {
        shrinkMinutes: 15,
        thresholdPercent: 70,
        minServersPerGroup: 2,
        maxRemovalsPerGroup: 3,
        maxRemovalsPerSweep: 40,
      },
    });
  });

  it.each([
    ['', /empty set/],
    ['shrnk=15', /unknown key "shrnk"; known: shrink, threshold, min, maxPerGroup, maxPerSweep/],
    ['shrink=4', /shrink must be 5–120 .*got 4/],
    ['shrink=121', /shrink must be 5–120/],
    ['threshold=0', /threshold must be 1–100/],
    ['threshold=101', /threshold must be 1–100/],
    ['min=-1', /min must be a whole number/],
    ['min=1.5', /min must be a whole number .*"1.5"/],
    ['min', /min must be a whole number .*""/],
    ['min=2,min=3', /min is given twice/],
    ['toString=1', /unknown key "toString"/],
    ['shrink=15,', /unknown key ""/],
  ])('rejects %j naming the key', (text, message) => {
    expect(() => parseWhatIf(text)).toThrow(WhatIfSyntaxError);
    expect(() => parseWhatIf(text)).toThrow(message);
  });
});
