import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_SECONDS, durationLine } from '../../../bench/lib/duration-line.ts';

describe('durationLine', () => {
  const parts = { 'sweep, API economy, throttling': 181.2, memory: 240 };
  const load = { before: 0.4, after: 1.8 };

  it('is met by a default run of at most 15 minutes and names each part and the load', () => {
    const l = durationLine(DEFAULT_RUN_SECONDS, parts, load);
    expect(l.met).toBe(true);
    expect(l.shown).toBe('15.0 min (sweep, API economy, throttling 181.2 s, memory 240.0 s)');
    expect(l.inputs).toContain('0.40 at the start and 1.80 at the end');
  });

  it('is missed by a longer one', () => {
    expect(durationLine(DEFAULT_RUN_SECONDS + 0.1, parts, load).met).toBe(false);
  });
});
