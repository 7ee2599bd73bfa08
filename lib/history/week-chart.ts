import { type HistorySample, hourOfWeek, serversFilled } from './sample.ts';

const HOUR_MS = 3_600_000;
/** Hours charted: the last week, both ends included. */
export const CHART_HOURS = 169;

/**
 * One group's last week, hour by hour, as the history page draws it: the
 * most servers in service and filled in the hour, the highest floor in
 * force, the removals, and the learned need of the hour. `null`: no sweep
 * saw the group in that hour (or it has no learned need yet).
 */
export interface WeekChart {
  id: string;
  name: string;
  /** Epoch ms of the first hour. */
  from: number;
  inService: (number | null)[];
  filled: (number | null)[];
  floor: (number | null)[];
  need: (number | null)[];
  removals: number[];
  /** Whether the group has learned needs (two weeks of history or more). */
  learned: boolean;
}

interface Buckets {
  name: string;
  inService: Int32Array;
  filled: Int32Array;
  floor: Int32Array;
  removals: Int32Array;
}

/**
 * Folds samples, as they are read, into each group's hourly week (memory
 * grows with groups, not with samples: 4 × 169 integers a group).
 */
export class WeekCharts {
  private readonly groups = new Map<string, Buckets>();
  /** The first hour charted, epoch ms. */
  readonly from: number;

  /** Charts the week that ends at `now` (epoch ms). */
  constructor(now: number) {
    this.from = (Math.floor(now / HOUR_MS) - (CHART_HOURS - 1)) * HOUR_MS;
  }

  /** Folds samples in; one outside the charted week is left out. */
  add(samples: Iterable<HistorySample>): void {
    // One sweep's samples share their instant: parse each distinct one once.
    let t = '';
    let at = Number.NaN;
    for (const s of samples) {
      if (s.t !== t) {
        t = s.t;
        at = Date.parse(t);
      }
      const i = Math.floor((at - this.from) / HOUR_MS);
      if (i < 0 || i >= CHART_HOURS) continue;
      const b = this.bucketsOf(s.group, s.name);
      b.inService[i] = Math.max(b.inService[i] ?? -1, s.inService);
      b.filled[i] = Math.max(b.filled[i] ?? -1, serversFilled(s));
      b.floor[i] = Math.max(b.floor[i] ?? -1, s.floor ?? -1);
      b.removals[i] = (b.removals[i] ?? 0) + s.removals;
    }
  }

  private bucketsOf(group: string, name: string): Buckets {
    let b = this.groups.get(group);
    if (b === undefined) {
      const none = () => new Int32Array(CHART_HOURS).fill(-1);
      b = {
        name,
        inService: none(),
        filled: none(),
        floor: none(),
        removals: new Int32Array(CHART_HOURS),
      };
      this.groups.set(group, b);
    }
    return b;
  }

  /**
   * The chart of `group` (named `name` unless the history names it), with
   * the learned needs read on the group's wall clock.
   */
  chartOf(
    group: string,
    name: string,
    learned?: { needs: readonly number[]; timeZone: string } | undefined,
  ): WeekChart {
    const b = this.groups.get(group);
    const seen = (values: Int32Array | undefined) =>
      Array.from({ length: CHART_HOURS }, (_, i) => {
        const v = values?.[i] ?? -1;
        return v < 0 ? null : v;
      });
    return {
      id: group,
      name: name || b?.name || '',
      from: this.from,
      inService: seen(b?.inService),
      filled: seen(b?.filled),
      floor: seen(b?.floor),
      need: Array.from({ length: CHART_HOURS }, (_, i) =>
        learned === undefined
          ? null
          : (learned.needs[hourOfWeek(this.from + i * HOUR_MS, learned.timeZone).slot] ?? null),
      ),
      removals: Array.from(b?.removals ?? new Int32Array(CHART_HOURS)),
      learned: learned !== undefined,
    };
  }
}

/**
 * A series as runs, `[value, count, value, count, …]`: a week of a steady
 * floor is two numbers (the page decodes them: lib/history/page.ts `decodeRuns`).
 */
export function encodeRuns(values: readonly (number | null)[]): (number | null)[] {
  const runs: (number | null)[] = [];
  for (const v of values) {
    const n = runs.length;
    if (n > 0 && runs[n - 2] === v) runs[n - 1] = (runs[n - 1] as number) + 1;
    else runs.push(v, 1);
  }
  return runs;
}
