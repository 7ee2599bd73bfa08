import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config.ts';
import { learnedFloorAt, stormWarningOf } from '../../../lib/history/storm.ts';
import { resolveEffectiveSettings, SCHEDULE_TAG } from '../../../lib/scaling/effective-settings.ts';

const ENV = {
  HUAWEICLOUD_SDK_AK: 'ak',
  HUAWEICLOUD_SDK_SK: 'sk',
  HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
  DRAIN_SECONDS: '0',
};
/** Monday 2026-11-09 07:30 UTC. */
const AT = Date.parse('2026-11-09T07:30:00Z');
const needs = Array.from({ length: 168 }, (_, slot) => (slot === 8 ? 6 : slot === 7 ? 2 : 0));
const entry = { name: 'office', timeZone: 'UTC', needs };
const schedules = {
  schedules: {
    office: {
      timeZone: 'UTC',
      holidays: ['2026-11-16'],
      windows: [{ days: ['Mon' as const], from: '08:00', to: '09:00', minServers: 8 }],
    },
    plain: {
      timeZone: 'UTC',
      holidays: ['2026-11-16'],
      windows: [{ days: ['Sun' as const], from: '08:00', to: '09:00', minServers: 2 }],
    },
  },
};
const base = { minServersPerGroup: 1, maxRemovalsPerGroup: 10, schedules };

describe('LEARNED_FLOORS and HISTORY_WEEKS', () => {
  it('default to warn and 4 weeks', () => {
    expect(loadSettings(ENV)).toMatchObject({ learnedFloors: 'warn', historyWeeks: 4 });
  });

  it.each([
    ['LEARNED_FLOORS', 'sometimes', /LEARNED_FLOORS: /],
    ['HISTORY_WEEKS', '9', /HISTORY_WEEKS: /],
    ['HISTORY_WEEKS', 'two', /HISTORY_WEEKS: expected a whole number of weeks/],
  ])('%s=%s fails naming the variable', (name, value, message) => {
    expect(() => loadSettings({ ...ENV, [name]: value })).toThrow(message);
  });
});

describe('the learned floor (LEARNED_FLOORS=raise)', () => {
  it('is the larger need of this hour and the next, named learned', () => {
    expect(learnedFloorAt(entry, AT)).toEqual({
      value: 6,
      from: 'learned (history of Mon 08:00–09:00)',
    });
    expect(learnedFloorAt(entry, AT - 3 * 3_600_000)).toBeUndefined();
  });

  it('raises a floor and never lowers one', () => {
    const learned = { value: 6, from: 'learned (history of Mon 08:00–09:00)' };
    const raised = resolveEffectiveSettings([], AT, base, learned);
    expect(raised.ok && raised.settings.floor).toEqual(learned);
    const higher = resolveEffectiveSettings(
      [{ key: SCHEDULE_TAG, value: 'office' }],
      AT + 3_600_000,
      base,
      learned,
    );
    expect(higher.ok && higher.settings.floor).toEqual({
      value: 8,
      from: 'schedule office window Mon 08:00-09:00',
    });
  });

  it("adds nothing on a holiday of the group's schedule", () => {
    const holiday = Date.parse('2026-11-16T07:30:00Z');
    const resolved = resolveEffectiveSettings(
      [{ key: SCHEDULE_TAG, value: 'plain' }],
      holiday,
      base,
      { value: 6, from: 'learned' },
    );
    expect(resolved.ok && resolved.settings.floor).toEqual({
      value: 1,
      from: 'MIN_SERVERS_PER_GROUP',
    });
  });
});

describe('stormWarningOf', () => {
  const group = { id: 'g1', name: 'office', tags: [] };

  it('names the group, the hour, the need and the floor when the next hour is short', () => {
    expect(stormWarningOf('p1', group, entry, AT, base, false)).toEqual({
      projectId: 'p1',
      serverGroupId: 'g1',
      serverGroupName: 'office',
      hour: 'Mon 08:00–09:00',
      at: '2026-11-09T08:30:00.000Z',
      need: 6,
      floor: 1,
      floorFrom: 'MIN_SERVERS_PER_GROUP',
      raised: false,
    });
  });

  it('stays quiet when the schedule already covers the need, and on a holiday', () => {
    const office = { ...group, tags: [{ key: SCHEDULE_TAG, value: 'office' }] };
    expect(stormWarningOf('p1', office, entry, AT, base, false)).toBeUndefined();
    const plain = { ...group, tags: [{ key: SCHEDULE_TAG, value: 'plain' }] };
    expect(
      stormWarningOf('p1', plain, entry, Date.parse('2026-11-16T07:30:00Z'), base, false),
    ).toBeUndefined();
    expect(
      stormWarningOf('p1', plain, entry, Date.parse('2026-11-23T07:30:00Z'), base, false)?.need,
    ).toBe(6);
  });
});
