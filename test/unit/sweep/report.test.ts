import { describe, expect, it } from 'vitest';
import { GroupLines } from '../../../lib/sweep/group-lines.ts';
import {
  type GroupReport,
  groupReportOf,
  REPORTED_GROUPS,
  summarise,
} from '../../../lib/sweep/report.ts';

const group = (i: number, overrides: Partial<GroupReport> = {}): GroupReport => ({
  projectId: 'p1',
  serverGroupId: `sg-${i}`,
  serverGroupName: `group ${i}`,
  decision: 'steady',
  usagePercent: 10,
  inService: 3,
  usedSessions: 1,
  memberReasons: { busy: 1 },
  removals: [],
  ...overrides,
});

const removal = (id: string) => ({
  serverId: id,
  instanceId: `i-${id}`,
  machineName: `APS-${id}`,
  idleMinutes: 90,
  outcome: 'removed' as const,
});

// The lines a sweep's GroupLines lists of `groups`, fed in listing order.
function bound(groups: readonly GroupReport[]): { groups: GroupReport[]; omitted: number } {
  const lines = new GroupLines();
  groups.forEach((g, i) => {
    lines.add(i, g, 0);
  });
  return { groups: lines.lines(), omitted: lines.omitted };
}

describe('the report bound (GroupLines)', () => {
  it('keeps every group of a fleet up to the limit', () => {
    const groups = Array.from({ length: REPORTED_GROUPS }, (_, i) => group(i));
    expect(bound(groups)).toEqual({ groups, omitted: 0 });
  });

  it('lists only the eventful groups of a larger fleet, in order, and counts the rest', () => {
    const groups = Array.from({ length: 3 * REPORTED_GROUPS }, (_, i) =>
      i % 100 === 0
        ? group(i, { decision: 'scale-in', removals: [removal(`s${i}`)] })
        : i % 100 === 1
          ? group(i, { decision: 'skip', reason: 'incomplete-data', error: 'listing failed' })
          : group(i),
    );
    const { groups: kept, omitted } = bound(groups);
    expect(kept.map((g) => g.serverGroupId)).toEqual(
      groups.filter((_, i) => i % 100 <= 1).map((g) => g.serverGroupId),
    );
    expect(omitted).toBe(groups.length - kept.length);
  });

  it('never lists more than the limit however eventful the fleet', () => {
    const groups = Array.from({ length: 5 * REPORTED_GROUPS }, (_, i) =>
      group(i, { decision: 'scale-out', recommendedScaleOut: 1 }),
    );
    const { groups: kept, omitted } = bound(groups);
    expect(kept).toHaveLength(REPORTED_GROUPS);
    expect(omitted).toBe(4 * REPORTED_GROUPS);
  });

  it('keeps a 10,000-group report of 10 removals each under 6 MB', () => {
    const groups = Array.from({ length: 10_000 }, (_, i) =>
      group(i, {
        decision: 'scale-in',
        removals: Array.from({ length: 10 }, (_, k) => removal(`${i}-${k}`)),
      }),
    );
    const totals = summarise(groups);
    const { groups: kept, omitted } = bound(groups);
    const size = Buffer.byteLength(JSON.stringify({ totals, groups: kept, omitted }));
    expect(size).toBeLessThan(6 * 1024 * 1024);
    expect(totals.outcomes.removed).toBe(100_000);
  });
});

describe('GroupLines', () => {
  it('holds the same lines whatever order groups finish in, and counts every group in the totals', () => {
    const groups = Array.from({ length: 2_500 }, (_, i) =>
      i % 7 === 0 ? group(i, { decision: 'scale-out', recommendedScaleOut: 2 }) : group(i),
    );
    const lines = new GroupLines();
    // Finish out of order, as concurrent groups do.
    for (const i of [...groups.keys()].reverse()) lines.add(i, groups[i] as GroupReport, 0);
    expect(lines.lines()).toEqual(bound(groups).groups);
    expect(lines.omitted).toBe(bound(groups).omitted);
    expect(lines.totals.groups).toBe(2_500);
    expect(lines.totals.decisions['scale-out']).toBe(Math.ceil(2_500 / 7));
    expect(lines.totals.recommendedScaleOut).toBe(2 * Math.ceil(2_500 / 7));
  });

  it('counts the outcome of a removal whose line is no longer listed', () => {
    const lines = new GroupLines();
    const scaleOuts = Array.from({ length: REPORTED_GROUPS + 1 }, (_, i) =>
      group(i, { decision: 'scale-out', recommendedScaleOut: 1 }),
    );
    for (const [i, g] of scaleOuts.entries()) lines.add(i, g, 0);
    const late = group(99_999, { decision: 'scale-in' });
    lines.add(99_999, late, 1);
    lines.record(late, removal('s-late'));
    expect(lines.lines()).not.toContain(late);
    expect(lines.totals.outcomes.removed).toBe(1);
    expect(lines.totals.plannedRemovals).toBe(1);
    // A line left out of the report keeps no removals: the sweep holds its line while it acts.
    expect(late.removals).toEqual([]);
  });

  it('a group held for acting keeps its line only when the line is listed', () => {
    const lines = new GroupLines();
    for (let i = 0; i <= REPORTED_GROUPS; i++) {
      lines.add(i, group(i, { decision: 'scale-out', recommendedScaleOut: 1 }), 0);
    }
    const listed = lines.lines()[0] as GroupReport;
    expect(lines.forActing(listed)).toBe(listed);
    const late = group(99_999, { decision: 'scale-in' });
    lines.add(99_999, late, 1);
    const held = lines.forActing(late);
    expect(held).not.toBe(late);
    expect(Object.isFrozen(held)).toBe(true);
    lines.record(held, removal('s-late'));
    expect(lines.totals.outcomes.removed).toBe(1);
    expect(held.removals).toEqual([]);
  });

  it('a listed line keeps each removal recorded on it', () => {
    const lines = new GroupLines();
    const line = group(1, { decision: 'scale-in' });
    lines.add(1, line, 2);
    lines.record(line, removal('s-1'));
    lines.record(line, { ...removal('s-2'), outcome: 'skipped-busy' });
    expect(lines.lines()[0]?.removals.map((r) => r.outcome)).toEqual(['removed', 'skipped-busy']);
  });
});

describe('groupReportOf', () => {
  const base = {
    groupId: 'sg-1',
    groupName: 'group 1',
    members: [],
    inService: 2,
    usedSessions: 1,
    sessionsPerServer: 1,
    usagePercent: 50,
  };

  it('carries a removal hold and the resource thresholds of an evaluated group', () => {
    const hold = { reason: 'unmatched-session' as const, detail: 'session s-9 matches no member' };
    const resourceThresholds = { cpuPercent: 70, memPercent: 80 };
    const report = groupReportOf(
      'p1',
      { ...base, kind: 'steady', thresholdPercent: 80, hold, resourceThresholds },
      { includeMembers: false },
    );
    expect(report).toMatchObject({ decision: 'steady', hold, resourceThresholds });
  });

  it('leaves both out when the decision has neither', () => {
    const report = groupReportOf(
      'p1',
      { ...base, kind: 'steady', thresholdPercent: 80 },
      { includeMembers: false },
    );
    expect(report).not.toHaveProperty('hold');
    expect(report).not.toHaveProperty('resourceThresholds');
  });
});
