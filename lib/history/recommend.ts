import type { TmsTag } from '../huawei/schemas.ts';
import {
  resolveEffectiveSettings,
  SCHEDULE_TAG,
  type ScheduleSettings,
} from '../scaling/effective-settings.ts';
import {
  DAYS,
  describeWindow,
  type Schedule,
  type Schedules,
  windowCovers,
} from '../scaling/schedule.ts';
import { condenseWindows, evidenceOf } from './condense.ts';
import type { LearnedGroup } from './learn.ts';
import type { LearnedNeedsFile } from './needs-file.ts';
import { describeSlot, WEEK_HOURS } from './sample.ts';

/** What recommend knows of a group today: its project, name and tags. */
export interface GroupNow {
  projectId: string;
  group: string;
  name: string;
  tags: readonly TmsTag[];
}

/** The operator's settings the recommendation starts from and never lowers. */
export interface RecommendBase {
  minServersPerGroup: number;
  schedules: ScheduleSettings;
  /** The zone of a group whose schedule names none (default UTC). */
  timeZone: string;
  /** The holidays of a group without a schedule (the simulator's played holiday). */
  holidays?: readonly string[];
}

/** The recommendation: a SCHEDULES file, tags per group, the evidence lines, the sweep's needs. */
export interface Recommendation {
  schedules: Schedules;
  tags: { projectId: string; serverGroupId: string; name: string; tags: TmsTag[] }[];
  lines: string[];
  needs: Map<string, LearnedNeedsFile>;
}

/** The schedule a group follows now (tag, else DEFAULT_SCHEDULE), if any. */
export function scheduleOf(
  tags: readonly TmsTag[],
  settings: ScheduleSettings,
): { name: string; schedule: Schedule } | undefined {
  const name = tags.find((t) => t.key === SCHEDULE_TAG)?.value ?? settings.defaultSchedule;
  const schedule = name === undefined ? undefined : settings.schedules[name];
  return name === undefined || schedule === undefined ? undefined : { name, schedule };
}

/** The operator's floor in each hour of an ordinary (holiday-free) week: tag or global, raised by a window. */
function operatorFloors(group: GroupNow, base: RecommendBase, schedule?: Schedule): number[] {
  const resolved = resolveEffectiveSettings(group.tags, 0, {
    minServersPerGroup: base.minServersPerGroup,
    maxRemovalsPerGroup: 0,
  });
  const floor = resolved.ok ? resolved.settings.floor.value : base.minServersPerGroup;
  return Array.from({ length: WEEK_HOURS }, (_, slot) => {
    const local = {
      date: '',
      day: DAYS[Math.floor(slot / 24)] ?? 'Mon',
      minutes: (slot % 24) * 60,
    };
    const window = schedule?.windows.find((w) => windowCovers(w, local));
    return Math.max(floor, window?.minServers ?? 0);
  });
}

/**
 * For each group with enough history: the floors its hours need (learned,
 * never below what the operator set: a higher operator floor is kept and
 * said so), condensed into windows of a schedule named
 * `learned-{group id}` that keeps the current schedule's zone and holidays,
 * the tag that selects it, and the evidence lines. Pure.
 */
export function recommendFloors(
  learned: readonly LearnedGroup[],
  groups: readonly GroupNow[],
  base: RecommendBase,
  now: number,
): Recommendation {
  const out: Recommendation = { schedules: {}, tags: [], lines: [], needs: new Map() };
  const byId = new Map(learned.map((l) => [l.group, l]));
  for (const group of groups) {
    const title = `${group.name || group.group} (${group.group})`;
    const history = byId.get(group.group);
    if (history === undefined) {
      out.lines.push(`${title}: not enough history (needs 2 weeks): no recommendation`);
      continue;
    }
    const current = scheduleOf(group.tags, base.schedules);
    const timeZone = current?.schedule.timeZone ?? base.timeZone;
    const needsFile = out.needs.get(group.projectId) ?? {
      generatedAt: new Date(now).toISOString(),
      groups: {},
    };
    needsFile.groups[group.group] = { name: group.name, timeZone, needs: history.needs };
    out.needs.set(group.projectId, needsFile);
    const operator = operatorFloors(group, base, current?.schedule);
    const floors = history.needs.map((need, slot) => Math.max(need, operator[slot] ?? 0));
    const floorOutside = Math.min(...operator);
    const windows = condenseWindows(floors, floorOutside);
    out.lines.push(`${title}: ${history.weeks} weeks of history, ${timeZone}`);
    const kept = operator.flatMap((floor, slot) =>
      floor > (history.needs[slot] ?? 0) && floor > floorOutside ? [slot] : [],
    );
    if (kept.length > 0) {
      const slot = kept[0] as number;
      out.lines.push(
        `  kept: your floor ${operator[slot]} at ${describeSlot(slot)} (and ${kept.length - 1} more hours) is above the learned need ${history.needs[slot]}; lower it by hand if you agree`,
      );
    }
    for (const w of current?.schedule.windows ?? []) {
      if (w.maxRemovalsPerGroup !== undefined) {
        out.lines.push(
          `  note: schedule ${current?.name} window ${describeWindow(w)} sets maxRemovalsPerGroup ${w.maxRemovalsPerGroup}; the learned schedule carries floors only: add it back by hand`,
        );
      }
    }
    if (windows.length === 0) {
      out.lines.push(`  needs no more than the floor ${floorOutside} at any hour: no window`);
      continue;
    }
    const name = `learned-${group.group}`;
    const holidays = current?.schedule.holidays ?? base.holidays;
    out.schedules[name] = {
      timeZone,
      ...(holidays === undefined ? {} : { holidays: [...holidays] }),
      windows,
    };
    for (const window of windows) {
      out.lines.push(
        `  ${describeWindow(window)} floor ${window.minServers}: ${evidenceOf(window, history)}`,
      );
    }
    out.tags.push({
      projectId: group.projectId,
      serverGroupId: group.group,
      name: group.name,
      tags: [{ key: SCHEDULE_TAG, value: name }],
    });
  }
  return out;
}
