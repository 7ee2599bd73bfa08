import { type BenchLine, fmt, line } from './lines.ts';

/** The most a default `npm run bench` may take on the 2-core machine (issue 31), s. */
export const DEFAULT_RUN_SECONDS = 900;

/**
 * The run's own length as a line (a default run only: `--large` adds the
 * fanout at 10,000 groups and the largest-fleet search, and an `--only` or
 * `--quick` run is not the whole): its wall time against 15 minutes, each
 * part's seconds and the machine's 1-minute load average before and after,
 * since on a shared machine the load, not the code, may be what ran long.
 */
export function durationLine(
  durationSeconds: number,
  parts: Readonly<Record<string, number>>,
  load: { before: number; after: number },
): BenchLine {
  const each = Object.entries(parts)
    .map(([name, s]) => `${name} ${fmt(s, 1)} s`)
    .join(', ');
  return line({
    name: 'bench run length: a default npm run bench, wall time',
    inputs: `every line above at the default sizes (larger ones behind --large); the 1-minute load average was ${fmt(load.before, 2)} at the start and ${fmt(load.after, 2)} at the end`,
    value: durationSeconds,
    unit: 's',
    shown: `${fmt(durationSeconds / 60, 1)} min (${each})`,
    target: { op: '<=', value: DEFAULT_RUN_SECONDS, unit: 's' },
  });
}
