import { describe, expect, it } from 'vitest';
import {
  describeWindow,
  localTimeOf,
  type Schedule,
  ScheduleSchema,
  scheduleStateAt,
  windowCovers,
} from '../../../lib/scaling/schedule.ts';

const BUSINESS: Schedule = ScheduleSchema.parse({
  timeZone: 'Asia/Shanghai',
  holidays: ['2026-12-25'],
  windows: [
    { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '08:00', to: '19:00', minServers: 5 },
    { days: ['Sat'], from: '09:00', to: '13:00', minServers: 2, maxRemovalsPerGroup: 0 },
  ],
});

const NIGHTS: Schedule = ScheduleSchema.parse({
  timeZone: 'Europe/Berlin',
  windows: [{ days: ['Fri'], from: '22:00', to: '06:00', minServers: 3 }],
});

describe('localTimeOf', () => {
  it('reads the wall clock of the zone', () => {
    // 2026-12-07T01:00Z is Monday 09:00 in Shanghai (UTC+8).
    expect(localTimeOf(Date.parse('2026-12-07T01:00:00Z'), 'Asia/Shanghai')).toEqual({
      date: '2026-12-07',
      day: 'Mon',
      minutes: 9 * 60,
    });
    // The same instant is Sunday 20:00 in New York (UTC-5 in December).
    expect(localTimeOf(Date.parse('2026-12-07T01:00:00Z'), 'America/New_York')).toEqual({
      date: '2026-12-06',
      day: 'Sun',
      minutes: 20 * 60,
    });
  });

  it('follows daylight saving in Europe/Berlin', () => {
    // Summer time: UTC+2; winter time: UTC+1 (2026 switches on 29 March and 25 October).
    expect(localTimeOf(Date.parse('2026-03-29T00:59:00Z'), 'Europe/Berlin').minutes).toBe(119);
    expect(localTimeOf(Date.parse('2026-03-29T01:00:00Z'), 'Europe/Berlin').minutes).toBe(180);
    expect(localTimeOf(Date.parse('2026-10-25T00:30:00Z'), 'Europe/Berlin').minutes).toBe(150);
    expect(localTimeOf(Date.parse('2026-10-25T01:30:00Z'), 'Europe/Berlin').minutes).toBe(150);
  });
});

describe('localTimeOf, read again', () => {
  it('reads each minute afresh, also right after another reading', () => {
    const t = Date.parse('2026-03-29T00:59:00Z');
    expect(localTimeOf(t, 'Europe/Berlin').minutes).toBe(119);
    expect(localTimeOf(t + 59_999, 'Europe/Berlin').minutes).toBe(119);
    expect(localTimeOf(t + 60_000, 'Europe/Berlin').minutes).toBe(180);
    expect(localTimeOf(t + 120_000, 'Europe/Berlin').minutes).toBe(181);
  });
});

describe('scheduleStateAt', () => {
  it.each([
    ['2026-12-06T23:59:00Z', 'outside', 'Mon 07:59 local'],
    ['2026-12-07T01:00:00Z', 'window 0', 'Mon 09:00 local'],
    ['2026-12-07T10:59:00Z', 'window 0', 'Mon 18:59 local'],
    ['2026-12-07T11:00:00Z', 'outside', 'Mon 19:00 local: the end is exclusive'],
    ['2026-12-12T02:00:00Z', 'window 1', 'Sat 10:00 local'],
    ['2026-12-13T02:00:00Z', 'outside', 'Sun 10:00 local'],
    ['2026-12-25T02:00:00Z', 'holiday', 'Fri 10:00 local on a holiday'],
    ['2026-12-24T16:30:00Z', 'holiday', 'Fri 00:30 local: the holiday is the local date'],
    ['2026-12-24T10:00:00Z', 'window 0', 'Thu 18:00 local, the day before'],
  ])('at %s is %s (%s)', (at, expected) => {
    const state = scheduleStateAt(BUSINESS, Date.parse(at));
    const seen = state.kind === 'window' ? `window ${state.index}` : state.kind;
    expect(seen).toBe(expected);
  });

  it.each([
    ['2026-12-11T20:59:00Z', false, 'Fri 21:59'],
    ['2026-12-11T21:00:00Z', true, 'Fri 22:00'],
    ['2026-12-12T04:59:00Z', true, 'Sat 05:59, after midnight'],
    ['2026-12-12T05:00:00Z', false, 'Sat 06:00'],
    ['2026-12-12T21:30:00Z', false, 'Sat 22:30: Saturday starts no window'],
    ['2026-12-13T02:00:00Z', false, 'Sun 03:00'],
  ])('runs a window across midnight: at %s covered is %s (%s)', (at, covered) => {
    expect(scheduleStateAt(NIGHTS, Date.parse(at)).kind === 'window').toBe(covered);
  });
});

describe('windowCovers', () => {
  it('treats 24:00 as the end of the day', () => {
    const window = { days: ['Sun' as const], from: '20:00', to: '24:00', minServers: 1 };
    expect(windowCovers(window, { date: '2026-12-13', day: 'Sun', minutes: 1439 })).toBe(true);
    expect(windowCovers(window, { date: '2026-12-14', day: 'Mon', minutes: 0 })).toBe(false);
  });
});

describe('describeWindow', () => {
  it.each([
    [['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], 'Mon-Fri 08:00-19:00'],
    [['Sat', 'Sun'], 'Sat,Sun 08:00-19:00'],
    [['Fri', 'Mon', 'Wed'], 'Mon,Wed,Fri 08:00-19:00'],
  ] as const)('names %j as %s', (days, text) => {
    expect(describeWindow({ days: [...days], from: '08:00', to: '19:00', minServers: 1 })).toBe(
      text,
    );
  });
});
