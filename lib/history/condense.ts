import { DAYS, type ScheduleWindow } from '../scaling/schedule.ts';
import type { LearnedGroup } from './learn.ts';
import { describeSlot, WEEK_HOURS } from './sample.ts';

/** A recommended window and the history behind it. */
export interface LearnedWindow {
  window: ScheduleWindow & { minServers: number };
  /** E.g. `peak 6 servers on 4 of the last 4 Mondays 08:00–09:00`. */
  evidence: string;
}

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function hhmm(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}

/** Whether `value` may join a run whose values span `low`–`high`: within a third (at least 1). */
function fits(low: number, high: number, value: number): boolean {
  const lo = Math.min(low, value);
  const hi = Math.max(high, value);
  return hi - lo <= Math.max(1, Math.floor(hi / 3));
}

interface DayRun {
  day: number;
  from: number;
  to: number;
  floor: number;
}

/** Each day's runs of hours needing more than `base`, split where the need moves by over a third. */
function dayRuns(floors: readonly number[], base: number): DayRun[] {
  const runs: DayRun[] = [];
  for (let day = 0; day < 7; day++) {
    let run: (DayRun & { low: number }) | undefined;
    for (let hour = 0; hour <= 24; hour++) {
      const value = hour < 24 ? (floors[day * 24 + hour] ?? 0) : 0;
      const above = hour < 24 && value > base;
      if (run !== undefined && (!above || !fits(run.low, run.floor, value))) {
        runs.push({ day, from: run.from, to: hour, floor: run.floor });
        run = undefined;
      }
      if (above) {
        if (run === undefined) run = { day, from: hour, to: hour + 1, floor: value, low: value };
        else {
          run.floor = Math.max(run.floor, value);
          run.low = Math.min(run.low, value);
        }
      }
    }
  }
  return runs;
}

/** Whether every hour `from`–`to` of every day in `days` needs at least `low`. */
function allAtLeast(
  floors: readonly number[],
  days: readonly number[],
  from: number,
  to: number,
  low: number,
): boolean {
  return days.every((day) =>
    Array.from({ length: to - from }, (_, i) => floors[day * 24 + from + i] ?? 0).every(
      (v) => v >= low,
    ),
  );
}

/**
 * Condenses per-hour floors (168, Monday 00:00 first) into a few schedule
 * windows: on each day the hours needing more than `base` form runs (split
 * where the need moves by more than a third), each run's floor its
 * highest hour; runs on several days whose floors are within one server of
 * each other, and whose ends are within an hour or whose joint hours all
 * need at least that much less one, become one window of those days,
 * spanning all their hours at the highest floor; highest floors first.
 * Never below any hour's floor under first-match (lib/scaling/schedule.ts).
 */
export function condenseWindows(
  floors: readonly number[],
  base: number,
): (ScheduleWindow & { minServers: number })[] {
  if (floors.length !== WEEK_HOURS) throw new Error(`expected ${WEEK_HOURS} hourly floors`);
  const merged: { days: number[]; from: number; to: number; floor: number }[] = [];
  for (const run of dayRuns(floors, base)) {
    const near = merged.find(
      (m) =>
        !m.days.includes(run.day) &&
        Math.abs(m.floor - run.floor) <= 1 &&
        ((Math.abs(m.from - run.from) <= 1 && Math.abs(m.to - run.to) <= 1) ||
          allAtLeast(
            floors,
            [...m.days, run.day],
            Math.min(m.from, run.from),
            Math.max(m.to, run.to),
            Math.min(m.floor, run.floor) - 1,
          )),
    );
    if (near === undefined) merged.push({ days: [run.day], ...run });
    else {
      near.days.push(run.day);
      near.from = Math.min(near.from, run.from);
      near.to = Math.max(near.to, run.to);
      near.floor = Math.max(near.floor, run.floor);
    }
  }
  // SCHEDULES takes the first window covering an instant: widened windows may
  // overlap, so the highest floor goes first and every hour keeps its own.
  merged.sort((a, b) => b.floor - a.floor || a.days[0]! - b.days[0]! || a.from - b.from);
  return merged.map((m) => ({
    days: m.days.map((d) => DAYS[d] ?? 'Mon'),
    from: hhmm(m.from),
    to: hhmm(m.to),
    minServers: m.floor,
  }));
}

/** The slots a window covers (windows here never cross midnight). */
export function slotsOf(window: ScheduleWindow): number[] {
  const from = Number(window.from.slice(0, 2));
  const to = Number(window.to.slice(0, 2));
  return window.days.flatMap((day) => {
    const d = DAYS.indexOf(day);
    return Array.from({ length: to - from }, (_, i) => d * 24 + from + i);
  });
}

/** The evidence of a window: its highest learned peak, how many weeks reached it, and when. */
export function evidenceOf(window: ScheduleWindow, learned: LearnedGroup): string {
  let best = -1;
  for (const slot of slotsOf(window)) {
    if (best < 0 || (learned.peaks[slot] ?? -1) > (learned.peaks[best] ?? -1)) best = slot;
  }
  const peak = learned.peaks[best] ?? -1;
  if (peak < 0) return 'no history in these hours';
  const day = DAY_NAMES[Math.floor(best / 24)] ?? 'Monday';
  const hours = describeSlot(best).slice(4);
  return `peak ${peak} server${peak === 1 ? '' : 's'} on ${learned.atPeak[best]} of the last ${learned.seen[best]} ${day}s ${hours}`;
}
