import { type Config, endpointsForRegion, evaluationLimitsOf } from '../lib/config.ts';
import { createApsClient } from '../lib/huawei/aps-client.ts';
import { createEcsClient } from '../lib/huawei/ecs-client.ts';
import { createHttpCore, type HttpCore } from '../lib/huawei/http.ts';
import { createRequestLimiter } from '../lib/huawei/request-limiter.ts';
import type { Transport } from '../lib/huawei/transport.ts';
import type { Log } from '../lib/logger.ts';
import type {
  DrainServices,
  DynamoClientFactory,
  RemovalServices,
  RemovalSettings,
  TableServices,
} from '../lib/removal/lifecycle.ts';
import { createEcsGroupResolver } from '../lib/removal/lifecycle.ts';
import type { RequestStats } from '../lib/sweep/report.ts';

export interface InvocationOptions {
  /** Epoch ms after which no request may be in flight (the Lambda's end, less a margin). */
  deadlineAt: number;
  log: Log;
  fetch?: typeof globalThis.fetch;
  /** Replaces the HTTP core's default transport (benchmarks measure through it). */
  transport?: Transport;
  now?: () => number;
  /**
   * Makes the drain table's services and the budgets' ledger
   * (lib/removal/drain-services.ts); given only by the functions that
   * remove. Without it nothing drains and no budget is admitted against.
   */
  tables?: TableServices;
  /** The DynamoDB client of the drain table (the SDK's default chain when left out). */
  dynamo?: DynamoClientFactory;
  /** Waits on the clock of `now` (a drain period, job polls); real timers when left out. */
  sleep?: (ms: number) => Promise<void>;
}

/** The clients of one invocation: one request budget shared by every project's clients. */
export interface Invocation {
  servicesFor(projectId: string, region?: string): RemovalServices;
  settingsFor(projectId: string, overrides?: { dryRun?: boolean | undefined }): RemovalSettings;
  stats(): RequestStats;
}

/** Time kept back at the end of an invocation: for requests in flight and the report. */
export function reserveMs(config: Pick<Config, 'httpTimeoutMs'>, budgetMs: number): number {
  return Math.min(Math.max(2 * config.httpTimeoutMs, 5_000), Math.floor(budgetMs / 3));
}

/**
 * Builds the per-invocation clients: a request limiter (MAX_CONCURRENCY,
 * RATE_LIMIT_RPS) shared by the HTTP cores of every project touched, each
 * core bound to the invocation's deadline. Endpoints come from the config
 * overrides, else from the project's region.
 */
export function createInvocation(config: Config, options: InvocationOptions): Invocation {
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const limiter = createRequestLimiter({
    maxConcurrency: config.maxConcurrency,
    rateLimitRps: config.rateLimitRps,
    now,
  });
  const cores: HttpCore[] = [];
  const services = new Map<string, RemovalServices>();
  const budget = options.deadlineAt - now();
  // The one time budget: no group, removal, drain wait or job poll starts after it.
  const budgetEnd = options.deadlineAt - reserveMs(config, budget);
  let drains: DrainServices | undefined;
  // The budgets' ledger lives in the drain table, with or without a drain period.
  const budgetLedger =
    config.budgets.length > 0 && config.drainTableName !== undefined && options.tables
      ? options.tables.ledger(config.drainTableName, options.dynamo)
      : undefined;
  const drainServices = (): DrainServices | undefined => {
    const tableName = config.drainTableName;
    const make = options.tables?.drains;
    if (config.drainSeconds === 0 || tableName === undefined || make === undefined) {
      return undefined;
    }
    drains ??= make(tableName, options.dynamo);
    return drains;
  };

  return {
    servicesFor(projectId, region = config.region) {
      const key = `${projectId}@${region}`;
      const existing = services.get(key);
      if (existing !== undefined) return existing;
      const defaults = endpointsForRegion(region);
      const overridden = region === config.region;
      const http = createHttpCore({
        credentials: config.credentials,
        projectId,
        limiter,
        timeoutMs: config.httpTimeoutMs,
        deadlineAt: options.deadlineAt,
        log: options.log,
        now,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.transport ? { transport: options.transport } : {}),
      });
      cores.push(http);
      const ecs = createEcsClient({
        http,
        endpoint: overridden ? config.ecsEndpoint : defaults.ecs,
        projectId,
      });
      const created: RemovalServices = {
        aps: createApsClient({
          http,
          endpoint: overridden ? config.apsEndpoint : defaults.aps,
          projectId,
        }),
        ecs,
        // Each instance's ECS groups from its own record, once per invocation (lib/removal/actuation/ecs-groups.ts);
        // an inline sweep narrows it to one listing per project (lib/sweep/held.ts).
        ecsGroupsOf: createEcsGroupResolver(ecs),
        log: options.log,
      };
      const drain = drainServices();
      if (drain !== undefined) created.drains = drain;
      if (budgetLedger !== undefined) created.budgetLedger = budgetLedger;
      services.set(key, created);
      return created;
    },
    settingsFor(projectId, overrides = {}) {
      return {
        projectId,
        // An event or message can turn dry-run on, never off: DRY_RUN=true is a promise.
        dryRun: config.dryRun || overrides.dryRun === true,
        removalMode: config.removalMode,
        limits: evaluationLimitsOf(config),
        sessionLookbackHours: config.sessionLookbackHours,
        now,
        sleep,
        deadlineAt: budgetEnd,
        drainSeconds: config.drainSeconds,
        logoff: config.logoff,
        budgets: config.budgets,
      };
    },
    stats() {
      const total: RequestStats = { requests: 0, retries: 0, throttled: 0 };
      for (const core of cores) {
        total.requests += core.stats.requests;
        total.retries += core.stats.retries;
        total.throttled += core.stats.throttled;
      }
      return total;
    },
  };
}
