import type { RemovalOutcome } from './removal/outcome.ts';

/**
 * The one list of metric names, namespace and dimensions: lib/metrics.ts
 * emits them and serverless.yml's alarms and dashboard use them (a test over
 * the packaged template checks every name it spells is one of these).
 */
export const METRICS_NAMESPACE = 'ApsAutoscaler';

/** The service dimension Powertools adds to every metric. */
export const METRICS_SERVICE = 'aps-autoscaler';

export const METRIC = {
  groupsEvaluated: 'GroupsEvaluated',
  serversIdle: 'ServersIdle',
  /** Dimension `Outcome`: one of REMOVAL_OUTCOMES. */
  removals: 'Removals',
  wouldRemove: 'WouldRemove',
  /** Dimension `Status`: one of SWEEP_STATUSES; 1 for the status the sweep ended in. */
  sweeps: 'Sweeps',
  apiErrors: 'ApiErrors',
  throttles: 'Throttles',
  retries: 'Retries',
  deadLettered: 'DeadLettered',
  serverHoursFreed: 'ServerHoursFreed',
  estimatedMonthlySaving: 'EstimatedMonthlySaving',
  /** Groups whose floor for the next hour is below the learned need (lib/history/storm.ts). */
  stormWarnings: 'StormWarnings',
  /** 1 when the demand history was not written or the learned needs not read. */
  historyFailures: 'HistoryFailures',
  /** 1 when a sweep's notice could not be published (lib/notice/send-notice.ts). */
  noticeFailures: 'NoticeFailures',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Dimension names; every metric also carries `service` and `stage`. */
export const DIMENSION = {
  service: 'service',
  stage: 'stage',
  outcome: 'Outcome',
  status: 'Status',
} as const;

/**
 * Every removal outcome, including those the ECS-group contract and drain
 * work add (`not-in-ecs-group`, `prepaid`,
 * `unknown-charging-mode`, `drain-undone`).
 */
export const REMOVAL_OUTCOMES = [
  'removed',
  'already-removed',
  'would-remove',
  'skipped-busy',
  'skipped-changed',
  'skipped-deadline',
  'skipped-aborted',
  'failed',
  'not-in-ecs-group',
  'prepaid',
  'unknown-charging-mode',
  'drain-undone',
  'budget',
] as const;

export type RemovalOutcomeName = (typeof REMOVAL_OUTCOMES)[number];

/** Fails to compile when lib/sweep/report.ts gains an outcome this list lacks. */
export type EveryOutcomeListed = AssertNever<Exclude<RemovalOutcome, RemovalOutcomeName>>;
type AssertNever<T extends never> = T;

export const SWEEP_STATUSES = ['completed', 'partial', 'aborted'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];
