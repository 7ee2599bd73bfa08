import { describe, expect, it } from 'vitest';
import { lineKey, withSpread } from '../../../bench/lib/history.ts';
import { type BenchLine, line, metCell } from '../../../bench/lib/lines.ts';

const ratio = (value: number): BenchLine =>
  line({
    name: 'x',
    inputs: 'y',
    value,
    unit: 'ratio',
    shown: String(value),
    target: { op: '<=', value: 1.25 },
  });
const run = (value: number) => ({
  timestamp: 't',
  commit: 'c',
  clean: true,
  values: { [lineKey(ratio(0))]: value },
});

describe('withSpread', () => {
  it('reports a line whose target lies inside its history’s spread as within it, not as met', () => {
    const [l] = withSpread([ratio(1.22)], [run(1.3), run(1.22)]);
    expect(l?.spread).toEqual({ min: 1.22, max: 1.3, runs: 2 });
    expect(metCell(l as BenchLine)).toBe('within spread (1.22–1.3 over 2 runs; met this run)');
  });

  it('leaves a line clear of its spread met or missed', () => {
    expect(withSpread([ratio(1.0)], [run(1.1), run(1.0)])[0]?.spread).toBeUndefined();
    expect(metCell(withSpread([ratio(1.0)], [run(1.0)])[0] as BenchLine)).toBe('yes');
    expect(metCell(ratio(1.4))).toBe('**no**');
  });

  it('compares only runs of the same name and inputs', () => {
    const other = { timestamp: 't', commit: 'c', clean: true, values: { 'x | other inputs': 1.3 } };
    expect(withSpread([ratio(1.22)], [other, run(1.22)])[0]?.spread).toBeUndefined();
  });
});
