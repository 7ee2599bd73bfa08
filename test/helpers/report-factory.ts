import type { RemovalReport } from '../../lib/removal/outcome.ts';
import type { GroupReport, SweepReport } from '../../lib/sweep/report.ts';
import { summarise } from '../../lib/sweep/report.ts';

/** One removal line; `outcome` defaults to `removed`. */
export function removalFactory(overrides: Partial<RemovalReport> = {}): RemovalReport {
  return {
    serverId: 'srv-1',
    instanceId: 'i-1',
    machineName: 'aps-1',
    idleMinutes: 90,
    outcome: 'removed',
    ...overrides,
  };
}

/** One group line that scales in with `removals`. */
export function groupReportFactory(overrides: Partial<GroupReport> = {}): GroupReport {
  return {
    projectId: 'p1',
    serverGroupId: 'sg-1',
    serverGroupName: 'group 1',
    decision: 'scale-in',
    usagePercent: 10,
    inService: 4,
    usedSessions: 1,
    memberReasons: { idle: 2, busy: 2 },
    removals: [],
    ...overrides,
  };
}

/** A sweep report whose totals are counted from `groups`. */
export function sweepReportFactory(
  groups: GroupReport[],
  overrides: Partial<SweepReport> = {},
): SweepReport {
  return {
    kind: 'sweep',
    mode: 'inline',
    dryRun: false,
    status: 'completed',
    startedAt: '2026-11-29T22:00:00.000Z',
    durationMs: 1234,
    projects: ['p1'],
    totals: summarise(groups),
    requests: { requests: 20, retries: 2, throttled: 1 },
    notVisited: [],
    notVisitedCount: 0,
    errors: [],
    groups,
    groupsOmitted: 0,
    ...overrides,
  };
}
