import type { CallLogEntry } from '../../sim/server.ts';

// What a sweep's calls say about it, read from the simulator's call log: calls
// per route, and the phases of the ideal (bench/lib/ideal.ts) as they ran.

/** The simulator's routes that remove a server: remove_member (ECS), release (APS delete, batch-delete). */
export const REMOVAL_ROUTES = ['ecsAction', 'deleteAppServer', 'batchDeleteAppServers'] as const;

function round2(value: number): number {
  return Math.round(value * 100) / 100;
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

/**
 * Where the time of a sweep went, from the simulator's call log (bench-side
 * only; arrival times, ms). The phases are the ideal's (bench/lib/ideal.ts):
 * evaluate = from the first call to the first batch-maint (the drain start:
 * every group is evaluated before it, the sweep cap needs them all); drain =
 * from there to the first other call (the re-checks after the wait); act =
 * from there to the last call. Without a drain, act starts at the first
 * removal route or re-read. `outsideMs` is the handler's wall time outside
 * the first-to-last-call span (start-up reads of the drain table, the report).
 */
export function sweepPhases(
  calls: readonly CallLogEntry[],
  wallMs: number,
): {
  evaluatePhaseMs: number;
  drainPhaseMs: number;
  actPhaseMs: number;
  /** Requests in flight at the simulator during the act phase (MAX_CONCURRENCY when every slot is busy). */
  actMeanInFlight: number;
  outsideMs: number;
  simMeanInFlight: number;
  simMeanHeldMs: number;
} {
  const at = calls
    .map((c) => ({ route: c.route, ms: Date.parse(c.time) }))
    .sort((a, b) => a.ms - b.ms);
  const first = at[0]?.ms ?? 0;
  const last = at.at(-1)?.ms ?? 0;
  const drainAt = at.find((c) => c.route === 'batchMaint')?.ms;
  const actStarters: readonly (string | null)[] = ['getAppServer', ...REMOVAL_ROUTES];
  const actAt =
    drainAt === undefined
      ? (at.find((c) => actStarters.includes(c.route))?.ms ?? last)
      : (at.find((c) => c.ms >= drainAt && c.route !== 'batchMaint')?.ms ?? last);
  const evaluateEnd = drainAt ?? actAt;
  // Σ (time the simulator held each request) / wall = requests in flight at the simulator.
  const held = calls.reduce((sum, c) => sum + c.durationMs, 0);
  const actHeld = calls
    .filter((c) => Date.parse(c.time) >= actAt)
    .reduce((sum, c) => sum + c.durationMs, 0);
  return {
    actMeanInFlight: last > actAt ? round2(actHeld / (last - actAt)) : 0,
    evaluatePhaseMs: evaluateEnd - first,
    drainPhaseMs: actAt - evaluateEnd,
    actPhaseMs: last - actAt,
    outsideMs: Math.max(0, Math.round(wallMs - (last - first))),
    simMeanInFlight: round2(held / wallMs),
    simMeanHeldMs: calls.length ? round2(held / calls.length) : 0,
  };
}
