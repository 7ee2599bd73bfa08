import { describe, expect, it } from 'vitest';
import { GroupLines } from '../../../lib/sweep/group-lines.ts';
import { createSweepGuard } from '../../../lib/sweep/guard.ts';
import type { HeldGroup } from '../../../lib/sweep/held.ts';
import type { GroupReport } from '../../../lib/sweep/report.ts';

const line = (i: number): GroupReport => ({
  projectId: 'p1',
  serverGroupId: `sg-${i}`,
  serverGroupName: `group ${i}`,
  decision: 'scale-in',
  usagePercent: 10,
  inService: 3,
  usedSessions: 0,
  memberReasons: { idle: 3 },
  removals: [],
});

const removal = (id: string) => ({
  serverId: id,
  instanceId: `i-${id}`,
  machineName: `APS-${id}`,
  idleMinutes: 90,
});

describe('createSweepGuard', () => {
  it('hands the held groups over on conclude and keeps none itself', () => {
    const lines = new GroupLines();
    const guard = createSweepGuard(lines, { maxRemovalsPerSweep: 10, dryRun: false });
    const held = [1, 2].map((i) => {
      const report = line(i);
      lines.add(i, report, 1);
      expect(guard.admit(report, [removal(`s-${i}`)], (r) => r)).toBe(true);
      const group = { projectId: 'p1', report } as unknown as HeldGroup;
      guard.hold(group);
      return group;
    });
    const first = guard.conclude();
    expect(first.plan.kind).not.toBe('aborted');
    expect(first.held).toEqual(held);
    // Nothing is left behind in the guard to keep a group alive once acted on.
    expect(guard.conclude().held).toEqual([]);
  });
});
