import type { AppServer, ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import type { EffectiveSettings, EffectiveValue, ScheduleSettings } from './effective-settings.ts';

/**
 * The limits of the evaluation, taken from the configuration; a group's tags
 * and schedule turn them into its own (lib/scaling/effective-settings.ts).
 */
export interface EvaluationLimits {
  /** Servers that stay in service whatever happens (MIN_SERVERS_PER_GROUP). */
  minServersPerGroup: number;
  /** Most servers removed from one group in one run (MAX_REMOVALS_PER_GROUP). */
  maxRemovalsPerGroup: number;
  /** A group or server carrying a tag with this key is never touched (PROTECT_TAG_KEY). */
  protectTagKey: string;
  /** SCHEDULES and DEFAULT_SCHEDULE; none: the global floor and cap all day. */
  schedules?: ScheduleSettings | undefined;
  /**
   * LOGOFF_DISCONNECTED_AFTER_MINUTES: a server whose only in-use sessions
   * have been `Disconnected` this long counts as idle (its sessions to be
   * logged off named in the verdict); none: any such session keeps it.
   */
  logoffDisconnectedAfterMinutes?: number | undefined;
  /** LEARNED_FLOORS=raise: a group's learned floor at an instant (lib/history/storm.ts). */
  learnedFloorOf?: ((groupId: string, now: number) => EffectiveValue | undefined) | undefined;
  /** MIN_SERVER_AGE_MINUTES and SCALE_OUT_COOLDOWN_MINUTES (lib/scaling/churn.ts); none: off. */
  churn?: ChurnSettings | undefined;
}

/** MIN_SERVER_AGE_MINUTES and SCALE_OUT_COOLDOWN_MINUTES; 0 turns each off. */
export interface ChurnSettings {
  /** No server younger than this (its `create_time`) is removed. */
  minServerAgeMinutes: number;
  /** No group is scaled in this long after its last scale-out. */
  scaleOutCooldownMinutes: number;
}

/** LOGOFF_DISCONNECTED_AFTER_MINUTES, LOGOFF_MESSAGE and LOGOFF_DELAY_SECONDS. */
export interface LogoffSettings {
  /** A session `Disconnected` this long (minutes) is abandoned. */
  disconnectedAfterMinutes: number;
  /** Shown to the user of each logged-off session. */
  message: string;
  /** Seconds between the log-off notice and the log-off (the API's `delay_time`). */
  delaySeconds: number;
}

/** A session query that failed: nothing is known about the group's sessions. */
export interface SessionQueryFailure {
  error: string;
  /** Not a failure: the sessions were not listed because no decision could use them. */
  notListed?: boolean;
}

/** Everything `evaluateGroup` looks at; the caller fetches it, the evaluation only reads it. */
export interface EvaluateGroupInput {
  group: ServerGroup;
  /** Every member of the group (all pages). */
  servers: readonly AppServer[];
  /** The group's sessions of the look-back window, or the failure of that query. */
  sessions: readonly SessionInfo[] | SessionQueryFailure;
  /** Evaluation time, epoch milliseconds. */
  now: number;
  limits: EvaluationLimits;
  /**
   * Set by the pipeline when a listing failed or came back incomplete (the
   * error text); the decision is then `skip` / `incomplete-data`.
   */
  incomplete?: string | undefined;
}

/** Session states that mean somebody is (or may be about to be) on the server. */
export type BusySessionState = 'Active' | 'Disconnected' | 'AppcInit';

/** The in-service fields of an AppServer; `not-in-service` names the first one that fails. */
export type InServiceField = 'status' | 'vm_status' | 'maintain_status';

/** Why a member is not an idle candidate, or that it is one (`idle`). */
export type AssessedReason =
  | {
      kind: 'not-in-service';
      detail: InServiceField /** the value seen, rendered */;
      value: string;
      /** Set when the value is none the SDK documents (e.g. status `RECOVERING`). */
      unknown?: true;
    }
  | { kind: 'protected' }
  /** A `freeze` entry with effect 2 (not releasable) or an effect the SDK does not document. */
  | { kind: 'freeze-protected'; effect: number }
  /** job_status `WAITING`, `RUNNING`, or a value the SDK does not document. */
  | { kind: 'job-running'; jobStatus: string }
  /** task_status other than `"null"`, empty or absent (docs/huawei-api.md). */
  | { kind: 'task-running'; taskStatus: string }
  | { kind: 'busy'; sessionCount: number }
  | { kind: 'active-session'; sessionId: string; state: BusySessionState }
  | { kind: 'unknown-activity'; detail: string }
  | { kind: 'recently-used'; idleMinutes: number; thresholdMinutes: number }
  /** Idle, but the server carries `aps-autoscaler:hold-until` still in force; `detail` names its end. */
  | { kind: 'held'; detail: string }
  /** Idle, but younger than MIN_SERVER_AGE_MINUTES (its create_time). */
  | { kind: 'recently-created'; ageMinutes: number; minimumMinutes: number }
  | {
      kind: 'idle';
      idleMinutes: number;
      /** Abandoned `Disconnected` sessions to log off before removal (LOGOFF_DISCONNECTED_AFTER_MINUTES). */
      logoff?: string[];
    };

/**
 * Why an idle candidate is kept: removing it too would break the floor, the
 * per-group cap, or the anti-flap rule (usage after removal below threshold).
 */
export type HeldReason = {
  kind: 'floor' | 'group-cap' | 'anti-flap' | 'unmatched-session' | 'cooldown';
  idleMinutes: number;
  /** As on `idle`: the abandoned sessions a removal would log off. */
  logoff?: string[];
};

/**
 * A member of a group skipped as a whole (`skip`): never assessed, kept with
 * its group's skip reason (lib/removal/plan/skipped-members.ts).
 */
export interface GroupSkippedReason {
  kind: 'group-skipped';
  skip: SkipReason;
}

/**
 * The reason attached to each member's verdict. `idleMinutes` and
 * `thresholdMinutes` are minutes, `idleMinutes` fractional (milliseconds / 60 000).
 */
export type MemberReason = AssessedReason | HeldReason | GroupSkippedReason;

/** What happens to one member in this run, and why. */
export interface MemberVerdict {
  serverId: string;
  machineName: string | undefined;
  instanceId: string | undefined;
  action: 'keep' | 'remove';
  reason: MemberReason;
}

/** One member chosen for removal. */
export interface Removal {
  serverId: string;
  /** The ECS instance UUID the remove action takes. */
  instanceId: string | undefined;
  machineName: string | undefined;
  /** Fractional minutes since the member's last activity. */
  idleMinutes: number;
  /**
   * Abandoned `Disconnected` sessions the lifecycle logs off while the server
   * drains (POST /session/logoff); it removes the server only when the
   * re-check then finds no session at all.
   */
  logoffSessionIds?: string[];
}

export type SkipReason =
  | 'policy-disabled'
  | 'group-disabled'
  | 'protected'
  | 'invalid-policy'
  | 'incomplete-data'
  /** The group carries `aps-autoscaler:hold-until` still in force (or unparsable); `detail` names its end. */
  | 'held'
  /** The schedule tag names no schedule of SCHEDULES. */
  | 'unknown-schedule'
  /** An override tag's value is not digits; `detail` names the tag. */
  | 'invalid-override';

/**
 * Why a group that is not skipped removes nothing although members are idle:
 * an in-use session (Active, Disconnected, AppcInit or an unknown state) joins
 * no member by machine_name, machine_sid or vm_ip, so it may be on any of them.
 */
export interface RemovalHold {
  /** `cooldown`: APS scaled the group out less than SCALE_OUT_COOLDOWN_MINUTES ago. */
  reason: 'unmatched-session' | 'cooldown';
  /** Names the smallest such session id and the keys it carries. */
  detail: string;
}

/** `scaling_policy_by_resource`: thresholds (percent) shown, not acted on. */
export interface ResourceThresholds {
  cpuPercent?: number;
  memPercent?: number;
  gpuPercent?: number;
}

/** Figures every decision carries, whatever its kind. */
export interface DecisionBase {
  groupId: string;
  groupName: string;
  /**
   * One verdict per member, sorted by server id; for `skip`, empty or, when
   * the planner listed the members, each kept as `group-skipped`.
   */
  members: MemberVerdict[];
  /** `n`: members with status REGISTERED, vm_status ACTIVE and maintain_status false. */
  inService: number;
  /** `used`: the sum of `session_count` over all members. */
  usedSessions: number;
  /** `s`: sessions one server takes: 1 when `is_vdi`, else `product_info.sessions`, at least 1. */
  sessionsPerServer: number;
  /** `100 × used / (n × s)`, 0 when `n` is 0. */
  usagePercent: number;
  /** The floor and per-group cap applied, with their sources; absent when skipped before they were resolved. */
  settings?: EffectiveSettings;
}

export interface SkipDecision extends DecisionBase {
  kind: 'skip';
  reason: SkipReason;
  /** For `invalid-policy`: the offending fields, e.g. `scaling_policy.single_expansion_count: must be 1–10`. */
  detail?: string;
}

/** What an evaluated (not skipped) decision carries besides the base figures. */
export interface EvaluatedBase extends DecisionBase {
  /** Set when removals are held (then nothing is removed). */
  hold?: RemovalHold;
  /** The group's resource thresholds, when its policy has any. */
  resourceThresholds?: ResourceThresholds;
}

export interface ScaleOutDecision extends EvaluatedBase {
  kind: 'scale-out';
  /** Servers to add, a recommendation only: nothing is removed. */
  recommended: number;
  thresholdPercent: number;
}

export interface ScaleInDecision extends EvaluatedBase {
  kind: 'scale-in';
  /** Longest idle first, ties by server id; never empty. */
  remove: Removal[];
  /** Usage once `remove` is gone: `100 × used / ((n − k) × s)`, 0 when `n − k` is 0. */
  usageAfterPercent: number;
  thresholdPercent: number | undefined;
}

export interface SteadyDecision extends EvaluatedBase {
  kind: 'steady';
  thresholdPercent: number | undefined;
}

/** The outcome of evaluating one group. */
export type Decision = SkipDecision | ScaleOutDecision | ScaleInDecision | SteadyDecision;

/** The answer to a request to remove one specific member (a `remove-member` message). */
export type RemovalVerdict =
  | { allowed: true; removal: Removal; decision: Decision }
  | { allowed: false; reason: string; decision: Decision };

/** Whether a sweep may act on its planned removals. */
export type SweepPlan =
  | { kind: 'proceed'; planned: number }
  | { kind: 'aborted'; planned: number; cap: number; reason: string };
