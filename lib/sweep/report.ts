import type { UndoReason } from '../removal/recheck.ts';
import type {
  Decision,
  MemberVerdict,
  RemovalHold,
  ResourceThresholds,
  SkipReason,
} from '../scaling/types.ts';

/** What happened to one planned removal. */
export type RemovalOutcome =
  | 'removed'
  | 'already-removed'
  | 'would-remove'
  | 'skipped-busy'
  | 'skipped-changed'
  | 'skipped-deadline'
  | 'skipped-aborted'
  | 'failed'
  /** `remove-member`: the instance is in no ECS server group; nothing was called. */
  | 'not-in-ecs-group'
  /** `release`: a yearly/monthly server, never released (unsubscribe it instead). */
  | 'prepaid'
  /** `release`: `metadata.charging_mode` missing or unknown, so not released. */
  | 'unknown-charging-mode'
  /** The server was drained, then its maintenance undone (`undoReason` says why). */
  | 'drain-undone';

export interface RemovalReport {
  serverId: string;
  instanceId: string | undefined;
  machineName: string | undefined;
  idleMinutes: number;
  outcome: RemovalOutcome;
  /** Why it was skipped or failed, in words. */
  detail?: string;
  requestId?: string;
  /** Set on `failed` when the cause was transient (throttling, 5xx, timeout, network). */
  retryable?: boolean;
  /** The server's flavor, when it was read before acting: prices the saving (lib/savings.ts). */
  flavorId?: string;
  /** `remove-member`: the ECS server group(s) the instance was in (never the APS group id). */
  ecsServerGroupIds?: string[];
  /** Set when the server went through maintenance first: the drain period, seconds. */
  drainedSeconds?: number;
  /** Why a drain ended without the action (`drain-undone`). */
  undoReason?: UndoReason;
}

/** One group's line in a report: the decision, its figures and what was done. */
export interface GroupReport {
  projectId: string;
  serverGroupId: string;
  serverGroupName: string;
  decision: Decision['kind'];
  reason?: SkipReason;
  detail?: string;
  usagePercent: number;
  usageAfterPercent?: number;
  thresholdPercent?: number;
  inService: number;
  usedSessions: number;
  recommendedScaleOut?: number;
  /** Why an evaluated group removes nothing although members are idle. */
  hold?: RemovalHold;
  /** The group's `scaling_policy_by_resource` thresholds, when it has any. */
  resourceThresholds?: ResourceThresholds;
  /** Each member's verdict; left out in summary reports of very large sweeps. */
  members?: MemberVerdict[];
  memberReasons: Record<string, number>;
  removals: RemovalReport[];
  /** A listing failure that made this group `incomplete-data`. */
  error?: string;
  /** A secondary (standby) group: the primary groups it backs up (non-empty `primary_server_group_ids`). */
  secondaryOf?: string[];
}

/** What a sweep covered: the projects and region, and the enterprise project of the group listing. */
export interface SweepScope {
  projects: string[];
  region: string;
  /** `default`: no ENTERPRISE_PROJECT_ID, the API's default scope. */
  enterpriseProjectId: string;
}

export interface RequestStats {
  requests: number;
  retries: number;
  throttled: number;
}

export interface ReportTotals {
  groups: number;
  decisions: Record<Decision['kind'], number>;
  plannedRemovals: number;
  outcomes: Record<RemovalOutcome, number>;
  recommendedScaleOut: number;
}

/** The sweep handler's return value. */
export interface SweepReport {
  kind: 'sweep';
  mode: 'inline' | 'fanout';
  dryRun: boolean;
  /** `aborted`: the sweep cap was exceeded; `partial`: a listing failed or the deadline came. */
  status: 'completed' | 'aborted' | 'partial';
  abortReason?: string;
  startedAt: string;
  durationMs: number;
  projects: string[];
  /** Set when the sweep knows it: projects, region and enterprise project swept. */
  scope?: SweepScope;
  totals: ReportTotals;
  requests: RequestStats;
  /** Groups listed but not evaluated because the invocation ran out of time (at most 1,000 ids). */
  notVisited: { projectId: string; serverGroupId: string }[];
  notVisitedCount: number;
  /** Listing failures: groups after the failure were not seen. */
  errors: { projectId: string; error: string }[];
  /**
   * Drains an earlier invocation left (it died between drain and action):
   * this sweep finished or undid each first. Counted in `totals.outcomes`.
   */
  recovered?: (RemovalReport & { projectId: string; serverGroupId: string })[];
  /** Fanout only: messages put on the remediation queue, and those that could not be. */
  enqueued?: { sent: number; failed: { serverGroupId: string; error: string }[] };
  /**
   * One line per group, in listing order. Beyond REPORTED_GROUPS groups only
   * the eventful ones (acting, scaling out or failed) are listed, up to that
   * many; `groupsOmitted` counts the rest. `totals` always covers every group.
   */
  groups: GroupReport[];
  groupsOmitted: number;
}

/** Groups listed one by one in a report; see SweepReport.groups. */
export const REPORTED_GROUPS = 1_000;
/** Groups whose member verdicts are listed; beyond it only the counts per reason. */
export const MEMBER_DETAIL_GROUPS = 200;

/** A group the operator wants to see even in a summary: it acts, scales out or failed. */
export function isEventful(group: GroupReport): boolean {
  return (
    group.decision === 'scale-in' ||
    group.decision === 'scale-out' ||
    group.removals.length > 0 ||
    group.error !== undefined ||
    group.reason === 'incomplete-data'
  );
}

/**
 * Keeps a report within Lambda's 6 MB response limit however large the
 * fleet: at most REPORTED_GROUPS lines; with more groups than that, only the
 * eventful ones. Call after the totals are counted.
 */
export function boundGroups(groups: readonly GroupReport[]): {
  groups: GroupReport[];
  omitted: number;
} {
  if (groups.length <= REPORTED_GROUPS) return { groups: [...groups], omitted: 0 };
  const kept = groups.filter(isEventful).slice(0, REPORTED_GROUPS);
  return { groups: kept, omitted: groups.length - kept.length };
}

/** Counts each member reason kind, e.g. `{ idle: 2, busy: 3 }`. */
export function countReasons(members: readonly MemberVerdict[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const member of members) counts[member.reason.kind] = (counts[member.reason.kind] ?? 0) + 1;
  return counts;
}

/** Adds the decisions and removal outcomes of `groups` into fresh totals. */
export function summarise(groups: readonly GroupReport[]): ReportTotals {
  const totals: ReportTotals = {
    groups: groups.length,
    decisions: { skip: 0, 'scale-out': 0, 'scale-in': 0, steady: 0 },
    plannedRemovals: 0,
    outcomes: {
      removed: 0,
      'already-removed': 0,
      'would-remove': 0,
      'skipped-busy': 0,
      'skipped-changed': 0,
      'skipped-deadline': 0,
      'skipped-aborted': 0,
      'drain-undone': 0,
      failed: 0,
      'not-in-ecs-group': 0,
      prepaid: 0,
      'unknown-charging-mode': 0,
    },
    recommendedScaleOut: 0,
  };
  for (const group of groups) {
    totals.decisions[group.decision]++;
    totals.plannedRemovals += group.removals.length;
    totals.recommendedScaleOut += group.recommendedScaleOut ?? 0;
    for (const removal of group.removals) totals.outcomes[removal.outcome]++;
  }
  return totals;
}

/** The report line of one decision, before anything is acted on. */
export function groupReportOf(
  projectId: string,
  decision: Decision,
  options: { includeMembers: boolean; error?: string | undefined },
): GroupReport {
  const report: GroupReport = {
    projectId,
    serverGroupId: decision.groupId,
    serverGroupName: decision.groupName,
    decision: decision.kind,
    usagePercent: round(decision.usagePercent),
    inService: decision.inService,
    usedSessions: decision.usedSessions,
    memberReasons: countReasons(decision.members),
    removals: [],
  };
  if (decision.kind === 'skip') {
    report.reason = decision.reason;
    if (decision.detail !== undefined) report.detail = decision.detail;
  }
  if (decision.kind === 'scale-out') {
    report.recommendedScaleOut = decision.recommended;
    report.thresholdPercent = decision.thresholdPercent;
  }
  if (
    (decision.kind === 'scale-in' || decision.kind === 'steady') &&
    decision.thresholdPercent !== undefined
  ) {
    report.thresholdPercent = decision.thresholdPercent;
  }
  if (decision.kind === 'scale-in') report.usageAfterPercent = round(decision.usageAfterPercent);
  if (decision.kind !== 'skip') {
    if (decision.hold !== undefined) report.hold = decision.hold;
    if (decision.resourceThresholds !== undefined) {
      report.resourceThresholds = decision.resourceThresholds;
    }
  }
  if (options.includeMembers) report.members = decision.members.map(withWholeMinutes);
  if (options.error !== undefined) report.error = options.error;
  return report;
}

/** Marks a secondary (standby) group's line with the primary groups it backs up. */
export function markSecondary(
  report: GroupReport,
  group: { primary_server_group_ids?: string[] | null | undefined },
): GroupReport {
  const primaries = group.primary_server_group_ids ?? [];
  if (primaries.length > 0) report.secondaryOf = [...primaries];
  return report;
}

/** A verdict whose reason shows whole minutes, as removal reports do; the decision keeps the exact figure. */
function withWholeMinutes(member: MemberVerdict): MemberVerdict {
  const { reason } = member;
  if (!('idleMinutes' in reason)) return member;
  return { ...member, reason: { ...reason, idleMinutes: Math.floor(reason.idleMinutes) } };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
