import { type Config, evaluationLimitsOf } from '../../lib/config.ts';
import type { HuaweiApiError } from '../../lib/errors.ts';
import { createRequestLimiter } from '../../lib/huawei/request-limiter.ts';
import { type Log, silentLog } from '../../lib/logger.ts';
import type { GroupEvaluation } from '../../lib/removal/lifecycle.ts';
import { REFUSAL_OUTCOMES } from '../../lib/removal/lifecycle.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { runSweep } from '../../lib/sweep/sweep.ts';
import type { WhatIfSet } from '../../lib/what-if/overrides.ts';
import type { PriceTable } from '../../lib/what-if/prices.ts';
import {
  compareWhatIf,
  type FetchedGroup,
  type WhatIfComparison,
} from '../../lib/what-if/what-if.ts';
import {
  asRemovalServices,
  createPlanServices,
  observeReads,
  sessionsAsOf,
} from './plan-services.ts';

/** The configuration plan mode reads: where to read from and the baseline policy. */
export type PlanConfig = Pick<
  Config,
  | 'credentials'
  | 'projectId'
  | 'apsEndpoint'
  | 'ecsEndpoint'
  | 'removalMode'
  | 'minServersPerGroup'
  | 'maxRemovalsPerGroup'
  | 'maxRemovalsPerSweep'
  | 'protectTagKey'
  | 'schedules'
  | 'logoff'
  | 'churn'
  | 'sessionLookbackHours'
  | 'maxConcurrency'
  | 'rateLimitRps'
  | 'httpTimeoutMs'
> &
  Partial<Pick<Config, 'budgets'>>;

export interface PlanProgress {
  evaluated: number;
  listed: number;
  requests: number;
  throttled: number;
}

export interface PlanRunOptions {
  config: PlanConfig;
  whatIf?: readonly WhatIfSet[];
  prices?: PriceTable | undefined;
  /** The one evaluation instant of the sweep and every what-if set; default: now. */
  now?: number;
  /**
   * `--at`: evaluate at this instant (epoch ms) the data fetched at `now`:
   * the session listing still covers the look-back window before `now`.
   */
  at?: number | undefined;
  fetch?: typeof globalThis.fetch;
  log?: Log;
  /** Called after each group is evaluated. */
  onProgress?: ((progress: PlanProgress) => void) | undefined;
}

export interface PlanResult {
  report: SweepReport;
  whatIf: WhatIfComparison;
  /** Groups whose fetched data the what-if re-evaluated (all evaluated groups). */
  fetchedGroups: number;
  /** Set when the key or the project was refused (401/403): nothing else is meaningful. */
  denied?: HuaweiApiError;
  /** Mutating calls that reached plan mode's services and were refused: always empty unless broken. */
  refused: string[];
}

/** The servers the dry run found the remover would refuse (the groups the report lists). */
export function refusedBy(report: SweepReport): Set<string> {
  return new Set(
    report.groups
      .flatMap((g) => g.removals)
      .filter((r) => REFUSAL_OUTCOMES.includes(r.outcome))
      .map((r) => r.serverId),
  );
}

/** The fetched data of one evaluation, as what-if takes it. */
export function fetchedOf(projectId: string, evaluation: GroupEvaluation): FetchedGroup {
  const { decision, error } = evaluation;
  // A failed member listing made the decision skip / incomplete-data with the error as detail.
  const incomplete =
    error !== undefined &&
    decision.kind === 'skip' &&
    decision.reason === 'incomplete-data' &&
    decision.detail === (error.message || 'incomplete listing')
      ? error.message
      : undefined;
  return {
    projectId,
    group: evaluation.group,
    servers: evaluation.servers,
    sessions: evaluation.sessions,
    incomplete,
  };
}

/**
 * The sweep pipeline in plan mode: inline, dry run, over read-only services
 * (see plan-services.ts), whatever DRY_RUN or SWEEP_MODE say; then the
 * what-if sets over the very data the sweep fetched (kept through runSweep's
 * `onEvaluated`, never fetched again), at the same `now`.
 */
export async function runPlan(options: PlanRunOptions): Promise<PlanResult> {
  const { config } = options;
  const fetchedAt = options.now ?? Date.now();
  const now = options.at ?? fetchedAt;
  const log = options.log ?? silentLog;
  const limiter = createRequestLimiter({
    maxConcurrency: config.maxConcurrency,
    rateLimitRps: config.rateLimitRps,
  });
  const { services, stats } = createPlanServices(
    {
      credentials: config.credentials,
      projectId: config.projectId,
      apsEndpoint: config.apsEndpoint,
      ecsEndpoint: config.ecsEndpoint,
    },
    { limiter, timeoutMs: config.httpTimeoutMs, log, fetch: options.fetch },
  );
  const seen: { listed: number; denied?: HuaweiApiError | undefined } = { listed: 0 };
  const refused: string[] = [];
  const reads = observeReads(services.aps, seen);
  const pipeline = asRemovalServices(
    {
      ...services,
      aps:
        options.at === undefined
          ? reads
          : sessionsAsOf(reads, fetchedAt, config.sessionLookbackHours),
    },
    (what) => refused.push(what),
  );
  const fetched: FetchedGroup[] = [];
  const requestStats = () => {
    const s = stats();
    return { requests: s.requests, retries: s.retries, throttled: s.throttled };
  };
  const limits = evaluationLimitsOf(config);

  const report = await runSweep({
    projects: [{ projectId: config.projectId, services: pipeline }],
    mode: 'inline',
    settings: {
      dryRun: true,
      removalMode: config.removalMode,
      limits,
      sessionLookbackHours: config.sessionLookbackHours,
      now: () => now,
      // A dry run never waits: no drain, no release job to follow.
      sleep: async () => {},
      // Budgets count against an empty ledger: the plan reads no drain table.
      budgets: config.budgets ?? [],
    },
    maxRemovalsPerSweep: config.maxRemovalsPerSweep,
    concurrency: config.maxConcurrency,
    stats: requestStats,
    onEvaluated: (projectId, evaluation) => {
      fetched.push(fetchedOf(projectId, evaluation));
      if (options.onProgress !== undefined) {
        const s = stats();
        options.onProgress({
          evaluated: fetched.length,
          listed: seen.listed,
          requests: s.requests,
          throttled: s.throttled,
        });
      }
    },
  });
  const whatIf = compareWhatIf(fetched, options.whatIf ?? [], {
    now,
    limits,
    maxRemovalsPerSweep: config.maxRemovalsPerSweep,
    prices: options.prices,
    refused: refusedBy(report),
    budgets: { budgets: config.budgets ?? [], schedules: limits.schedules?.schedules ?? {} },
  });
  return {
    report,
    whatIf,
    fetchedGroups: fetched.length,
    refused,
    ...(seen.denied === undefined ? {} : { denied: seen.denied }),
  };
}

/** The one line a refused key or project prints: what, where, the request id, what to check. */
export function deniedLine(
  error: HuaweiApiError,
  config: Pick<Config, 'projectId' | 'apsEndpoint'>,
): string {
  const hint =
    error.status === 401
      ? 'the key pair is wrong or expired: check HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN for a temporary key)'
      : `the key may not read project ${config.projectId}: check HUAWEICLOUD_SDK_PROJECT_ID and HUAWEICLOUD_SDK_REGION`;
  return (
    `plan: access denied (${error.status}${error.code ? ` ${error.code}` : ''}) by ${config.apsEndpoint}, ` +
    `request id ${error.requestId ?? 'none'}: ${hint}`
  );
}
