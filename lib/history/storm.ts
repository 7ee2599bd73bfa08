import type { ServerGroup } from '../huawei/schemas.ts';
import {
  type BaseLimits,
  type EffectiveValue,
  resolveEffectiveSettings,
} from '../scaling/effective-settings.ts';
import type { LearnedNeedsFile } from './needs-file.ts';
import { describeSlot, hourOfWeek } from './sample.ts';
import type { StormWarning } from './types.ts';

/** One group's learned needs, as the weekly recommendation left them. */
export type LearnedEntry = LearnedNeedsFile['groups'][string];

const HOUR_MS = 3_600_000;

function needAt(entry: LearnedEntry, at: number): { need: number; slot: number } {
  const { slot } = hourOfWeek(at, entry.timeZone);
  return { need: entry.needs[slot] ?? 0, slot };
}

/**
 * LEARNED_FLOORS=raise: the floor history says the group needs now and in
 * the coming hour (the larger, so servers are in service before a storm),
 * with its source; none when it needs nothing. The caller's settings never
 * let it lower a floor (lib/scaling/effective-settings.ts).
 */
export function learnedFloorAt(entry: LearnedEntry, now: number): EffectiveValue | undefined {
  const current = needAt(entry, now);
  const next = needAt(entry, now + HOUR_MS);
  const use = next.need > current.need ? next : current;
  if (use.need <= 0) return undefined;
  return { value: use.need, from: `learned (history of ${describeSlot(use.slot)})` };
}

/**
 * The storm warning of one group at `now` (epoch ms): when its floor one
 * hour later (tags and schedule at that instant, the learned floor left
 * out) is below the learned need of that hour. None on a holiday of its
 * schedule, for a group whose settings do not resolve, or with no need.
 */
export function stormWarningOf(
  projectId: string,
  group: Pick<ServerGroup, 'id' | 'name' | 'tags'>,
  entry: LearnedEntry,
  now: number,
  base: BaseLimits,
  raised: boolean,
): StormWarning | undefined {
  const at = now + HOUR_MS;
  const { need, slot } = needAt(entry, at);
  if (need <= 0) return undefined;
  const resolved = resolveEffectiveSettings(group.tags, at, base);
  if (!resolved.ok || resolved.settings.schedule?.state === 'holiday') return undefined;
  const floor = resolved.settings.floor;
  if (floor.value >= need) return undefined;
  return {
    projectId,
    serverGroupId: group.id,
    serverGroupName: group.name ?? '',
    hour: describeSlot(slot),
    at: new Date(at).toISOString(),
    need,
    floor: floor.value,
    floorFrom: floor.from,
    raised,
  };
}
