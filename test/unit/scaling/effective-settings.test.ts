import { describe, expect, it } from 'vitest';
import type { TmsTag } from '../../../lib/huawei/schemas.ts';
import {
  type BaseLimits,
  describeSettings,
  resolveEffectiveSettings,
} from '../../../lib/scaling/effective-settings.ts';
import { SchedulesSchema } from '../../../lib/scaling/schedule.ts';

const SCHEDULES = SchedulesSchema.parse({
  'business-hours': {
    timeZone: 'Asia/Shanghai',
    holidays: ['2026-12-25'],
    windows: [
      { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '08:00', to: '19:00', minServers: 5 },
      { days: ['Sat'], from: '09:00', to: '13:00', minServers: 2, maxRemovalsPerGroup: 0 },
    ],
  },
});
const BASE: BaseLimits = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  schedules: { schedules: SCHEDULES },
};
const MONDAY_9 = Date.parse('2026-12-07T09:00:00+08:00');
const SATURDAY_10 = Date.parse('2026-12-12T10:00:00+08:00');
const CHRISTMAS_10 = Date.parse('2026-12-25T10:00:00+08:00');
const MONDAY_22 = Date.parse('2026-12-07T22:00:00+08:00');

const tag = (key: string, value: string): TmsTag => ({ key, value });
const schedule = tag('aps-autoscaler:schedule', 'business-hours');

function described(tags: TmsTag[], now: number, base: BaseLimits = BASE): string {
  const resolved = resolveEffectiveSettings(tags, now, base);
  return resolved.ok
    ? describeSettings(resolved.settings)
    : `${resolved.reason}: ${resolved.detail}`;
}

describe('resolveEffectiveSettings', () => {
  it.each([
    [
      'no tag and no default: the global values',
      [],
      MONDAY_9,
      'floor 1 from MIN_SERVERS_PER_GROUP; max-removals 10 from MAX_REMOVALS_PER_GROUP',
    ],
    [
      'inside a weekday window: its floor',
      [schedule],
      MONDAY_9,
      'floor 5 from schedule business-hours window Mon-Fri 08:00-19:00; max-removals 10 from MAX_REMOVALS_PER_GROUP',
    ],
    [
      'inside a freeze window',
      [schedule],
      SATURDAY_10,
      'floor 2 from schedule business-hours window Sat 09:00-13:00; max-removals 0 from schedule business-hours window Sat 09:00-13:00',
    ],
    [
      'on a holiday: the global values',
      [schedule],
      CHRISTMAS_10,
      'floor 1 from MIN_SERVERS_PER_GROUP; max-removals 10 from MAX_REMOVALS_PER_GROUP; schedule business-hours: holiday 2026-12-25',
    ],
    [
      'outside the windows: the global values',
      [schedule],
      MONDAY_22,
      'floor 1 from MIN_SERVERS_PER_GROUP; max-removals 10 from MAX_REMOVALS_PER_GROUP; schedule business-hours: outside its windows',
    ],
    [
      'override tags replace the global values',
      [tag('aps-autoscaler:min-servers', '3'), tag('aps-autoscaler:max-removals', '0')],
      MONDAY_9,
      'floor 3 from tag aps-autoscaler:min-servers; max-removals 0 from tag aps-autoscaler:max-removals',
    ],
    [
      'a window raises an override floor, never lowers it',
      [schedule, tag('aps-autoscaler:min-servers', '7')],
      MONDAY_9,
      'floor 7 from tag aps-autoscaler:min-servers; max-removals 10 from MAX_REMOVALS_PER_GROUP',
    ],
    [
      'a schedule tag naming nothing',
      [tag('aps-autoscaler:schedule', 'night-shift')],
      MONDAY_9,
      'unknown-schedule: tag aps-autoscaler:schedule names "night-shift", which SCHEDULES does not define (known: business-hours)',
    ],
    [
      'an override that is not digits',
      [tag('aps-autoscaler:max-removals', '-1')],
      MONDAY_9,
      'invalid-override: tag aps-autoscaler:max-removals: expected digits 0-10000, got "-1"',
    ],
    [
      'an override without a value',
      [{ key: 'aps-autoscaler:min-servers' }],
      MONDAY_9,
      'invalid-override: tag aps-autoscaler:min-servers: expected digits 0-10000, got ""',
    ],
  ])('%s', (_, tags, now, expected) => {
    expect(described(tags, now)).toBe(expected);
  });

  it('applies DEFAULT_SCHEDULE to untagged groups only', () => {
    const base = {
      ...BASE,
      schedules: { schedules: SCHEDULES, defaultSchedule: 'business-hours' },
    };
    const resolved = resolveEffectiveSettings([], MONDAY_9, base);
    expect(resolved).toMatchObject({
      ok: true,
      settings: {
        floor: { value: 5 },
        schedule: { name: 'business-hours', chosenBy: 'DEFAULT_SCHEDULE' },
      },
    });
  });

  it('names a missing schedule even with no SCHEDULES at all', () => {
    const resolved = resolveEffectiveSettings([schedule], MONDAY_9, {
      minServersPerGroup: 1,
      maxRemovalsPerGroup: 10,
    });
    expect(resolved).toMatchObject({ ok: false, reason: 'unknown-schedule' });
  });
});
