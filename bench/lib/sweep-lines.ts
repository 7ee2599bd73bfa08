import { type DeployedSettings, describeDeployed } from './deployed-sweep.ts';
import { type BenchLine, fmt, line, round, seconds } from './lines.ts';
import type { FleetSize, IdealBenchResult, ThrottleBenchResult } from './sweep-bench.ts';

// The sweep group's lines (bench/run.ts): sweep ÷ ideal, the CPU-quota
// variant, the API economy and the release batching, each from one run.

/** The settings a sweep line ran with, for its inputs. */
function sweepInputs(r: IdealBenchResult, settings: DeployedSettings): string {
  return `${fmt(r.fleet.groups)} groups × ${r.fleet.serversPerGroup} servers (seed ${r.fleet.seed}), ${r.latencyMs} ms added per request, MAX_CONCURRENCY ${r.concurrency}, RATE_LIMIT_RPS 0, DRY_RUN false (acting, MAX_REMOVALS_PER_SWEEP 1,000,000 so every plan is carried out); ${describeDeployed(settings, r.removalMode)}`;
}

function idealShown(r: IdealBenchResult): string {
  const m = r.expectation.minimum;
  const perRequest = (ms: number) => fmt(ms / r.requests, 2);
  return `wall ${seconds(r.wallMs)}, ideal ${seconds(r.idealMs)} = evaluate ${seconds(r.ideal.evaluateMs)} [max(${r.ideal.depth.evaluate} × ${r.latencyMs} ms, ${fmt(m.groupPages + m.serverPages + m.sessionPages)} × ${r.latencyMs} ms ÷ ${r.concurrency})] + drain ${seconds(r.ideal.drainMs)} [${fmt(m.maintenanceOn)} batch-maint calls, then DRAIN_SECONDS=${r.drainSeconds}] + act ${seconds(r.ideal.actMs)} [max(${r.ideal.depth.act} × ${r.latencyMs} ms, ${fmt(m.rereads + m.removes + m.groupRereads + m.maintenanceLift)} × ${r.latencyMs} ms ÷ ${r.concurrency})], from the minimum requests, not the ${fmt(r.requests)} made; ${fmt(r.removed.report)} removed, ${r.status}, ${r.errors} errors; ${fmt(r.dynamoRequests)} DynamoDB requests besides; CPU/request client ${perRequest(r.cpu.clientMs)} ms, simulator ${perRequest(r.cpu.simMs)} ms; the client's CPU alone = ${fmt(r.cpu.clientMs / r.idealMs, 2)} × ideal; ${phasesShown(r)}`;
}

/** Each phase's wall time against its ideal, from the simulator's call log (bench/lib/sweep-phases.ts sweepPhases). */
function phasesShown(r: IdealBenchResult): string {
  const p = r.phases;
  const vs = (ms: number, ideal: number) =>
    `${seconds(ms)} vs ${seconds(ideal)}${ideal > 0 ? ` (${fmt(ms / ideal, 2)})` : ''}`;
  return `phases: evaluate ${vs(p.evaluatePhaseMs, r.ideal.evaluateMs)}, drain ${vs(p.drainPhaseMs, r.ideal.drainMs)}, act ${vs(p.actPhaseMs, r.ideal.actMs)} with ${fmt(p.actMeanInFlight, 1)} of ${r.concurrency} slots busy, outside the calls ${seconds(p.outsideMs)}`;
}

/** Removed: what the rules allow, less the servers in no ECS group (refused in remove-member mode). */
function removedAsExpected(r: IdealBenchResult): boolean {
  return (
    r.status === 'completed' &&
    r.errors === 0 &&
    r.removed.report === r.expectation.removals - r.expectation.refused
  );
}

export function idealLine(r: IdealBenchResult, settings: DeployedSettings): BenchLine {
  const ratio = r.wallMs / r.idealMs;
  return line({
    name: 'sweep vs. the ideal: wall ÷ ideal (no CPU quota)',
    inputs: `${sweepInputs(r, settings)}; no CPU quota (the machine's cores); ideal of the minimum requests: evaluate, drain, act`,
    value: round(ratio),
    unit: 'ratio',
    shown: `${fmt(ratio, 2)} (${idealShown(r)})`,
    target: { op: '<=', value: 1.15 },
    met: removedAsExpected(r),
    details: {
      ...r,
      expectation: { removals: r.expectation.removals, minimum: r.expectation.minimum },
    },
  });
}

export function quotaLine(
  q: IdealBenchResult | { unavailable: string },
  ideal: IdealBenchResult,
  settings: DeployedSettings,
): BenchLine {
  const name = `sweep vs. the ideal on the deployed function's CPU share (${settings.memoryMb} MB ÷ 1,769 = ${settings.cpuShare} core): wall ÷ ideal`;
  const estimateMs = ideal.idealMs + ideal.cpu.clientMs / settings.cpuShare;
  const formula = `formula: ideal + the first line's client CPU ÷ ${settings.cpuShare} = ${seconds(ideal.idealMs)} + ${seconds(ideal.cpu.clientMs)} ÷ ${settings.cpuShare} = ${fmt(estimateMs / ideal.idealMs, 2)} × ideal`;
  if ('unavailable' in q) {
    return line({
      name: `${name} (formula; no CPU quota here)`,
      inputs: `the sweep of the first line; no cgroup could be made (${q.unavailable})`,
      value: round(estimateMs / ideal.idealMs),
      unit: 'ratio',
      shown: `${fmt(estimateMs / ideal.idealMs, 2)} (${formula})`,
      target: { op: '<=', value: 1.5 },
    });
  }
  return line({
    name,
    inputs: `${sweepInputs(q, settings)}; inside a CPU quota (${q.quota}), the simulator outside it; same ideal`,
    value: round(q.wallMs / q.idealMs),
    unit: 'ratio',
    shown: `${fmt(q.wallMs / q.idealMs, 2)} (${idealShown(q)}; ${formula})`,
    target: { op: '<=', value: 1.5 },
    met: removedAsExpected(q),
    details: { ...q, expectation: undefined },
  });
}

function routeCounts(r: IdealBenchResult): string {
  return Object.entries(r.routes)
    .map(([route, c]) => `${route} ${fmt(c.calls)}`)
    .join(', ');
}

export function economyLine(r: IdealBenchResult, settings: DeployedSettings): BenchLine {
  const m = r.expectation.minimum;
  const consistent =
    r.requests === r.simCalls && removedAsExpected(r) && r.removed.simAccepted === m.removes;
  return line({
    name: 'API economy: requests ÷ minimum',
    inputs: `the sweep of the first line (${describeDeployed(settings, r.removalMode)}); minimum from the generated fleet's own records (bench/lib/fleet-minimum.ts, no lib/scaling): pages of 100 of groups; a group its own record skips (protect tag, server_group_status false, policy off or invalid) needs its servers only, to name them on the report (no sessions); a group over its threshold needs its servers only; any other its servers and its 24 h sessions; + 1 re-read per removal the rules allow of a server in an ECS group (eligibility refuses the others before any call), 1 remove_member per ECS group holding its instance, one listing of the project's ECS groups (pages of 100) when anything is removed; drain on: the re-check of each acting group after the wait reads its record, members and sessions (3 calls; docs/drain-lifecycle.md), and nothing is read again at drain start (no other actor held a group since its listing: lib/removal/lease/plan-still-good.ts), the project's n drained servers go into maintenance in ⌈n ÷ 20⌉ batch-maint calls, and each group lifts its own after removal, ⌈n ÷ 20⌉ per group, as it settles under its lease`,
    value: round(r.requests / m.total, 4),
    unit: 'ratio',
    shown: `${fmt(r.requests / m.total, 2)} (${fmt(r.requests)} made, ${fmt(r.simCalls)} in the simulator's log [${routeCounts(r)}], ${r.retries} retries; minimum ${fmt(m.total)} = ${m.groupPages} + ${fmt(m.serverPages)} + ${fmt(m.sessionPages)} + ${fmt(m.rereads)} re-reads + ${fmt(m.removes)} removals + ${fmt(m.ecsListPages)} ECS listing pages + ${fmt(m.groupRereads)} group re-check reads + ${fmt(m.maintenanceOn)} + ${fmt(m.maintenanceLift)} batch-maint, with ${fmt(r.expectation.skippedOnRecord)} groups skipped on their record and ${fmt(r.expectation.scaleOut)} over their threshold; removed ${fmt(r.removed.report)} (report) / ${fmt(r.removed.simAccepted)} removal calls accepted (simulator) / ${fmt(r.expectation.removals - r.expectation.refused)} (expected; ${fmt(r.expectation.refused)} more planned are in no ECS group))`,
    target: { op: '==', value: 1 },
    met: consistent,
    details: {
      requests: r.requests,
      simCalls: r.simCalls,
      routes: r.routes,
      minimum: m,
      removed: r.removed,
    },
  });
}

export function releaseLine(r: IdealBenchResult, settings: DeployedSettings): BenchLine {
  const m = r.expectation.minimum;
  const batchCalls = r.routes['batchDeleteAppServers']?.calls ?? 0;
  const singleCalls = r.routes['deleteAppServer']?.calls ?? 0;
  const made = batchCalls + singleCalls;
  return line({
    name: 'API economy, REMOVAL_MODE release: release calls ÷ Σ ⌈n ÷ 20⌉ per group',
    inputs: `the sweep of the first line again with REMOVAL_MODE release (${describeDeployed(settings, 'release')}); n = the servers the rules remove from a group, less those release refuses by charging mode (neither pay-per-use nor spot; bench/lib/fleet-minimum.ts); calls = batch-delete and single delete calls in the simulator's log`,
    value: round(made / Math.max(1, m.removes), 4),
    unit: 'ratio',
    shown: `${fmt(made / Math.max(1, m.removes), 2)} (${fmt(batchCalls)} batch-delete + ${fmt(singleCalls)} delete calls for ${fmt(r.removed.report)} servers released vs ${fmt(m.removes)} = Σ ⌈n ÷ 20⌉; all calls [${routeCounts(r)}]; ${r.status}, ${r.errors} errors, expected ${fmt(r.expectation.removals - r.expectation.refused)} released, ${fmt(r.expectation.refused)} more planned are neither pay-per-use nor spot)`,
    target: { op: '==', value: 1 },
    met: removedAsExpected(r),
    details: { routes: r.routes, minimum: m, removed: r.removed },
  });
}

/** Throttling (a dry run): the share of the allowed rate used on the busiest route, every group evaluated. */
export function throttleLine(
  t: ThrottleBenchResult,
  fleet: FleetSize,
  settings: DeployedSettings,
): BenchLine {
  const everyGroup =
    t.groupsEvaluated === fleet.groups && t.errors.length === 0 && t.notVisited === 0;
  return line({
    name: 'throttling (dry run): share of the allowed rate used',
    inputs: `${fmt(fleet.groups)} groups × ${fleet.serversPerGroup}, every route limited to ${t.ratePerSecond} req/s (token bucket, burst ${t.burst}, 429 APIGW.0308 + Retry-After), ${t.latencyMs} ms latency, DRY_RUN true, MAX_CONCURRENCY 16, RATE_LIMIT_RPS 0; ${describeDeployed(settings)}; use = accepted on the busiest route ÷ (burst + rate × its first-to-last-request span)`,
    value: round(t.use),
    unit: 'ratio',
    shown: `${fmt(t.use, 2)} (${t.busiestRoute}: ${fmt(t.accepted)} accepted in ${fmt(t.spanSeconds, 1)} s; ${fmt(t.throttledBySim)} × 429 (client counted ${fmt(t.throttledByClient)}), at most ${t.maxThrottledPerRequest} for one request; ${fmt(t.groupsEvaluated)}/${fmt(fleet.groups)} groups evaluated, ${t.errors.length} errors; sweep ${seconds(t.wallMs)})`,
    target: { op: '>=', value: 0.9 },
    met: everyGroup,
    details: { ...t },
  });
}
