// The leaf of lib/removal: the vocabulary every part of a removal speaks.
// Types only, so every layer may import it and it imports nothing back.

/** Why a drain ends without the action; the report and logs carry it. */
export type UndoReason =
  | 'session-arrived'
  | 'recently-used'
  | 'policy-changed'
  | 'not-a-member'
  | 'maintenance-lifted'
  | 'not-in-service'
  | 'protected'
  | 'job-running'
  | 'unknown-activity'
  | 'floor'
  | 'deadline';

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
  | 'drain-undone'
  /** A disruption budget (BUDGETS) held it back: `detail` names the budget and when it frees up. */
  | 'budget';

/** One planned removal's end: the report line, the audit line and the metrics are made of it. */
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

/** A drain an earlier run left behind, finished or undone by this one, with its group. */
export type RecoveredDrain = RemovalReport & { projectId: string; serverGroupId: string };

/**
 * What becomes of a queue message: `done` (acknowledged), `retry` (back to
 * SQS for another delivery) or `dead-letter` (no delivery can help).
 */
export type MessageFate = 'done' | 'retry' | 'dead-letter';
