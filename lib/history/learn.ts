import { type HistorySample, hourOfWeek, serversFilled, WEEK_HOURS } from './sample.ts';

/** How needs are learned: the percentile of weekly peaks, the headroom, the weeks required. */
export interface LearnOptions {
  /** The wall clock a group's hours of the week are read on (its schedule's IANA zone). */
  timeZoneOf: (group: string) => string;
  /** Nearest-rank percentile of each hour's weekly peaks, 1–100 (default 90). */
  percentile?: number;
  /** Added on top, as a fraction rounded to the nearest server, halves up (default 0.1: 4 → 4, 5 → 6, 10 → 11). */
  headroom?: number;
  /** Fewer distinct weeks than this and a group gets no needs (default 2). */
  minWeeks?: number;
  /** Local dates to leave out of a group's history (its schedule's holidays). */
  holidaysOf?: (group: string) => ReadonlySet<string> | undefined;
}

/** What history says one group needs in each hour of the week. */
export interface LearnedGroup {
  group: string;
  name: string;
  /** Distinct weeks seen. */
  weeks: number;
  /** Per slot (Mon 00:00 = 0): the percentile of the weekly peaks of servers filled; -1 never seen. */
  peaks: number[];
  /** Per slot: the floor the hour needs, the peak plus headroom; 0 never seen. */
  needs: number[];
  /** Per slot: weeks whose peak reached `peaks`, and weeks seen, for the evidence lines. */
  atPeak: number[];
  seen: number[];
}

/** Per group, per week (its local Monday), per slot: the most servers filled. */
export class PeakTable {
  private readonly groups = new Map<string, { name: string; weeks: Map<string, Int32Array> }>();

  constructor(private readonly options: Pick<LearnOptions, 'timeZoneOf' | 'holidaysOf'>) {}

  /** Folds samples in; a sample on one of its group's holidays is left out. */
  add(samples: Iterable<HistorySample>): void {
    for (const sample of samples) {
      const { slot, date } = hourOfWeek(
        Date.parse(sample.t),
        this.options.timeZoneOf(sample.group),
      );
      if (this.options.holidaysOf?.(sample.group)?.has(date) === true) continue;
      let entry = this.groups.get(sample.group);
      if (entry === undefined) {
        entry = { name: sample.name, weeks: new Map() };
        this.groups.set(sample.group, entry);
      }
      const week = mondayOf(date, Math.floor(slot / 24));
      let peaks = entry.weeks.get(week);
      if (peaks === undefined) {
        peaks = new Int32Array(WEEK_HOURS).fill(-1);
        entry.weeks.set(week, peaks);
      }
      peaks[slot] = Math.max(peaks[slot] ?? -1, serversFilled(sample));
    }
  }

  /** Each group with at least `minWeeks` weeks of history, with its needs. */
  learn(options: Omit<LearnOptions, 'timeZoneOf' | 'holidaysOf'> = {}): LearnedGroup[] {
    const percentile = options.percentile ?? 90;
    const headroom = options.headroom ?? 0.1;
    const learned: LearnedGroup[] = [];
    for (const [group, entry] of this.groups) {
      if (entry.weeks.size < (options.minWeeks ?? 2)) continue;
      const result: LearnedGroup = {
        group,
        name: entry.name,
        weeks: entry.weeks.size,
        peaks: [],
        needs: [],
        atPeak: [],
        seen: [],
      };
      for (let slot = 0; slot < WEEK_HOURS; slot++) {
        const values = [...entry.weeks.values()]
          .map((peaks) => peaks[slot] ?? -1)
          .filter((v) => v >= 0)
          .sort((a, b) => a - b);
        const peak = nearestRank(values, percentile);
        result.peaks.push(peak);
        result.needs.push(peak < 0 ? 0 : peak + Math.round(peak * headroom));
        result.atPeak.push(values.filter((v) => v >= peak).length);
        result.seen.push(values.length);
      }
      learned.push(result);
    }
    return learned.sort((a, b) => a.group.localeCompare(b.group));
  }
}

/** The nearest-rank `p`th percentile of ascending `values`; -1 for none. */
export function nearestRank(values: readonly number[], p: number): number {
  if (values.length === 0) return -1;
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[Math.min(values.length, rank) - 1] ?? -1;
}

/** The local date of the Monday of the week in which `date` is day `dayIndex` (Mon = 0). */
function mondayOf(date: string, dayIndex: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`) - dayIndex * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/** Learns needs from samples in one go (tests, the simulator's weeks). */
export function learnNeeds(
  samples: Iterable<HistorySample>,
  options: LearnOptions,
): LearnedGroup[] {
  const table = new PeakTable(options);
  table.add(samples);
  return table.learn(options);
}
