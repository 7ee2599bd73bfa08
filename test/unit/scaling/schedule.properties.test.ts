import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppServer } from '../../../lib/huawei/schemas.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import {
  type Day,
  localTimeOf,
  type Schedules,
  SchedulesSchema,
  scheduleStateAt,
} from '../../../lib/scaling/schedule.ts';
import type { Decision, EvaluationLimits } from '../../../lib/scaling/types.ts';
import {
  isoAt,
  scalingPolicyFactory,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';

const RUNS = { numRuns: 400, seed: 20_261_207 } as const;
const MINUTE = 60_000;
const DAY_MS = 24 * 60 * MINUTE;
const SHANGHAI = 8 * 60 * MINUTE;
/** Monday 2026-12-07 00:00 in Shanghai. */
const WEEK_START = Date.parse('2026-12-07T00:00:00+08:00');

function schedulesWith(window: { minServers: number; maxRemovalsPerGroup?: number }): Schedules {
  return SchedulesSchema.parse({
    office: {
      timeZone: 'Asia/Shanghai',
      windows: [
        { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '08:00', to: '19:00', ...window },
      ],
    },
  });
}

/** An instant of the test week: `day` 0 = Monday, `minute` of the Shanghai day. */
const instant = (day: number, minute: number) => WEEK_START + day * DAY_MS + minute * MINUTE;
const inside = fc.tuple(
  fc.integer({ min: 0, max: 4 }),
  fc.integer({ min: 8 * 60, max: 19 * 60 - 1 }),
);
const outside = fc.oneof(
  fc.tuple(fc.integer({ min: 5, max: 6 }), fc.integer({ min: 0, max: 1439 })),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 8 * 60 - 1 })),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 19 * 60, max: 1439 })),
);

const fleet = fc.record({
  idle: fc.integer({ min: 0, max: 12 }),
  busy: fc.integer({ min: 0, max: 6 }),
  min: fc.integer({ min: 0, max: 6 }),
  cap: fc.integer({ min: 0, max: 12 }),
  threshold: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
});

function evaluateAt(
  spec: { idle: number; busy: number; min: number; cap: number; threshold: number | undefined },
  now: number,
  schedules: Schedules | undefined,
): Decision {
  const servers: AppServer[] = [];
  for (let i = 0; i < spec.idle + spec.busy; i++) {
    servers.push(
      serverFactory({
        id: `srv-${String(i).padStart(2, '0')}`,
        machine_name: `APS-${i}`,
        instance_id: `ins-${i}`,
        session_count: i < spec.idle ? 0 : 1,
        create_time: isoAt(now - (i + 2) * 60 * MINUTE),
      }),
    );
  }
  const group = serverGroupFactory({
    id: 'sg-0001',
    name: 'office',
    tags: schedules === undefined ? [] : [{ key: 'aps-autoscaler:schedule', value: 'office' }],
    scaling_policy: scalingPolicyFactory({
      scaling_policy_by_session: {
        shrink_after_session_idle_minutes: 30,
        ...(spec.threshold === undefined ? {} : { session_usage_threshold: spec.threshold }),
      },
    }),
  });
  const limits: EvaluationLimits = {
    minServersPerGroup: spec.min,
    maxRemovalsPerGroup: spec.cap,
    protectTagKey: 'aps-autoscaler:protect',
    ...(schedules === undefined ? {} : { schedules: { schedules } }),
  };
  return evaluateGroup({ group, servers, sessions: [], now, limits });
}

const removed = (d: Decision) => (d.kind === 'scale-in' ? d.remove.length : 0);

describe('schedules in the evaluation (properties)', () => {
  it('never goes below the window floor inside a window', () => {
    fc.assert(
      fc.property(fleet, inside, fc.integer({ min: 0, max: 15 }), (spec, [day, minute], floor) => {
        const decision = evaluateAt(
          spec,
          instant(day, minute),
          schedulesWith({ minServers: floor }),
        );
        const k = removed(decision);
        expect(k === 0 || decision.inService - k >= Math.max(spec.min, floor)).toBe(true);
        expect(decision.settings?.floor.value).toBe(Math.max(spec.min, floor));
      }),
      RUNS,
    );
  });

  it('removes nothing in a freeze window', () => {
    fc.assert(
      fc.property(fleet, inside, (spec, [day, minute]) => {
        const schedules = schedulesWith({ minServers: 0, maxRemovalsPerGroup: 0 });
        const decision = evaluateAt(spec, instant(day, minute), schedules);
        expect(removed(decision)).toBe(0);
        expect(decision.members.some((m) => m.action === 'remove')).toBe(false);
      }),
      RUNS,
    );
  });

  it('decides as without schedules outside every window', () => {
    fc.assert(
      fc.property(fleet, outside, fc.integer({ min: 0, max: 15 }), (spec, [day, minute], floor) => {
        const now = instant(day, minute);
        const scheduled = evaluateAt(
          spec,
          now,
          schedulesWith({ minServers: floor, maxRemovalsPerGroup: 0 }),
        );
        const global = evaluateAt(spec, now, undefined);
        expect(scheduled.settings?.schedule?.state).toBe('outside');
        delete scheduled.settings?.schedule;
        expect(scheduled).toEqual(global);
      }),
      RUNS,
    );
  });
});

// An oracle for Europe/Berlin in 2026 written from the EU rule (UTC+1, UTC+2
// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
// of October), independent of the Intl data the code reads.
const SUMMER_FROM = Date.parse('2026-03-29T01:00:00Z');
const SUMMER_TO = Date.parse('2026-10-25T01:00:00Z');
const DAYS: Day[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function berlinOracle(now: number): { date: string; day: Day; minutes: number } {
  const offset = now >= SUMMER_FROM && now < SUMMER_TO ? 2 * 60 * MINUTE : 60 * MINUTE;
  const local = new Date(now + offset);
  return {
    date: local.toISOString().slice(0, 10),
    day: DAYS[local.getUTCDay()] as Day,
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
  };
}

const near = (t: number) => fc.integer({ min: t - 2 * DAY_MS, max: t + 2 * DAY_MS });
const year2026 = fc.oneof(
  fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }),
  near(SUMMER_FROM),
  near(SUMMER_TO),
);

describe('time zones (properties)', () => {
  it('reads the Berlin wall clock across both daylight-saving changes', () => {
    fc.assert(
      fc.property(year2026, (now) => {
        expect(localTimeOf(now, 'Europe/Berlin')).toEqual(berlinOracle(now));
      }),
      RUNS,
    );
  });

  it.each([
    {
      name: 'a Sunday 02:00-03:30 window by the wall clock, on DST days too',
      window: { days: ['Sun'], from: '02:00', to: '03:30' },
      covers: (l: { day: Day; minutes: number }) =>
        l.day === 'Sun' && l.minutes >= 120 && l.minutes < 210,
    },
    {
      name: 'a Friday 22:00-06:00 window into Saturday morning',
      window: { days: ['Fri'], from: '22:00', to: '06:00' },
      covers: (l: { day: Day; minutes: number }) =>
        (l.day === 'Fri' && l.minutes >= 22 * 60) || (l.day === 'Sat' && l.minutes < 6 * 60),
    },
  ])('covers $name in Europe/Berlin', ({ window, covers }) => {
    const schedule = SchedulesSchema.parse({
      s: { timeZone: 'Europe/Berlin', windows: [{ ...window, minServers: 1 }] },
    }).s;
    if (schedule === undefined) throw new Error('no schedule');
    fc.assert(
      fc.property(year2026, (now) => {
        expect(scheduleStateAt(schedule, now).kind === 'window').toBe(covers(berlinOracle(now)));
      }),
      RUNS,
    );
  });
});

describe('the test week', () => {
  it('starts on a Shanghai Monday', () => {
    expect(localTimeOf(WEEK_START, 'Asia/Shanghai')).toEqual({
      date: '2026-12-07',
      day: 'Mon',
      minutes: 0,
    });
    expect(WEEK_START % DAY_MS).toBe(DAY_MS - SHANGHAI);
  });
});
