import { readFileSync } from 'node:fs';
import type * as z from 'zod';
import type { ScheduleSettings } from './scaling/effective-settings.ts';
import { type Schedules, SchedulesSchema } from './scaling/schedule.ts';
import { formatIssues, jsonText } from './validation.ts';

/** `SCHEDULES`: JSON text of schedule name → schedule (lib/scaling/schedule.ts). */
export const SchedulesTextSchema = jsonText('{"business-hours": {…}}').pipe(SchedulesSchema);

/** What the schedule variables say, or the problems naming each bad path. */
export type ScheduleConfig =
  | { ok: true; settings: ScheduleSettings }
  | { ok: false; problems: string[] };

/**
 * A `…_FILE` setting's JSON file, read once and checked by `schema`: the
 * data, or one problem naming the variable (and the path inside the file).
 */
export function readSettingFile<T>(
  path: string,
  schema: z.ZodType<T>,
  variable: string,
): { data?: T; problem?: string } {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not JSON' : 'cannot be read';
    return { problem: `${variable}: ${path} ${reason}` };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { problem: formatIssues(parsed.error.issues, variable) };
  return { data: parsed.data };
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
    const read = readSettingFile(input.schedulesFile, SchedulesSchema, 'SCHEDULES_FILE');
    if (read.problem !== undefined) return { ok: false, problems: [read.problem] };
    schedules = read.data ?? {};
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
