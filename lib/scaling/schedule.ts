import * as z from 'zod';

/** The days a window may start on, as written in SCHEDULES. */
export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAYS)[number];

/** `HH:MM` on a 24-hour clock; `24:00` only as a window's end. */
const TimeSchema = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a time HH:MM such as 08:00 (or 24:00)');

/** A whole count as the configuration takes it (the same bounds as MIN_SERVERS_PER_GROUP). */
const CountSchema = z.int().min(0).max(10_000);

/** Whether `Intl` knows `zone` as an IANA time zone. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const ScheduleWindowSchema = z
  .strictObject({
    days: z.array(z.enum(DAYS)).min(1),
    from: TimeSchema.refine((t) => t !== '24:00', 'a window cannot start at 24:00'),
    to: TimeSchema,
    minServers: CountSchema.optional(),
    maxRemovalsPerGroup: CountSchema.optional(),
  })
  .refine((w) => w.from !== w.to, { message: 'from and to must differ', path: ['to'] })
  .refine((w) => w.minServers !== undefined || w.maxRemovalsPerGroup !== undefined, {
    message: 'a window sets minServers, maxRemovalsPerGroup or both',
  });
export type ScheduleWindow = z.infer<typeof ScheduleWindowSchema>;

export const ScheduleSchema = z.strictObject({
  timeZone: z.string().refine(isTimeZone, 'expected an IANA time zone such as Asia/Shanghai'),
  holidays: z.array(z.iso.date('expected a date YYYY-MM-DD')).optional(),
  windows: z.array(ScheduleWindowSchema).min(1),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

/**
 * A schedule name: what the group tag `aps-autoscaler:schedule` can hold (APS
 * tag values allow letters, digits, spaces and `_ . : = + - @`).
 */
export const ScheduleNameSchema = z
  .string()
  .regex(
    /^[\p{L}\p{N} _.:=+\-@]{1,255}$/u,
    'a schedule name is a tag value: letters, digits, spaces and _ . : = + - @',
  );

/** `SCHEDULES`: schedule name → schedule. */
export const SchedulesSchema = z.record(ScheduleNameSchema, ScheduleSchema);
export type Schedules = z.infer<typeof SchedulesSchema>;

/** A wall-clock reading of an instant in one zone. */
export interface LocalTime {
  /** `YYYY-MM-DD`. */
  date: string;
  day: Day;
  /** Minutes since local midnight, 0–1439. */
  minutes: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(timeZone, format);
  }
  return format;
}

// The last reading per zone: a sweep evaluates every group at nearly the same
// instant, and formatting costs ~7 µs. Offsets in use are whole minutes, so
// one UTC minute reads the same all through.
const lastReading = new Map<string, { minute: number; local: LocalTime }>();

/** The wall clock of `timeZone` at `now` (epoch ms), daylight saving included (`Intl`). */
export function localTimeOf(now: number, timeZone: string): LocalTime {
  const minute = Math.floor(now / 60_000);
  const last = lastReading.get(timeZone);
  if (last !== undefined && last.minute === minute) return last.local;
  const parts: Record<string, string> = {};
  for (const part of formatOf(timeZone).formatToParts(now)) parts[part.type] = part.value;
  const local: LocalTime = {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day: parts.weekday as Day,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
  lastReading.set(timeZone, { minute, local });
  return local;
}

function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

function dayBefore(day: Day): Day {
  return DAYS[(DAYS.indexOf(day) + 6) % 7] as Day;
}

/**
 * Whether `window` covers the wall-clock time `local`. A window belongs to the
 * days it starts on; one whose `to` is not after its `from` runs past
 * midnight into the next day. Times are wall-clock: on a daylight-saving day
 * a window covers the local times that exist that day.
 */
export function windowCovers(window: ScheduleWindow, local: LocalTime): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const t = local.minutes;
  if (from < to) return window.days.includes(local.day) && t >= from && t < to;
  // Crosses midnight: the evening of a start day, or the morning after one.
  return (
    (window.days.includes(local.day) && t >= from) ||
    (window.days.includes(dayBefore(local.day)) && t < to)
  );
}

/** A window as its source names it: `Mon-Fri 08:00-19:00`, `Sat,Sun 22:00-06:00`. */
export function describeWindow(window: ScheduleWindow): string {
  const indexes = [...new Set(window.days)].map((d) => DAYS.indexOf(d)).sort((a, b) => a - b);
  const consecutive = indexes.every((d, i) => i === 0 || d === (indexes[i - 1] as number) + 1);
  const days =
    consecutive && indexes.length > 2
      ? `${DAYS[indexes[0] as number]}-${DAYS[indexes.at(-1) as number]}`
      : indexes.map((d) => DAYS[d]).join(',');
  return `${days} ${window.from}-${window.to}`;
}

/** What a schedule says at one instant. */
export type ScheduleState =
  | { kind: 'window'; window: ScheduleWindow; index: number }
  | { kind: 'holiday'; date: string }
  | { kind: 'outside' };

/**
 * The state of `schedule` at `now` (epoch ms), read on the schedule's own
 * wall clock: `holiday` all day on a listed local date, else the first
 * window that covers the local time, else `outside`. Pure.
 */
export function scheduleStateAt(schedule: Schedule, now: number): ScheduleState {
  const local = localTimeOf(now, schedule.timeZone);
  if (schedule.holidays?.includes(local.date) === true)
    return { kind: 'holiday', date: local.date };
  const index = schedule.windows.findIndex((w) => windowCovers(w, local));
  if (index < 0) return { kind: 'outside' };
  return { kind: 'window', window: schedule.windows[index] as ScheduleWindow, index };
}
