import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { condenseWindows } from '../../../lib/history/condense.ts';
import { ScheduleSchema, scheduleStateAt } from '../../../lib/scaling/schedule.ts';

const RUNS = { numRuns: 300, seed: 20_261_207 } as const;
/** Monday 2026-12-07 00:00 UTC. */
const MONDAY = Date.parse('2026-12-07T00:00:00Z');
const HOUR = 3_600_000;

/** The floor a schedule of these windows gives at each hour of the week (first match, as the sweep reads it). */
function floorsOf(windows: ReturnType<typeof condenseWindows>, base: number): number[] {
  if (windows.length === 0) return Array.from({ length: 168 }, () => base);
  const schedule = ScheduleSchema.parse({ timeZone: 'UTC', windows });
  return Array.from({ length: 168 }, (_, slot) => {
    const state = scheduleStateAt(schedule, MONDAY + slot * HOUR + 30 * 60_000);
    return state.kind === 'window' ? Math.max(base, state.window.minServers ?? 0) : base;
  });
}

describe('condenseWindows', () => {
  it('never leaves an hour below its floor, read first-match as the sweep reads SCHEDULES', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 168, maxLength: 168 }),
        fc.integer({ min: 0, max: 3 }),
        (floors, base) => {
          const given = floorsOf(condenseWindows(floors, base), base);
          for (let slot = 0; slot < 168; slot++) {
            expect(given[slot]).toBeGreaterThanOrEqual(floors[slot] ?? 0);
          }
        },
      ),
      RUNS,
    );
  });

  it('never asks more than the highest hourly floor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 168, maxLength: 168 }),
        (floors) => {
          const given = floorsOf(condenseWindows(floors, 0), 0);
          const top = Math.max(...floors);
          for (const value of given) expect(value).toBeLessThanOrEqual(top);
        },
      ),
      RUNS,
    );
  });

  it('condenses a planted office week into two windows: Mon-Fri 08:00-18:00 and Mon 08:00-12:00', () => {
    const floors = Array.from({ length: 168 }, (_, slot) => {
      const day = Math.floor(slot / 24);
      const hour = slot % 24;
      if (day > 4 || hour < 8 || hour >= 18) return 1;
      return day === 0 && hour < 12 ? 12 : 6;
    });
    expect(condenseWindows(floors, 1)).toEqual([
      { days: ['Mon'], from: '08:00', to: '12:00', minServers: 12 },
      { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '08:00', to: '18:00', minServers: 6 },
    ]);
  });
});
