import * as z from 'zod';
import type { GroupEvaluation } from '../removal/lifecycle.ts';
import { DAYS, localTimeOf } from '../scaling/schedule.ts';

/**
 * What one sweep saw of one group: one line of a history object
 * (lib/history/store.ts). Field names are the Athena columns
 * (docs/learned-floors.md).
 */
export const HistorySampleSchema = z.object({
  /** The sweep's evaluation instant, ISO 8601 UTC. */
  t: z.iso.datetime(),
  group: z.string().min(1),
  name: z.string(),
  /** Members in service. */
  inService: z.int().min(0),
  /** Sessions in use over all members. */
  used: z.int().min(0),
  /** Sessions one server takes (lib/scaling/policy.ts). */
  perServer: z.int().min(1),
  /** Removals this sweep planned for the group (acted on or, in a dry run, would be). */
  removals: z.int().min(0),
  /** The floor in force (lib/scaling/effective-settings.ts); absent for a skipped group. */
  floor: z.int().min(0).optional(),
});
export type HistorySample = z.infer<typeof HistorySampleSchema>;

/** Hours in a week: the slots of learned needs, Monday 00:00 first. */
export const WEEK_HOURS = 168;

/** The servers `used` sessions fill at `perServer` sessions a server. */
export function serversFilled(sample: Pick<HistorySample, 'used' | 'perServer'>): number {
  return Math.ceil(sample.used / sample.perServer);
}

/** A wall-clock hour of the week in `timeZone`: slot 0–167 (Mon 00:00 = 0), its local date. */
export function hourOfWeek(epochMs: number, timeZone: string): { slot: number; date: string } {
  const local = localTimeOf(epochMs, timeZone);
  return {
    slot: DAYS.indexOf(local.day) * 24 + Math.floor(local.minutes / 60),
    date: local.date,
  };
}

/** `Mon 08:00–09:00`: a slot in words. */
export function describeSlot(slot: number): string {
  const day = DAYS[Math.floor(slot / 24) % 7] ?? 'Mon';
  const hour = slot % 24;
  return `${day} ${pad(hour)}:00–${pad(hour + 1)}:00`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * The history line of one evaluated group at `now` (epoch ms), or none when
 * its listing failed (nothing reliable was seen).
 */
export function sampleOf(evaluation: GroupEvaluation, now: number): HistorySample | undefined {
  if (evaluation.error !== undefined) return undefined;
  const { decision } = evaluation;
  const sample: HistorySample = {
    t: new Date(now).toISOString(),
    group: decision.groupId,
    name: decision.groupName,
    inService: decision.inService,
    used: decision.usedSessions,
    perServer: Math.max(1, decision.sessionsPerServer),
    removals: decision.kind === 'scale-in' ? decision.remove.length : 0,
  };
  if (decision.settings !== undefined) sample.floor = decision.settings.floor.value;
  return sample;
}
