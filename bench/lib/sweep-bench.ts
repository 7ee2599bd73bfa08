import { createSweepHandler } from '../../functions/sweep.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import type { CallLogEntry } from '../../sim/server.ts';
import { generateFleet } from '../../sim/generate-fleet.ts';
import { fakeContext } from '../../test/helpers/lambda.ts';
import { expectFleet, type FleetExpectation } from './fleet-minimum.ts';
import { idealSweepMs, sweepDepth, throttleUse } from './ideal.ts';
import type { SimProcess } from './sim-process.ts';
import { benchDeps } from './sweep-deps.ts';

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
const LIMITS = { minServersPerGroup: 1, maxRemovalsPerGroup: 10, protectTagKey: 'aps-autoscaler:protect' };
const CONCURRENCY = 16;

/** Runs the sweep handler once in this process against `sim`; wall time in ms. */
export async function sweepOnce(
  sim: SimProcess,
  env: Record<string, string>,
  remainingMs: number,
): Promise<{ report: SweepReport; wallMs: number }> {
  const handler = createSweepHandler(benchDeps(sim, { ...BASE_ENV, ...env }));
  const started = performance.now();
  const report = await handler({ detail: {} }, fakeContext({ remainingMs }));
  return { report, wallMs: performance.now() - started };
}

/** Calls per route: all, 2xx, 429, first and last arrival (epoch ms). */
export interface RouteCalls {
  calls: number;
  ok: number;
  throttled: number;
  firstMs: number;
  lastMs: number;
}

export function callsByRoute(calls: readonly CallLogEntry[]): Record<string, RouteCalls> {
  const out: Record<string, RouteCalls> = {};
  for (const call of calls) {
    const key = call.route ?? 'unknown';
    const at = Date.parse(call.time);
    const r = (out[key] ??= {
      calls: 0,
      ok: 0,
      throttled: 0,
      firstMs: at,
      lastMs: at,
    });
    r.calls += 1;
    if (call.status >= 200 && call.status < 300) r.ok += 1;
    if (call.status === 429) r.throttled += 1;
    r.firstMs = Math.min(r.firstMs, at);
    r.lastMs = Math.max(r.lastMs, at);
  }
  return out;
}

/** Where the time of a sweep went, from the simulator's call log. */
function phases(calls: readonly CallLogEntry[], wallMs: number): Record<string, number> {
  const byRoute = callsByRoute(calls);
  const listing = ['listServerGroups', 'listAppServers', 'listSessions'].map((k) => byRoute[k]);
  const acting = ['getAppServer', 'ecsAction'].map((k) => byRoute[k]);
  const span = (rs: (RouteCalls | undefined)[]) => {
    const present = rs.filter((r): r is RouteCalls => r !== undefined);
    if (present.length === 0) return { first: Number.NaN, last: Number.NaN };
    return {
      first: Math.min(...present.map((r) => r.firstMs)),
      last: Math.max(...present.map((r) => r.lastMs)),
    };
  };
  const evaluate = span(listing);
  const act = span(acting);
  // Σ (time the simulator held each request) / wall = requests in flight on average.
  const held = calls.reduce((sum, c) => sum + c.durationMs, 0);
  return {
    evaluatePhaseMs: Math.round(evaluate.last - evaluate.first),
    actPhaseMs: Number.isNaN(act.first) ? 0 : Math.round(act.last - act.first),
    gapBetweenPhasesMs: Number.isNaN(act.first) ? 0 : Math.round(act.first - evaluate.last),
    meanInFlight: Math.round((held / wallMs) * 100) / 100,
    meanServerMs: calls.length ? Math.round((held / calls.length) * 100) / 100 : 0,
  };
}

export interface IdealBenchResult {
  fleet: FleetSize;
  latencyMs: number;
  concurrency: number;
  wallMs: number;
  idealMs: number;
  depth: number;
  requests: number;
  retries: number;
  simCalls: number;
  expectation: FleetExpectation;
  removed: { report: number; simAccepted: number };
  status: SweepReport['status'];
  errors: number;
  phases: Record<string, number>;
}

/**
 * Sweep vs. the ideal, and API economy, in one run: every request of the
 * simulator delayed by `latencyMs`, removals on (the sweep cap lifted so the
 * sweep acts), MAX_CONCURRENCY 16, no client rate limit. The fleet's
 * expected counts are computed from the generated fleet itself, not from the
 * client or the simulator.
 */
export async function runIdealBench(
  sim: SimProcess,
  fleet: FleetSize,
  latencyMs: number,
): Promise<IdealBenchResult> {
  const expectation = expectFleet(generateFleet(fleet), {
    lookbackHours: 24,
    limits: LIMITS,
    maxRemovalsPerSweep: 1_000_000,
    dryRun: false,
  });
  await sim.setFaults({ routes: { '*': { latencyMs } } });
  const { report, wallMs } = await sweepOnce(
    sim,
    { DRY_RUN: 'false', MAX_REMOVALS_PER_SWEEP: '1000000' },
    600_000,
  );
  const calls = await sim.calls();
  const requests = report.requests.requests;
  const depth = sweepDepth({
    groupPages: expectation.minimum.groupPages,
    maxGroupListingPages: expectation.minimum.maxGroupListingPages,
    removes: expectation.removals > 0,
  });
  const byRoute = callsByRoute(calls);
  return {
    fleet,
    latencyMs,
    concurrency: CONCURRENCY,
    wallMs,
    idealMs: idealSweepMs({ requests, depth, latencyMs, concurrency: CONCURRENCY }),
    depth,
    requests,
    retries: report.requests.retries,
    simCalls: calls.length,
    expectation,
    removed: { report: report.totals.outcomes.removed, simAccepted: byRoute['ecsAction']?.ok ?? 0 },
    status: report.status,
    errors: report.errors.length,
    phases: phases(calls, wallMs),
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
  retries: number;
  requests: number;
  groupsEvaluated: number;
  incompleteGroups: number;
  failedRequests: string[];
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
  const { report, wallMs } = await sweepOnce(sim, { DRY_RUN: 'true' }, options.remainingMs);
  const calls = await sim.calls();
  const routes = callsByRoute(calls);
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
    retries: report.requests.retries,
    requests: report.requests.requests,
    groupsEvaluated: report.groups.length - incomplete.length,
    incompleteGroups: incomplete.length,
    failedRequests: incomplete.slice(0, 3).map((g) => g.error ?? g.detail ?? ''),
    errors: report.errors.map((e) => e.error),
    status: report.status,
    notVisited: report.notVisitedCount,
    routes,
  };
}
