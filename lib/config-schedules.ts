import { readFileSync } from 'node:fs';
import type { ScheduleSettings } from './scaling/effective-settings.ts';
import { type Schedules, SchedulesSchema } from './scaling/schedule.ts';
import { formatIssues, jsonText } from './validation.ts';

/** `SCHEDULES`: JSON text of schedule name → schedule (lib/scaling/schedule.ts). */
export const SchedulesTextSchema = jsonText('{"business-hours": {…}}').pipe(SchedulesSchema);

/** What the schedule variables say, or the problems naming each bad path. */
export type ScheduleConfig =
  | { ok: true; settings: ScheduleSettings }
  | { ok: false; problems: string[] };

function readSchedulesFile(path: string): { schedules?: Schedules; problem?: string } {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not JSON' : 'cannot be read';
    return { problem: `SCHEDULES_FILE: ${path} ${reason}` };
  }
  const parsed = SchedulesSchema.safeParse(data);
  if (!parsed.success) return { problem: formatIssues(parsed.error.issues, 'SCHEDULES_FILE') };
  return { schedules: parsed.data };
}

/**
 * Combines `SCHEDULES` (already parsed), `SCHEDULES_FILE` (a JSON file of the
 * same shape, read once here, for schedules too long for a variable) and
 * `DEFAULT_SCHEDULE`: at most one of the first two, and the default must
 * name one of the schedules.
 */
export function scheduleConfigOf(input: {
  schedules: Schedules | undefined;
  schedulesFile: string | undefined;
  defaultSchedule: string | undefined;
}): ScheduleConfig {
  if (input.schedules !== undefined && input.schedulesFile !== undefined) {
    return { ok: false, problems: ['SCHEDULES_FILE: give SCHEDULES or SCHEDULES_FILE, not both'] };
  }
  let schedules = input.schedules ?? {};
  if (input.schedulesFile !== undefined) {
    const read = readSchedulesFile(input.schedulesFile);
    if (read.problem !== undefined) return { ok: false, problems: [read.problem] };
    schedules = read.schedules ?? {};
  }
  const name = input.defaultSchedule;
  if (name !== undefined && !Object.hasOwn(schedules, name)) {
    const known = Object.keys(schedules).join(', ') || 'none';
    return {
      ok: false,
      problems: [`DEFAULT_SCHEDULE: names no schedule of SCHEDULES (known: ${known})`],
    };
  }
  return { ok: true, settings: { schedules, defaultSchedule: name } };
}
