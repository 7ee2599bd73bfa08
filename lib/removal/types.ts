// The shapes every part of a removal shares. Types only: the bottom layer
// of lib/removal, imported by the lifecycle and its drivers, importing none.

import type { Budget } from '../budgets/budget.ts';
import type { RemovalMode } from '../config.ts';
import type { ApsClient } from '../huawei/aps-client.ts';
import type { EcsClient } from '../huawei/ecs-client.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import type { Log } from '../logger.ts';
import type { FailureMetric } from '../metric-names.ts';
import type { LogoffText } from '../scaling/logoff.ts';
import type { Decision, EvaluationLimits } from '../scaling/types.ts';
import type { BudgetLedger } from './budget/ledger.ts';
import type { GroupLease } from './lease/group-lease.ts';
import type { DrainStore } from './store/drain-store.ts';

/** The ECS server group ids holding an instance (empty: it is in none). */
export type EcsGroupResolver = (instanceUuid: string) => Promise<readonly string[]>;

/** Where drains are kept and groups are leased (lib/removal/store/drain-store.ts, group-lease.ts). */
export interface DrainServices {
  store: Pick<
    DrainStore,
    | 'recordDrains'
    | 'getDrain'
    | 'listDrains'
    | 'markActing'
    | 'claimDrains'
    | 'confirmMaintenance'
    | 'endDrains'
    | 'takeAndRecord'
  >;
  lease: Pick<GroupLease, 'acquireLease' | 'renewLease' | 'releaseLease'>;
}

/** The clients one project's pipeline calls. */
export interface RemovalServices {
  aps: Pick<
    ApsClient,
    | 'listServerGroups'
    | 'getServerGroup'
    | 'listServers'
    | 'listSessions'
    | 'getServer'
    | 'batchDeleteServers'
    | 'getJob'
    | 'batchSetMaintenance'
    | 'logoffSessions'
  >;
  ecs: Pick<EcsClient, 'removeMember' | 'showServerGroup' | 'listServerGroups' | 'serverGroupsOf'>;
  /** Instance → ECS groups, one listing per project per invocation (functions/invocation.ts). */
  ecsGroupsOf?: EcsGroupResolver;
  log: Log;
  /** Drain records and group leases; required when `drainSeconds` > 0. */
  drains?: DrainServices;
  /** The disruption budgets' ledger (lib/removal/budget/ledger.ts); set whenever BUDGETS is. */
  budgetLedger?: BudgetLedger;
  /**
   * Counts a failure no report line carries (a budget admission not ended) as
   * a metric, at once (lib/metrics.ts `failureCounter`); none: not counted.
   */
  countFailure?: (metric: FailureMetric) => void;
}

/** What the pipeline needs to know besides the data: all from config or the event. */
export interface RemovalSettings {
  projectId: string;
  dryRun: boolean;
  removalMode: RemovalMode;
  limits: EvaluationLimits;
  sessionLookbackHours: number;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** Waits on the same clock (a drain period, a release job's poll interval). */
  sleep: (ms: number) => Promise<void>;
  /**
   * The time budget, epoch ms: no new group, removal, drain wait or job poll
   * starts after it (the invocation's end less what the report needs).
   */
  deadlineAt?: number | undefined;
  /**
   * The time budget as one object (lib/removal/time-budget.ts `budgetOf`): left
   * out, it is made from `deadlineAt` and `now`. Tests pass their own.
   */
  budget?: TimeBudget | undefined;
  /** DRAIN_SECONDS: 0 or unset acts at once, through the same re-check (docs/drain-lifecycle.md). */
  drainSeconds?: number;
  /**
   * LOGOFF_MESSAGE and LOGOFF_DELAY_SECONDS: what a drain sends when it logs off
   * a removal's abandoned sessions; set whenever LOGOFF_DISCONNECTED_AFTER_MINUTES is.
   */
  logoff?: LogoffText | undefined;
  /** BUDGETS: checked where drains start (lib/removal/drain/admit.ts); none: no cap. */
  budgets?: readonly Budget[] | undefined;
}

/** A group's fetched data and its decision. */
export interface GroupEvaluation {
  group: ServerGroup;
  decision: Decision;
  servers: readonly AppServer[];
  sessions: readonly SessionInfo[] | undefined;
  /** A listing that failed: the decision is then `skip` / `incomplete-data` or nothing is idle. */
  error?: { message: string; transient: boolean; requestId?: string | undefined };
  /**
   * The listing the decision was made from: when it began (epoch ms, the
   * settings' clock) and how many members it found. A drain started later
   * without reading the group again uses both (lib/removal/drain/leased-start.ts).
   */
  listed?: { atMs: number; members: number };
  /**
   * A skipped group's member listing that failed (lib/removal/plan/plan-group.ts,
   * `nameSkipped`): its servers go unnamed; the group and its decision stand.
   */
  membersNotListed?: string;
}

/**
 * The invocation's one time budget, on the settings' clock: no group,
 * removal, drain wait or job poll starts after `deadlineAt` (the
 * invocation's end less what the report needs). The place a removal budget
 * (issue 29) would be checked too.
 */
export interface TimeBudget {
  /** Epoch ms; infinite when the run has no deadline (a local CLI run). */
  deadlineAt: number;
  /** Whether another group or removal may still start. */
  hasTime(): boolean;
  /** Whether a wait until `untilMs` ends within the budget, and for how long. */
  waitUntil(untilMs: number): { kind: 'wait'; ms: number } | { kind: 'undo'; reason: 'deadline' };
}
