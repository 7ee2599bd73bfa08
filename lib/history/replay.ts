import type { TmsTag } from '../huawei/schemas.ts';
import { type BaseLimits, resolveEffectiveSettings } from '../scaling/effective-settings.ts';
import { type HistorySample, serversFilled } from './sample.ts';

const STEP_HOURS = 0.25;

/** One group's replay: hours short of servers, and server-hours kept by the floors given and by a flat floor. */
export interface GroupReplay {
  group: string;
  /** Hours (ISO, UTC) in which some sweep saw fewer servers in service than the sessions filled. */
  shortHours: string[];
  serverHours: number;
  /** The same weeks with a flat floor at the group's weekly peak of servers filled. */
  flatServerHours: number;
}

/**
 * Replays recorded weeks under other floors (pure): at each sweep the
 * servers in service are the floor then in force (`tagsOf` the group's tags,
 * its schedule from `base`) or, when more, what the sessions filled one
 * sweep earlier plus one (the service's own scale-out answering a sweep
 * late: what a login storm outruns). A sweep whose sessions fill more than
 * that is short. `samples` must be in time order.
 */
export function replayFloors(
  samples: readonly HistorySample[],
  tagsOf: (group: string) => readonly TmsTag[],
  base: BaseLimits,
): GroupReplay[] {
  const byGroup = new Map<string, HistorySample[]>();
  for (const s of samples) {
    const list = byGroup.get(s.group) ?? [];
    list.push(s);
    byGroup.set(s.group, list);
  }
  const out: GroupReplay[] = [];
  for (const [group, series] of byGroup) {
    const peak = Math.max(...series.map(serversFilled));
    const replay: GroupReplay = { group, shortHours: [], serverHours: 0, flatServerHours: 0 };
    let before = 0;
    for (const sample of series) {
      const filled = serversFilled(sample);
      const at = Date.parse(sample.t);
      const resolved = resolveEffectiveSettings(tagsOf(group), at, base);
      const floor = resolved.ok ? resolved.settings.floor.value : base.minServersPerGroup;
      const inService = Math.max(floor, before + 1);
      if (filled > inService) {
        const hour = `${sample.t.slice(0, 13)}:00Z`;
        if (replay.shortHours.at(-1) !== hour) replay.shortHours.push(hour);
      }
      replay.serverHours += Math.max(inService, filled) * STEP_HOURS;
      replay.flatServerHours += Math.max(peak, filled) * STEP_HOURS;
      before = filled;
    }
    out.push(replay);
  }
  return out;
}
