import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// events/fleets/schedules.json: five groups of six idle servers; SCHEDULES in
// schedules/example.json: `office` (Asia/Shanghai, Mon-Fri 08:00-19:00
// floor 4, Sat 09:00-13:00 freeze, holiday 2026-12-25) and `support`
// (Europe/Berlin, every day 20:00-02:00 floor 3). MIN_SERVERS_PER_GROUP 1.
const FLEET = fileURLToPath(new URL('../../../events/fleets/schedules.json', import.meta.url));
const SCHEDULES = fileURLToPath(new URL('../../../schedules/example.json', import.meta.url));

const INSTANTS = [
  {
    at: '2026-12-07T00:30:00Z',
    why: 'Mon 08:30 in Shanghai (office window), 01:30 in Berlin (support window since Sunday 20:00)',
    removed: { 'sg-office': 2, 'sg-support': 3, 'sg-global': 5, 'sg-override': 1, 'sg-typo': 0 },
    office:
      'floor 4 from schedule office window Mon-Fri 08:00-19:00; max-removals 10 from MAX_REMOVALS_PER_GROUP',
  },
  {
    at: '2026-12-12T02:00:00Z',
    why: 'Sat 10:00 in Shanghai (freeze window), 03:00 in Berlin (outside)',
    removed: { 'sg-office': 0, 'sg-support': 5, 'sg-global': 5, 'sg-override': 1, 'sg-typo': 0 },
    office:
      'floor 2 from schedule office window Sat 09:00-13:00; max-removals 0 from schedule office window Sat 09:00-13:00',
  },
  {
    at: '2026-12-25T02:00:00Z',
    why: 'Fri 10:00 in Shanghai on its holiday, 03:00 in Berlin (outside)',
    removed: { 'sg-office': 5, 'sg-support': 5, 'sg-global': 5, 'sg-override': 1, 'sg-typo': 0 },
    office:
      'floor 1 from MIN_SERVERS_PER_GROUP; max-removals 10 from MAX_REMOVALS_PER_GROUP; schedule office: holiday 2026-12-25',
  },
  {
    at: '2026-12-25T20:00:00Z',
    why: 'Sat 04:00 in Shanghai (outside), Fri 21:00 in Berlin (support window)',
    removed: { 'sg-office': 5, 'sg-support': 3, 'sg-global': 5, 'sg-override': 1, 'sg-typo': 0 },
    office:
      'floor 1 from MIN_SERVERS_PER_GROUP; max-removals 10 from MAX_REMOVALS_PER_GROUP; schedule office: outside its windows',
  },
];

describe('a sweep of groups on two schedules with a holiday, at four instants', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startFrozenSimulator({ fleet: FLEET });
  });
  afterAll(() => sim.close());

  it.each(INSTANTS)('at $at ($why) removes exactly what the windows allow', async (instant) => {
    sim.reset();
    sim.clock.set(Date.parse(instant.at));
    const { logger, logs } = capturingLogger();
    const handler = createSweepHandler(
      depsFor(sim, { env: { SCHEDULES_FILE: SCHEDULES }, logger }),
    );
    const report: SweepReport = await handler(
      loadEvent('schedule.json'),
      fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
    );
    expect(report.status).toBe('completed');
    const removed = Object.fromEntries(
      report.groups.map((g) => [
        g.serverGroupId,
        g.removals.filter((r) => r.outcome === 'removed').length,
      ]),
    );
    expect(removed).toEqual(instant.removed);
    for (const [group, count] of Object.entries(instant.removed)) {
      expect(sim.state.membersOf(group)).toHaveLength(6 - count);
    }
    expect(sim.state.servers.filter((s) => s.maintain_status === true)).toEqual([]);

    const audit = (group: string) =>
      logs.lines.find((l) => l['audit'] === 'decision' && l['serverGroupId'] === group);
    expect(audit('sg-office')?.['settings']).toBe(instant.office);
    expect(audit('sg-override')?.['settings']).toContain(
      'floor 5 from tag aps-autoscaler:min-servers',
    );
    expect(audit('sg-typo')).toMatchObject({
      level: 'WARN',
      decision: 'skip',
      reason: 'unknown-schedule',
      detail: expect.stringContaining('"ofice"'),
    });
    const office = report.groups.find((g) => g.serverGroupId === 'sg-office');
    expect(office?.settings?.schedule).toMatchObject({ name: 'office', chosenBy: 'tag' });
  });
});
