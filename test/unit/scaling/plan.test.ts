import { describe, expect, it } from 'vitest';
import { countPlannedRemovals, planRemovals } from '../../../lib/scaling/plan.ts';
import type { Decision, Removal } from '../../../lib/scaling/types.ts';

const base = {
  groupName: 'g',
  members: [],
  inService: 5,
  usedSessions: 0,
  sessionsPerServer: 1,
  usagePercent: 0,
};

function removal(id: string): Removal {
  return { serverId: id, instanceId: undefined, machineName: undefined, idleMinutes: 60 };
}

function scaleIn(groupId: string, count: number): Decision {
  return {
    ...base,
    groupId,
    kind: 'scale-in',
    remove: Array.from({ length: count }, (_, i) => removal(`${groupId}-${i}`)),
    usageAfterPercent: 0,
    thresholdPercent: 80,
  };
}

const others: Decision[] = [
  { ...base, groupId: 'skip', kind: 'skip', reason: 'protected' },
  { ...base, groupId: 'out', kind: 'scale-out', recommended: 3, thresholdPercent: 50 },
  { ...base, groupId: 'steady', kind: 'steady', thresholdPercent: undefined },
];

describe('countPlannedRemovals', () => {
  it('counts the removals of scale-in decisions only', () => {
    expect(countPlannedRemovals([scaleIn('a', 2), ...others, scaleIn('b', 3)])).toBe(5);
  });

  it('counts 0 for no decisions', () => {
    expect(countPlannedRemovals([])).toBe(0);
  });
});

describe('planRemovals', () => {
  it.each<[string, Decision[], number, string]>([
    ['proceeds below the cap', [scaleIn('a', 2), scaleIn('b', 1)], 4, 'proceed'],
    ['proceeds exactly at the cap', [scaleIn('a', 2), scaleIn('b', 2)], 4, 'proceed'],
    ['aborts one above the cap', [scaleIn('a', 3), scaleIn('b', 2)], 4, 'aborted'],
    ['proceeds with nothing planned and a cap of 0', others, 0, 'proceed'],
    ['aborts any removal with a cap of 0', [scaleIn('a', 1)], 0, 'aborted'],
    [
      'aborts any removal with a cap that is not a number',
      [scaleIn('a', 1)],
      Number.NaN,
      'aborted',
    ],
  ])('%s', (_name, decisions, cap, kind) => {
    const plan = planRemovals(countPlannedRemovals(decisions), { maxRemovalsPerSweep: cap });
    expect(plan.kind).toBe(kind);
    expect(plan.planned).toBe(countPlannedRemovals(decisions));
  });

  it('says why it aborts, with the planned count and the cap', () => {
    expect(
      planRemovals(countPlannedRemovals([scaleIn('a', 7)]), { maxRemovalsPerSweep: 5 }),
    ).toEqual({
      kind: 'aborted',
      planned: 7,
      cap: 5,
      reason:
        '7 removals planned across the sweep exceed MAX_REMOVALS_PER_SWEEP (5); nothing is removed',
    });
  });
});
