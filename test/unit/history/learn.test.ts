import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { learnNeeds, nearestRank } from '../../../lib/history/learn.ts';
import { recommendFloors } from '../../../lib/history/recommend.ts';
import type { HistorySample } from '../../../lib/history/sample.ts';
import { decodeSamples, encodeSamples, sampleKeyOf } from '../../../lib/history/store.ts';
import { SCHEDULE_TAG } from '../../../lib/scaling/effective-settings.ts';

const MONDAY = Date.parse('2026-11-02T00:00:00Z');
const WEEK = 7 * 86_400_000;
const HOUR = 3_600_000;

function sample(at: number, used: number, group = 'g1'): HistorySample {
  return {
    t: new Date(at).toISOString(),
    group,
    name: 'office',
    inService: 3,
    used,
    perServer: 4,
    removals: 0,
    floor: 1,
  };
}

/** Monday 09:00 of week `w` with `used` sessions, and a quiet Monday 03:00. */
function weeks(used: readonly number[]): HistorySample[] {
  return used.flatMap((u, w) => [
    sample(MONDAY + w * WEEK + 9 * HOUR, u),
    sample(MONDAY + w * WEEK + 3 * HOUR, 0),
  ]);
}

describe('nearestRank', () => {
  it.each([
    [[1, 2, 3, 4], 90, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[5], 50, 5],
    [[], 90, -1],
  ])('%j at p%i is %i', (values, p, expected) => {
    expect(nearestRank(values, p)).toBe(expected);
  });
});

describe('learnNeeds', () => {
  const options = { timeZoneOf: () => 'UTC' };

  it('learns the p90 of the weekly peaks of servers filled, plus 10 % rounded', () => {
    // 20 sessions at 4 a server fill 5 servers: need 5 + round(0.5) = 6.
    const [learned] = learnNeeds(weeks([20, 17, 20]), options);
    expect(learned?.weeks).toBe(3);
    expect(learned?.peaks[9]).toBe(5);
    expect(learned?.needs[9]).toBe(6);
    expect(learned?.atPeak[9]).toBe(3);
    expect(learned?.needs[3]).toBe(0);
  });

  it('needs two weeks of history before it learns anything', () => {
    expect(learnNeeds(weeks([20]), options)).toEqual([]);
  });

  it('leaves a holiday out of the history', () => {
    const holiday = new Date(MONDAY + WEEK).toISOString().slice(0, 10);
    const [learned] = learnNeeds(weeks([20, 40, 20]), {
      ...options,
      holidaysOf: () => new Set([holiday]),
    });
    expect(learned?.peaks[9]).toBe(5);
    expect(learned?.seen[9]).toBe(2);
  });
});

describe('recommendFloors', () => {
  const learned = learnNeeds(weeks([20, 20]), { timeZoneOf: () => 'UTC' });
  const group = { projectId: 'p1', group: 'g1', name: 'office' };

  it('recommends a window with its evidence and the tag that selects it', () => {
    const rec = recommendFloors(
      learned,
      [{ ...group, tags: [] }],
      { minServersPerGroup: 1, schedules: { schedules: {} }, timeZone: 'UTC' },
      MONDAY,
    );
    expect(rec.schedules['learned-g1']?.windows).toEqual([
      { days: ['Mon'], from: '09:00', to: '10:00', minServers: 6 },
    ]);
    expect(rec.lines).toContain(
      '  Mon 09:00-10:00 floor 6: peak 5 servers on 2 of the last 2 Mondays 09:00–10:00',
    );
    expect(rec.tags).toEqual([
      {
        projectId: 'p1',
        serverGroupId: 'g1',
        name: 'office',
        tags: [{ key: SCHEDULE_TAG, value: 'learned-g1' }],
      },
    ]);
  });

  it('never lowers an operator floor: keeps it, says so, and keeps the holidays', () => {
    const schedules = {
      ops: {
        timeZone: 'UTC',
        holidays: ['2026-12-25'],
        windows: [
          { days: ['Mon' as const], from: '09:00', to: '11:00', minServers: 9 },
          { days: ['Sun' as const], from: '01:00', to: '02:00', maxRemovalsPerGroup: 0 },
        ],
      },
    };
    const rec = recommendFloors(
      learned,
      [{ ...group, tags: [{ key: SCHEDULE_TAG, value: 'ops' }] }],
      { minServersPerGroup: 1, schedules: { schedules }, timeZone: 'UTC' },
      MONDAY,
    );
    const schedule = rec.schedules['learned-g1'];
    expect(schedule?.holidays).toEqual(['2026-12-25']);
    expect(schedule?.windows).toEqual([
      { days: ['Mon'], from: '09:00', to: '11:00', minServers: 9 },
    ]);
    expect(rec.lines.join('\n')).toContain(
      'kept: your floor 9 at Mon 09:00–10:00 (and 1 more hours) is above the learned need 6',
    );
    expect(rec.lines.join('\n')).toContain(
      'sets maxRemovalsPerGroup 0; the learned schedule carries floors only',
    );
  });

  it('says when a group has too little history', () => {
    const rec = recommendFloors(
      [],
      [{ ...group, tags: [] }],
      { minServersPerGroup: 1, schedules: { schedules: {} }, timeZone: 'UTC' },
      MONDAY,
    );
    expect(rec.lines).toEqual([
      'office (g1): not enough history (needs 2 weeks): no recommendation',
    ]);
    expect(rec.schedules).toEqual({});
  });
});

describe('the history objects', () => {
  it('are named by project, UTC date and hour, one per sweep', () => {
    expect(sampleKeyOf('p1', Date.parse('2026-11-09T07:30:00Z'), 'req-1')).toBe(
      'history/samples/project=p1/dt=2026-11-09/hour=07/req-1.jsonl.gz',
    );
  });

  it('round-trip as gzipped JSON lines, a line that does not fit counted and left out', async () => {
    const samples = weeks([20, 17]);
    expect(await decodeSamples(await encodeSamples(samples))).toEqual({ samples, bad: 0 });
    const mixed = gzipSync(`${JSON.stringify(samples[0])}\n{"t":"x"}\nnot json\n`);
    expect(await decodeSamples(mixed)).toEqual({ samples: [samples[0]], bad: 2 });
  });
});
