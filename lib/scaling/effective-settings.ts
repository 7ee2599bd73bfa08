import type { TmsTag } from '../huawei/schemas.ts';
import { describeWindow, type Schedules, scheduleStateAt } from './schedule.ts';

/** The group tag naming its schedule (a key of SCHEDULES). */
export const SCHEDULE_TAG = 'aps-autoscaler:schedule';
/** The group tag overriding MIN_SERVERS_PER_GROUP (digits only). */
export const MIN_SERVERS_TAG = 'aps-autoscaler:min-servers';
/** The group tag overriding MAX_REMOVALS_PER_GROUP (digits only). */
export const MAX_REMOVALS_TAG = 'aps-autoscaler:max-removals';

/** SCHEDULES and DEFAULT_SCHEDULE, as the configuration validated them. */
export interface ScheduleSettings {
  schedules: Schedules;
  /** The schedule of a group without the schedule tag; a key of `schedules`. */
  defaultSchedule?: string | undefined;
}

/** One setting's value and where it came from, e.g. `schedule business-hours window Mon-Fri 08:00-19:00`. */
export interface EffectiveValue {
  value: number;
  from: string;
}

/** The schedule a group follows and what it says at the evaluation instant. */
export interface ScheduleUse {
  name: string;
  /** `tag` (the group's schedule tag) or `DEFAULT_SCHEDULE`. */
  chosenBy: 'tag' | 'DEFAULT_SCHEDULE';
  state: 'window' | 'holiday' | 'outside';
  /** The covering window (`window`), e.g. `Mon-Fri 08:00-19:00`, or the holiday's local date. */
  detail?: string;
}

/** The per-group limits in force at one instant, each with its source. */
export interface EffectiveSettings {
  floor: EffectiveValue;
  maxRemovals: EffectiveValue;
  schedule?: ScheduleUse;
}

export type SettingsResolution =
  | { ok: true; settings: EffectiveSettings }
  | { ok: false; reason: 'unknown-schedule' | 'invalid-override'; detail: string };

/** The global limits the group's tags and schedule start from. */
export interface BaseLimits {
  minServersPerGroup: number;
  maxRemovalsPerGroup: number;
  schedules?: ScheduleSettings | undefined;
}

function tagOf(tags: readonly TmsTag[] | null | undefined, key: string): TmsTag | undefined {
  if (!Array.isArray(tags)) return undefined;
  return tags.find((tag) => tag !== null && typeof tag === 'object' && tag.key === key);
}

/** A digits-only override tag: absent, a value, or the problem naming the tag. */
function overrideOf(
  tags: readonly TmsTag[] | null | undefined,
  key: string,
): { value: number } | { problem: string } | undefined {
  const tag = tagOf(tags, key);
  if (tag === undefined) return undefined;
  const raw = typeof tag.value === 'string' ? tag.value.trim() : '';
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 10_000) {
    return {
      problem: `tag ${key}: expected digits 0-10000, got ${JSON.stringify(tag.value ?? '')}`,
    };
  }
  return { value: Number(raw) };
}

/**
 * The floor and per-group cap of one group at `now` (epoch ms), each with
 * its source. The tags `aps-autoscaler:min-servers` and
 * `aps-autoscaler:max-removals` replace the global values; then, inside a
 * window of the group's schedule (its `aps-autoscaler:schedule` tag, else
 * DEFAULT_SCHEDULE), the floor is the larger of that and the window's
 * `minServers`, the cap the smaller of that and the window's
 * `maxRemovalsPerGroup` (0 freezes scale-in). Outside every window, and all
 * day on a holiday (the schedule's local date), the window adds nothing.
 * A tag naming no schedule is `unknown-schedule`; an override that is not
 * digits is `invalid-override` naming the tag. `learned` (LEARNED_FLOORS=raise,
 * lib/history/storm.ts) raises the floor, never lowers it, except on a holiday. Pure.
 */
export function resolveEffectiveSettings(
  tags: readonly TmsTag[] | null | undefined,
  now: number,
  base: BaseLimits,
  learned?: EffectiveValue,
): SettingsResolution {
  const resolved = resolveConfigured(tags, now, base);
  if (!resolved.ok || learned === undefined) return resolved;
  const { settings } = resolved;
  if (settings.schedule?.state === 'holiday' || learned.value <= settings.floor.value) {
    return resolved;
  }
  return { ok: true, settings: { ...settings, floor: learned } };
}

function resolveConfigured(
  tags: readonly TmsTag[] | null | undefined,
  now: number,
  base: BaseLimits,
): SettingsResolution {
  const minTag = overrideOf(tags, MIN_SERVERS_TAG);
  const maxTag = overrideOf(tags, MAX_REMOVALS_TAG);
  const problems = [minTag, maxTag].flatMap((o) =>
    o !== undefined && 'problem' in o ? [o.problem] : [],
  );
  if (problems.length > 0)
    return { ok: false, reason: 'invalid-override', detail: problems.join('; ') };
  const floor: EffectiveValue =
    minTag !== undefined && 'value' in minTag
      ? { value: minTag.value, from: `tag ${MIN_SERVERS_TAG}` }
      : { value: base.minServersPerGroup, from: 'MIN_SERVERS_PER_GROUP' };
  const maxRemovals: EffectiveValue =
    maxTag !== undefined && 'value' in maxTag
      ? { value: maxTag.value, from: `tag ${MAX_REMOVALS_TAG}` }
      : { value: base.maxRemovalsPerGroup, from: 'MAX_REMOVALS_PER_GROUP' };

  const scheduleTag = tagOf(tags, SCHEDULE_TAG);
  const name =
    scheduleTag === undefined ? base.schedules?.defaultSchedule : (scheduleTag.value ?? '');
  if (name === undefined) return { ok: true, settings: { floor, maxRemovals } };
  const schedules = base.schedules?.schedules ?? {};
  const schedule = Object.hasOwn(schedules, name) ? schedules[name] : undefined;
  if (schedule === undefined) {
    const known = Object.keys(schedules).join(', ') || 'none';
    return {
      ok: false,
      reason: 'unknown-schedule',
      detail: `tag ${SCHEDULE_TAG} names ${JSON.stringify(name)}, which SCHEDULES does not define (known: ${known})`,
    };
  }
  const chosenBy = scheduleTag === undefined ? 'DEFAULT_SCHEDULE' : 'tag';
  const state = scheduleStateAt(schedule, now);
  if (state.kind === 'holiday') {
    return {
      ok: true,
      settings: {
        floor,
        maxRemovals,
        schedule: { name, chosenBy, state: 'holiday', detail: state.date },
      },
    };
  }
  if (state.kind === 'outside') {
    return {
      ok: true,
      settings: { floor, maxRemovals, schedule: { name, chosenBy, state: 'outside' } },
    };
  }
  const window = describeWindow(state.window);
  const source = `schedule ${name} window ${window}`;
  const { minServers, maxRemovalsPerGroup } = state.window;
  return {
    ok: true,
    settings: {
      floor:
        minServers !== undefined && minServers > floor.value
          ? { value: minServers, from: source }
          : floor,
      maxRemovals:
        maxRemovalsPerGroup !== undefined && !(maxRemovalsPerGroup >= maxRemovals.value)
          ? { value: maxRemovalsPerGroup, from: source }
          : maxRemovals,
      schedule: { name, chosenBy, state: 'window', detail: window },
    },
  };
}

/**
 * One line saying which limits apply and why, e.g. `floor 5 from schedule
 * business-hours window Mon-Fri 08:00-19:00; max-removals 0 from tag
 * aps-autoscaler:max-removals`, plus the schedule's state when no window applies.
 */
export function describeSettings(settings: EffectiveSettings): string {
  const parts = [
    `floor ${settings.floor.value} from ${settings.floor.from}`,
    `max-removals ${settings.maxRemovals.value} from ${settings.maxRemovals.from}`,
  ];
  const schedule = settings.schedule;
  if (schedule !== undefined && schedule.state !== 'window') {
    parts.push(
      schedule.state === 'holiday'
        ? `schedule ${schedule.name}: holiday ${schedule.detail ?? ''}`
        : `schedule ${schedule.name}: outside its windows`,
    );
  }
  return parts.join('; ');
}

/**
 * What a decision's audit line adds: the settings in words, and whether the
 * line is a WARN (a schedule tag naming no schedule, a bad override tag).
 */
export function settingsAudit(decision: {
  kind: string;
  reason?: string;
  settings?: EffectiveSettings | undefined;
}): { warn: boolean; fields: { settings?: string } } {
  const warn =
    decision.kind === 'skip' &&
    (decision.reason === 'unknown-schedule' || decision.reason === 'invalid-override');
  const settings = decision.settings;
  return { warn, fields: settings === undefined ? {} : { settings: describeSettings(settings) } };
}
