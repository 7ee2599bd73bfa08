import { nameSkippedMembers } from '../../lib/removal/plan/skipped-members.ts';
import { evaluateGroup } from '../../lib/scaling/evaluate.ts';
import type { EvaluationLimits } from '../../lib/scaling/types.ts';
import {
  type GroupReport,
  groupReportOf,
  type SweepReport,
  summarise,
} from '../../lib/sweep/report.ts';
import type { FetchedGroup } from '../../lib/what-if/what-if.ts';
import { generateFleet } from '../../sim/generate-fleet.ts';

/** The baseline limits of a generated plan: the configuration's defaults. */
export const PLAN_LIMITS: EvaluationLimits = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};

export interface GeneratedPlan {
  report: SweepReport;
  fetched: FetchedGroup[];
  now: number;
}

/**
 * A dry-run report of a simulator-generated fleet, built the way the sweep
 * builds one (evaluateGroup and nameSkippedMembers, then groupReportOf, planned removals recorded
 * as `would-remove`), together with each group's fetched data for what-if.
 */
export function generatePlan(options: {
  groups: number;
  serversPerGroup: number;
  seed: number;
  limits?: EvaluationLimits;
  rename?: (name: string, index: number) => string;
  /** Each group's member verdicts in its line (every server named on the page); default false. */
  includeMembers?: boolean;
}): GeneratedPlan {
  const fleet = generateFleet(options);
  const now = Date.parse(fleet.now);
  const limits = options.limits ?? PLAN_LIMITS;
  const servers = byKey(fleet.servers, (s) => s.server_group_id ?? '');
  const sessions = byKey(fleet.sessions ?? [], (s) => s.app_server_group_id ?? '');
  const fetched: FetchedGroup[] = fleet.groups.map((group, i) => ({
    projectId: fleet.projectId,
    group: options.rename === undefined ? group : { ...group, name: options.rename(group.name, i) },
    servers: servers.get(group.id) ?? [],
    sessions: sessions.get(group.id) ?? [],
  }));
  const lines: GroupReport[] = fetched.map((f) => {
    // A skipped group's servers are named with its skip, as the sweep names them.
    const decision = nameSkippedMembers(
      evaluateGroup({ ...f, sessions: f.sessions ?? [], now, limits }),
      f.servers,
    );
    const line = groupReportOf(f.projectId, decision, {
      includeMembers: options.includeMembers === true,
    });
    if (decision.kind === 'scale-in') {
      line.removals = decision.remove.map((r) => ({
        serverId: r.serverId,
        instanceId: r.instanceId,
        machineName: r.machineName,
        idleMinutes: Math.floor(r.idleMinutes),
        outcome: 'would-remove',
      }));
    }
    return line;
  });
  const report: SweepReport = {
    kind: 'sweep',
    mode: 'inline',
    dryRun: true,
    status: 'completed',
    startedAt: fleet.now,
    durationMs: 0,
    projects: [fleet.projectId],
    totals: summarise(lines),
    requests: { requests: 0, retries: 0, throttled: 0 },
    notVisited: [],
    notVisitedCount: 0,
    errors: [],
    groups: lines,
    groupsOmitted: 0,
  };
  return { report, fetched, now };
}

function byKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list === undefined) map.set(key(item), [item]);
    else list.push(item);
  }
  return map;
}
