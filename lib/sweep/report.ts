import type { HistoryWrite, StormWarning } from '../history/types.ts';
import type { RemovalOutcome, RemovalReport } from '../removal/lifecycle.ts';
import type { EffectiveSettings } from '../scaling/effective-settings.ts';
import type {
  Decision,
  MemberVerdict,
  RemovalHold,
  ResourceThresholds,
  SkipReason,
} from '../scaling/types.ts';

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
  /** A skipped group whose members could not be listed (the error): its servers go unnamed. */
  membersNotListed?: string;
  /** A secondary (standby) group: the primary groups it backs up (non-empty `primary_server_group_ids`). */
  secondaryOf?: string[];
  /** The floor and per-group cap applied and where each came from (global, tag, schedule window). */
  settings?: EffectiveSettings;
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
  /**
   * Failures that stopped part of the sweep: a group listing (groups after
   * it were not seen; no `source`), the drain table (`drain-store`: nothing
   * was drained or removed in that project) or the queue (`queue`).
   */
  errors: { projectId: string; error: string; source?: 'drain-store' | 'queue' }[];
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
  /** The demand history this sweep wrote (lib/history/sweep-history.ts); absent when none is kept. */
  history?: HistoryWrite;
  /** Groups whose floor for the next hour is below the learned need; absent without learned needs. */
  stormWarnings?: StormWarning[];
}

/** Groups listed one by one in a report; see SweepReport.groups. */
export const REPORTED_GROUPS = 1_000;
/** Groups whose member verdicts are listed; beyond it only the counts per reason. */
export const MEMBER_DETAIL_GROUPS = 200;

/** What each error of a report stopped, in words: `listing`, `drain-store` or `queue`. */
export function errorSource(error: SweepReport['errors'][number]): string {
  return error.source ?? 'listing';
}

/** The report's errors counted by source, in the order first met: `[['listing', 1], …]`. */
export function errorCounts(report: Pick<SweepReport, 'errors'>): [string, number][] {
  const counts = new Map<string, number>();
  for (const e of report.errors) counts.set(errorSource(e), (counts.get(errorSource(e)) ?? 0) + 1);
  return [...counts];
}

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
      budget: 0,
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
  options: {
    includeMembers: boolean;
    error?: string | undefined;
    membersNotListed?: string | undefined;
  },
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
  if (decision.settings !== undefined) report.settings = decision.settings;
  if (options.includeMembers) report.members = decision.members.map(withWholeMinutes);
  if (options.error !== undefined) report.error = options.error;
  if (options.membersNotListed !== undefined) report.membersNotListed = options.membersNotListed;
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
