import { createSweepHandler } from '../../functions/sweep.ts';
import { createTransport, type Transport } from '../../lib/huawei/transport.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { fakeContext } from '../../scripts/lib/lambda.ts';
import { generateFleet } from '../../sim/generate-fleet.ts';
import type { CallLogEntry } from '../../sim/server.ts';
import { expectFleet, type FleetExpectation } from './fleet-minimum.ts';
import { type IdealTime, idealSweepMs, throttleUse } from './ideal.ts';
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
const CONCURRENCY = 16;
const LIMITS = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};

/** The transport the functions ship with (lib/huawei/http.ts makes the same one). */
const DEFAULT_TRANSPORT = createTransport();

/** CPU time the sweep's process and the simulator's process used during one sweep, ms. */
export interface CpuUse {
  clientMs: number;
  simMs: number;
}

/** What the client saw of its transport: requests in flight (time-weighted) and time to response headers. */
export interface TransportUse {
  meanInFlight: number;
  meanHeadersMs: number;
}

/** Wraps a transport to measure requests in flight and time to a whole answer, client side. */
function instrument(base: Transport): {
  transport: Transport;
  read: (wallMs: number) => TransportUse;
} {
  let inFlight = 0;
  let area = 0;
  let last = performance.now();
  let waited = 0;
  let count = 0;
  const tick = (): void => {
    const t = performance.now();
    area += inFlight * (t - last);
    last = t;
  };
  const send: Transport['send'] = async (req) => {
    tick();
    inFlight += 1;
    const started = performance.now();
    try {
      return await base.send(req);
    } finally {
      waited += performance.now() - started;
      count += 1;
      tick();
      inFlight -= 1;
    }
  };
  return {
    transport: { send, close: () => base.close() },
    read: (wallMs) => ({
      meanInFlight: round2(area / wallMs),
      meanHeadersMs: count ? round2(waited / count) : 0,
    }),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Runs the sweep handler once in this process against `sim` (optionally over
 * another transport); wall time in ms, CPU of both processes, what the
 * client saw of its transport.
 */
export async function sweepOnce(
  sim: SimProcess,
  env: Record<string, string>,
  remainingMs: number,
  transport: Transport = DEFAULT_TRANSPORT,
): Promise<{ report: SweepReport; wallMs: number; cpu: CpuUse; transport: TransportUse }> {
  const probe = instrument(transport);
  const handler = createSweepHandler(benchDeps(sim, { ...BASE_ENV, ...env }, probe.transport));
  const simCpu = sim.cpuMs();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await handler({ detail: {} }, fakeContext({ remainingMs }));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    report,
    wallMs,
    cpu: { clientMs: Math.round((used.user + used.system) / 1000), simMs: sim.cpuMs() - simCpu },
    transport: probe.read(wallMs),
  };
}

/** Calls per route: all, 2xx, 429, first and last arrival (epoch ms). */
export interface RouteCalls {
  calls: number;
  ok: number;
  throttled: number;
  firstMs: number;
  lastMs: number;
}

/** Groups the simulator's call log by route. */
export function callsByRoute(calls: readonly CallLogEntry[]): Record<string, RouteCalls> {
  const out: Record<string, RouteCalls> = {};
  for (const call of calls) {
    const key = call.route ?? 'unknown';
    const at = Date.parse(call.time);
    const r = out[key] ?? { calls: 0, ok: 0, throttled: 0, firstMs: at, lastMs: at };
    out[key] = r;
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
  const span = (keys: readonly string[]) => {
    const present = keys.map((k) => byRoute[k]).filter((r): r is RouteCalls => r !== undefined);
    if (present.length === 0) return undefined;
    return {
      first: Math.min(...present.map((r) => r.firstMs)),
      last: Math.max(...present.map((r) => r.lastMs)),
    };
  };
  const evaluate = span(['listServerGroups', 'listAppServers', 'listSessions']);
  const act = span(['getAppServer', 'ecsAction']);
  // Σ (time the simulator held each request) / wall = requests in flight at the simulator.
  const held = calls.reduce((sum, c) => sum + c.durationMs, 0);
  return {
    evaluatePhaseMs: evaluate ? evaluate.last - evaluate.first : 0,
    actPhaseMs: act ? act.last - act.first : 0,
    simMeanInFlight: round2(held / wallMs),
    simMeanHeldMs: calls.length ? round2(held / calls.length) : 0,
  };
}

export interface IdealBenchResult {
  fleet: FleetSize;
  latencyMs: number;
  concurrency: number;
  transport: string;
  wallMs: number;
  /** The ideal of a client making only the minimum requests (bench/lib/ideal.ts). */
  ideal: IdealTime;
  idealMs: number;
  requests: number;
  retries: number;
  simCalls: number;
  expectation: FleetExpectation;
  removed: { report: number; simAccepted: number };
  status: SweepReport['status'];
  errors: number;
  phases: Record<string, number>;
  cpu: CpuUse;
  client: TransportUse;
}

/**
 * Sweep vs. the ideal, and API economy, in one run: every request of the
 * simulator delayed by `latencyMs`, removals on (the sweep cap lifted so the
 * sweep acts), MAX_CONCURRENCY 16, no client rate limit. The expected counts
 * come from the generated fleet itself, not from the client or the
 * simulator. With `reset`, the simulator's fleet is reloaded first.
 */
export async function runIdealBench(
  sim: SimProcess,
  fleet: FleetSize,
  options: {
    latencyMs: number;
    reset?: boolean;
    transport?: { name: string; transport: Transport };
  },
): Promise<IdealBenchResult> {
  const { latencyMs } = options;
  const expectation = expectFleet(generateFleet(fleet), {
    lookbackHours: 24,
    limits: LIMITS,
    maxRemovalsPerSweep: 1_000_000,
    dryRun: false,
  });
  if (options.reset) await sim.reset();
  await sim.setFaults({ routes: { '*': { latencyMs } } });
  const run = await sweepOnce(
    sim,
    { DRY_RUN: 'false', MAX_REMOVALS_PER_SWEEP: '1000000' },
    600_000,
    options.transport?.transport,
  );
  const { report, wallMs } = run;
  const calls = await sim.calls();
  const requests = report.requests.requests;
  const ideal = idealSweepMs({
    minimum: expectation.minimum,
    latencyMs,
    concurrency: CONCURRENCY,
  });
  return {
    fleet,
    latencyMs,
    concurrency: CONCURRENCY,
    transport:
      options.transport?.name ??
      'HTTP/1.1 keep-alive over sockets (default, lib/huawei/http1-transport.ts)',
    wallMs,
    ideal,
    idealMs: ideal.totalMs,
    requests,
    retries: report.requests.retries,
    simCalls: calls.length,
    expectation,
    removed: {
      report: report.totals.outcomes.removed,
      simAccepted: callsByRoute(calls)['ecsAction']?.ok ?? 0,
    },
    status: report.status,
    errors: report.errors.length,
    phases: phases(calls, wallMs),
    cpu: run.cpu,
    client: run.transport,
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
    sim,
    { DRY_RUN: 'true', MAX_REMOVALS_PER_SWEEP: '1000000' },
    options.remainingMs,
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
