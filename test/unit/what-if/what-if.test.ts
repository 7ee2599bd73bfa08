import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServerGroup } from '../../../lib/huawei/schemas.ts';
import { parseWhatIf } from '../../../lib/what-if/overrides.ts';
import { compareWhatIf, type FetchedGroup } from '../../../lib/what-if/what-if.ts';
import {
  FACTORY_EPOCH,
  isoAt,
  resetFactorySequences,
  scalingPolicyFactory,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';
import { generatePlan, PLAN_LIMITS } from '../../helpers/plan-report.ts';

const MINUTE = 60_000;
const NOW = FACTORY_EPOCH + 10 * 24 * 60 * MINUTE;
const OPTIONS = { now: NOW, limits: PLAN_LIMITS, maxRemovalsPerSweep: 50 } as const;

/**
 * One group (threshold 80 %, shrink 30 min, 2 sessions per server) of four:
 * one with a session (usage 12.5 %), one idle for days without sessions, one
 * whose last session ended 20 min ago, one 60 min ago.
 */
function scenario(): FetchedGroup[] {
  resetFactorySequences();
  const group = serverGroupFactory();
  const [busy, old, recent, hour] = [1, 0, 0, 0].map((count) =>
    serverFactory({ session_count: count }),
  ) as [ReturnType<typeof serverFactory>, ...ReturnType<typeof serverFactory>[]];
  const ended = (machine: string | undefined, minutesAgo: number) =>
    sessionFactory({
      machine_name: machine,
      start_time: isoAt(NOW - (minutesAgo + 30) * MINUTE),
      end_time: isoAt(NOW - minutesAgo * MINUTE),
      last_update_status_time: isoAt(NOW - minutesAgo * MINUTE),
    });
  const sessions = [
    sessionFactory({ machine_name: busy.machine_name, session_state: 'Active', end_time: null }),
    ended(recent?.machine_name, 20),
    ended(hour?.machine_name, 60),
  ];
  const off = serverGroupFactory({ scaling_policy: scalingPolicyFactory({ enable: false }) });
  return [
    { projectId: 'p1', group, servers: [busy, old!, recent!, hour!], sessions },
    {
      projectId: 'p1',
      group: off,
      servers: [serverFactory({ server_group_id: off.id })],
      sessions: [],
    },
  ];
}

describe('compareWhatIf', () => {
  it('plans but never counts as removed a server the remover would refuse', () => {
    const plain = compareWhatIf(scenario(), [], OPTIONS);
    const fleet = scenario();
    const planned = fleet[0]?.servers.filter((s) => s.session_count === 0) ?? [];
    const refused = new Set(planned.slice(0, 1).map((s) => s.id));
    const result = compareWhatIf(fleet, [], { ...OPTIONS, refused });
    expect(plain.baseline.removals).toBeGreaterThan(0);
    expect(result.baseline.plannedRemovals).toBe(plain.baseline.plannedRemovals);
    expect(result.baseline.removals).toBe(plain.baseline.removals - 1);
    expect(result.baseline.serverHoursFreed).toBe(plain.baseline.serverHoursFreed - 24);
  });

  it('re-evaluates the same data under each override set', () => {
    const sets = ['shrink=15', 'min=3', 'shrink=15,maxPerSweep=2', 'threshold=20'].map(parseWhatIf);
    const result = compareWhatIf(scenario(), sets, OPTIONS);
    const [shrink, floor, capped, threshold] = result.sets;
    expect(result.baseline).toMatchObject({ plannedRemovals: 2, removals: 2, riskyCount: 1 });
    expect(result.baseline.decisions).toEqual({
      'scale-in': 1,
      skip: 1,
      'scale-out': 0,
      steady: 0,
    });
    expect(result.baseline.serverHoursFreed).toBe(48);
    expect(shrink).toMatchObject({ plannedRemovals: 3, changedCount: 1, riskyCount: 2 });
    expect(shrink?.changed[0]).toMatchObject({
      from: 'scale-in',
      to: 'scale-in',
      removalsFrom: 2,
      removalsTo: 3,
    });
    expect(shrink?.risky.map((r) => r.machineName).sort()).toEqual(['APS-0003', 'APS-0004']);
    expect(floor).toMatchObject({ plannedRemovals: 1, riskyCount: 0, changedCount: 1 });
    expect(capped).toMatchObject({
      plannedRemovals: 3,
      aborted: true,
      removals: 0,
      serverHoursFreed: 0,
    });
    // 1 session on 4 servers of 2 is 12.5 %: at 20 % removing any idle server would reach it.
    expect(threshold).toMatchObject({ plannedRemovals: 1, changedCount: 1 });
  });

  it('leaves groups without a session policy as they are', () => {
    const result = compareWhatIf(scenario(), [parseWhatIf('shrink=5,threshold=1')], OPTIONS);
    expect(result.sets[0]?.decisions.skip).toBe(1);
  });

  it('removes nothing when the session query failed', () => {
    const [group] = scenario();
    const result = compareWhatIf(
      [{ ...group!, sessions: undefined }],
      [parseWhatIf('shrink=5')],
      OPTIONS,
    );
    expect(result.baseline.plannedRemovals).toBe(0);
    expect(result.sets[0]?.plannedRemovals).toBe(0);
  });

  it('prices the freed server-hours by product and counts the unpriced ones', () => {
    const prices = {
      currency: 'CNY',
      perServerHour: { 'workspace.appstream.general.xlarge.2': 0.5 },
    };
    const priced = compareWhatIf(scenario(), [], { ...OPTIONS, prices });
    expect(priced.baseline.saving).toEqual({ amount: 24, currency: 'CNY', unpricedServerHours: 0 });
    const unpriced = compareWhatIf(scenario(), [], {
      ...OPTIONS,
      prices: { ...prices, perServerHour: {} },
    });
    expect(unpriced.baseline.saving).toEqual({
      amount: 0,
      currency: 'CNY',
      unpricedServerHours: 48,
    });
  });

  it('plans what the sweep plans for a generated fleet', () => {
    const plan = generatePlan({ groups: 120, serversPerGroup: 6, seed: 7 });
    const result = compareWhatIf(plan.fetched, [], {
      ...OPTIONS,
      now: plan.now,
      maxRemovalsPerSweep: 1e6,
    });
    expect(result.baseline.plannedRemovals).toBe(plan.report.totals.plannedRemovals);
    expect(result.baseline.decisions).toEqual(plan.report.totals.decisions);
  });

  it('equals the baseline when the set repeats the baseline values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 5, max: 120 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 10 }),
        (seed, shrink, threshold, min, maxPerGroup) => {
          const plan = generatePlan({ groups: 12, serversPerGroup: 5, seed });
          const fetched = plan.fetched.map((f) => ({
            ...f,
            group: withSessionPolicy(f.group, shrink, threshold),
          }));
          const limits = {
            ...PLAN_LIMITS,
            minServersPerGroup: min,
            maxRemovalsPerGroup: maxPerGroup,
          };
          const set = parseWhatIf(
            `shrink=${shrink},threshold=${threshold},min=${min},maxPerGroup=${maxPerGroup},maxPerSweep=50`,
          );
          const result = compareWhatIf(fetched, [set], {
            now: plan.now,
            limits,
            maxRemovalsPerSweep: 50,
          });
          const same = result.sets[0];
          expect({ ...same, label: 'baseline', overrides: {} }).toEqual(result.baseline);
          expect(same?.changedCount).toBe(0);
        },
      ),
      { numRuns: 60, seed: 14 },
    );
  });

  it('never removes more when the floor rises', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 4 }),
        (seed, min) => {
          const plan = generatePlan({ groups: 12, serversPerGroup: 6, seed });
          const result = compareWhatIf(
            plan.fetched,
            [`min=${min}`, `min=${min + 1}`].map(parseWhatIf),
            {
              now: plan.now,
              limits: PLAN_LIMITS,
              maxRemovalsPerSweep: 1e6,
            },
          );
          const [lower, higher] = result.sets;
          expect(higher!.plannedRemovals).toBeLessThanOrEqual(lower!.plannedRemovals);
        },
      ),
      { numRuns: 40, seed: 15 },
    );
  });
});

function withSessionPolicy(group: ServerGroup, shrink: number, threshold: number): ServerGroup {
  const bySession = group.scaling_policy?.scaling_policy_by_session;
  if (group.scaling_policy == null || bySession == null) return group;
  return {
    ...group,
    scaling_policy: {
      ...group.scaling_policy,
      scaling_policy_by_session: {
        ...bySession,
        shrink_after_session_idle_minutes: shrink,
        session_usage_threshold: threshold,
      },
    },
  };
}
