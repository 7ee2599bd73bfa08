import type { SweepReport } from '../../lib/sweep/report.ts';
import { generateFleet } from '../../sim/generate-fleet.ts';
import type { DeployedSweeps } from './deployed-sweep.ts';
import { expectFleet, type FleetExpectation } from './fleet-minimum.ts';
import { type IdealTime, idealSweepMs, throttleUse } from './ideal.ts';
import type { SimProcess } from './sim-process.ts';
import { callsByRoute, REMOVAL_ROUTES, type RouteCalls, sweepPhases } from './sweep-phases.ts';

export interface FleetSize {
  groups: number;
  serversPerGroup: number;
  seed: number;
}

/** The configuration of every sweep here besides what each bench sets. */
const BASE_ENV = {
  MAX_CONCURRENCY: '16',
  RATE_LIMIT_RPS: '0',
  HTTP_TIMEOUT_MS: '10000',
  SESSION_LOOKBACK_HOURS: '24',
};
const CONCURRENCY = 16;
const LIMITS = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};

/** CPU time the sweep's process and the simulator's process used during one sweep, ms. */
export interface CpuUse {
  clientMs: number;
  simMs: number;
}

/**
 * Runs the bundled sweep handler once in a fresh node against `sim`, with
 * the deployed defaults and `env` over them (bench/lib/deployed-sweep.ts);
 * `quota` puts it inside the function's CPU share. Wall time of the
 * handler, CPU of both processes.
 */
export async function sweepOnce(
  sweeps: DeployedSweeps,
  sim: SimProcess,
  env: Record<string, string>,
  options: { remainingMs: number; quota?: boolean },
): Promise<{
  report: SweepReport;
  wallMs: number;
  cpu: CpuUse;
  dynamoRequests: number;
  quota?: string;
}> {
  const run = await sweeps.run(
    sim,
    { ...BASE_ENV, ...env },
    {
      report: true,
      remainingMs: options.remainingMs,
      ...(options.quota ? { quota: true } : {}),
    },
  );
  if ('unavailable' in run) throw new Error(`no CPU quota here: ${run.unavailable}`);
  if (run.report === undefined) throw new Error('the sweep child returned no report');
  return {
    report: run.report,
    wallMs: run.durationMs,
    cpu: { clientMs: Math.round(run.cpuMs), simMs: run.simCpuMs },
    dynamoRequests: Object.values(run.dynamoRequests).reduce((sum, n) => sum + n, 0),
    ...(run.quota ? { quota: run.quota } : {}),
  };
}

export interface IdealBenchResult {
  fleet: FleetSize;
  latencyMs: number;
  concurrency: number;
  removalMode: 'remove-member' | 'release';
  drainSeconds: number;
  /** The cgroup the sweep ran in, when it ran on the function's CPU share. */
  quota?: string;
  wallMs: number;
  /** The ideal of a client making only the minimum requests (bench/lib/ideal.ts). */
  ideal: IdealTime;
  idealMs: number;
  requests: number;
  retries: number;
  simCalls: number;
  expectation: FleetExpectation;
  removed: { report: number; simAccepted: number };
  /** Calls the simulator answered, per route. */
  routes: Record<string, RouteCalls>;
  status: SweepReport['status'];
  errors: number;
  phases: ReturnType<typeof sweepPhases>;
  cpu: CpuUse;
  /** Requests the local DynamoDB answered (drain records, leases): none is in the minimum, each costs client CPU. */
  dynamoRequests: number;
}

/**
 * Sweep vs. the ideal, and API economy, in one run of the deployed sweep
 * (bundled, drain on, acting): every request of the simulator delayed by
 * `latencyMs`, the sweep cap lifted so it acts on every plan,
 * MAX_CONCURRENCY 16, no client rate limit. The expected counts come from the
 * generated fleet itself, not from the client or the simulator. The
 * simulator's fleet is reloaded first.
 */
export async function runIdealBench(
  sweeps: DeployedSweeps,
  sim: SimProcess,
  fleet: FleetSize,
  options: { latencyMs: number; quota?: boolean; removalMode?: 'remove-member' | 'release' },
): Promise<IdealBenchResult> {
  const { latencyMs } = options;
  const removalMode = options.removalMode ?? 'remove-member';
  const drainSeconds = sweeps.settings.drainSeconds;
  const expectation = expectFleet(generateFleet(fleet), {
    lookbackHours: 24,
    limits: LIMITS,
    maxRemovalsPerSweep: 1_000_000,
    dryRun: false,
    removalMode,
    drain: drainSeconds > 0,
  });
  await sim.reset();
  await sim.setFaults({ routes: { '*': { latencyMs } } });
  const run = await sweepOnce(
    sweeps,
    sim,
    { DRY_RUN: 'false', MAX_REMOVALS_PER_SWEEP: '1000000', REMOVAL_MODE: removalMode },
    { remainingMs: 600_000, ...(options.quota ? { quota: true } : {}) },
  );
  const { report, wallMs } = run;
  const calls = await sim.calls();
  const routes = callsByRoute(calls);
  const requests = report.requests.requests;
  const ideal = idealSweepMs({
    minimum: expectation.minimum,
    latencyMs,
    concurrency: CONCURRENCY,
    drainSeconds,
  });
  return {
    fleet,
    latencyMs,
    concurrency: CONCURRENCY,
    removalMode,
    drainSeconds,
    ...(run.quota ? { quota: run.quota } : {}),
    wallMs,
    ideal,
    idealMs: ideal.totalMs,
    requests,
    retries: report.requests.retries,
    simCalls: calls.length,
    expectation,
    removed: {
      report: report.totals.outcomes.removed,
      simAccepted: REMOVAL_ROUTES.reduce((sum, route) => sum + (routes[route]?.ok ?? 0), 0),
    },
    routes,
    status: report.status,
    errors: report.errors.length,
    phases: sweepPhases(calls, wallMs),
    cpu: run.cpu,
    dynamoRequests: run.dynamoRequests,
  };
}

export interface ThrottleBenchResult {
  fleet: FleetSize;
  ratePerSecond: number;
  burst: number;
  latencyMs: number;
  wallMs: number;
  busiestRoute: string;
  accepted: number;
  spanSeconds: number;
  use: number;
  throttledByClient: number;
  throttledBySim: number;
  /** The most 429s one request received (the HTTP core gives up after 5 attempts). */
  maxThrottledPerRequest: number;
  retries: number;
  requests: number;
  groups: number;
  groupsEvaluated: number;
  incompleteGroups: number;
  failures: string[];
  errors: string[];
  status: SweepReport['status'];
  notVisited: number;
  routes: Record<string, RouteCalls>;
}

/**
 * Throttling: the simulator (reset first) lets each route through a token
 * bucket of `ratePerSecond` and `burst`; a dry-run sweep (only the
 * evaluation's listings, so the throttled routes are busy from start to end)
 * must evaluate every group and use the allowance well: accepted ÷ (burst +
 * rate × span) on the busiest route, span being that route's first to last
 * request.
 */
export async function runThrottleBench(
  sweeps: DeployedSweeps,
  sim: SimProcess,
  fleet: FleetSize,
  options: { ratePerSecond: number; burst: number; latencyMs: number; remainingMs: number },
): Promise<ThrottleBenchResult> {
  await sim.reset();
  await sim.setFaults({
    routes: {
      '*': {
        latencyMs: options.latencyMs,
        rateLimit: { requestsPerSecond: options.ratePerSecond, burst: options.burst },
      },
    },
  });
  const { report, wallMs } = await sweepOnce(
    sweeps,
    sim,
    { DRY_RUN: 'true', MAX_REMOVALS_PER_SWEEP: '1000000' },
    { remainingMs: options.remainingMs },
  );
  const calls = await sim.calls();
  const routes = callsByRoute(calls);
  const throttledPerRequest = new Map<string, number>();
  for (const call of calls) {
    if (call.status !== 429) continue;
    const key = `${call.method} ${call.path}?${call.query}`;
    throttledPerRequest.set(key, (throttledPerRequest.get(key) ?? 0) + 1);
  }
  const [busiestRoute, busiest] = Object.entries(routes).sort((a, b) => b[1].ok - a[1].ok)[0] ?? [
    'none',
    { calls: 0, ok: 0, throttled: 0, firstMs: 0, lastMs: 0 },
  ];
  const spanSeconds = (busiest.lastMs - busiest.firstMs) / 1000;
  const incomplete = report.groups.filter(
    (g) => g.reason === 'incomplete-data' || g.error !== undefined,
  );
  return {
    fleet,
    ratePerSecond: options.ratePerSecond,
    burst: options.burst,
    latencyMs: options.latencyMs,
    wallMs,
    busiestRoute,
    accepted: busiest.ok,
    spanSeconds,
    use: throttleUse({
      accepted: busiest.ok,
      spanSeconds,
      ratePerSecond: options.ratePerSecond,
      burst: options.burst,
    }),
    throttledByClient: report.requests.throttled,
    throttledBySim: Object.values(routes).reduce((sum, r) => sum + r.throttled, 0),
    maxThrottledPerRequest: Math.max(0, ...throttledPerRequest.values()),
    retries: report.requests.retries,
    requests: report.requests.requests,
    groups: report.groups.length,
    groupsEvaluated: report.groups.length - incomplete.length,
    incompleteGroups: incomplete.length,
    failures: incomplete.slice(0, 3).map((g) => g.error ?? g.detail ?? ''),
    errors: report.errors.map((e) => e.error),
    status: report.status,
    notVisited: report.notVisitedCount,
    routes,
  };
}
