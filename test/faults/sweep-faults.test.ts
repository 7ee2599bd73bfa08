import { afterAll, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../functions/sweep.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { loadEvent } from '../../scripts/lib/lambda.ts';
import type { FaultKind } from '../../sim/faults.ts';
import type { Simulator } from '../../sim/server.ts';
import { capturingLogger, mutatingCalls } from '../helpers/stack.ts';
import {
  contextFor,
  type FleetSource,
  failuresOf,
  faultDeps,
  faultsFor,
  fleetOf,
  leakedSecrets,
  membership,
  recordRemovals,
  reportedRemovals,
  serversWithSessions,
  startFaultSimulator,
  successfulRemovalCalls,
  TRACEABLE,
  watchUnhandledRejections,
} from './harness.ts';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
// Every fourth seed releases servers through the APS delete instead of remove_member.
const modeOf = (seed: number) => (seed % 4 === 0 ? 'release' : 'remove-member');
// 30 × 8 generated fleets plan about 25–60 removals: the caps apply but must not
// bind, or a faulted run (which sees fewer groups) could legitimately act
// where a fault-free run aborts, and the end states would differ by design.
const LIMITS = { MAX_REMOVALS_PER_SWEEP: '100', MAX_REMOVALS_PER_GROUP: '10' };

const rejections = watchUnhandledRejections();
const faultsSeen = new Map<FaultKind, number>();
let seedsChecked = 0;

afterAll(() => {
  rejections.stop();
  // The mix was real: every kind of fault happened somewhere in the full run.
  if (seedsChecked < 2 * SEEDS.length) return;
  expect([...faultsSeen.keys()].sort()).toEqual(
    ['error500', 'error503', 'hang', 'malformed', 'reset', 'schemaViolation', 'throttle'].sort(),
  );
});

async function sweepOnce(sim: Simulator, env: Record<string, string>) {
  const { logger, logs } = capturingLogger();
  const handler = createSweepHandler(faultDeps(sim, { env, logger }));
  const report = await handler(loadEvent('schedule.json'), contextFor(sim));
  return { report, logs: logs.raw };
}

/** The state one fault-free sweep leaves behind, on a fresh simulator. */
async function expectedState(source: FleetSource, seed: number, env: Record<string, string>) {
  const sim = await startFaultSimulator(source, seed);
  try {
    const removed = recordRemovals(sim);
    const { report } = await sweepOnce(sim, env);
    expect(report.status).toBe('completed');
    // From the simulator, not the report: on a busy machine a removal whose
    // answer came too late is retried and reported `already-removed`.
    return { members: membership(sim), removed: removed.sort() };
  } finally {
    await sim.close();
  }
}

async function checkSeed(source: FleetSource, seed: number): Promise<void> {
  const env = { ...LIMITS, REMOVAL_MODE: modeOf(seed) };
  const expected = await expectedState(source, seed, env);
  const sim = await startFaultSimulator(source, seed);
  try {
    const fleet = new Set(sim.state.servers.map((s) => s.id));
    const withSessions = serversWithSessions(sim);
    const removed = recordRemovals(sim);
    const rejectionsBefore = rejections.reasons.length;

    sim.setFaults(faultsFor(seed));
    const faulted = await sweepOnce(sim, env);
    const removedUnderFaults = removed.length;
    for (const call of sim.calls) {
      if (call.fault !== null) faultsSeen.set(call.fault, (faultsSeen.get(call.fault) ?? 0) + 1);
    }
    sim.setFaults({});
    const followUp = await sweepOnce(sim, env);
    const reports: SweepReport[] = [faulted.report, followUp.report];

    // Converges to exactly what a fault-free sweep does.
    expect(membership(sim)).toEqual(expected.members);
    expect([...removed].sort()).toEqual(expected.removed);
    expect(followUp.report.status).toBe('completed');
    expect(failuresOf(followUp.report)).toEqual([]);

    // Never a server with a session, never one twice, only servers of the fleet.
    expect(removed.filter((id) => withSessions.has(id))).toEqual([]);
    expect(removed.filter((id) => !fleet.has(id))).toEqual([]);
    expect(new Set(removed).size).toBe(removed.length);

    // The call log agrees: every applied removal call names such a server.
    const applied = successfulRemovalCalls(sim);
    if (modeOf(seed) === 'release') {
      // Batch deletes (the call log has no bodies: the ids are the state's, recorded above).
      expect(applied.every((c) => c.route === 'batchDeleteAppServers')).toBe(true);
      expect(applied.length).toBeGreaterThanOrEqual(Math.min(1, removed.length));
      expect(applied.length).toBeLessThanOrEqual(removed.length);
    } else {
      expect(applied.every((c) => c.route === 'ecsAction')).toBe(true);
      expect(applied).toHaveLength(removed.length);
    }

    // A report says `removed` only for a removal that happened in that run.
    const duringFaults = removed.slice(0, removedUnderFaults);
    const afterFaults = removed.slice(removedUnderFaults);
    expect(reportedRemovals(faulted.report).filter((id) => !duringFaults.includes(id))).toEqual([]);
    expect(reportedRemovals(followUp.report).filter((id) => !afterFaults.includes(id))).toEqual([]);

    // Every failure is traceable; no secret reaches a log line or a report.
    for (const report of reports) {
      expect(failuresOf(report).filter((f) => !TRACEABLE.test(f))).toEqual([]);
    }
    expect(
      leakedSecrets([...faulted.logs, ...followUp.logs, ...reports.map((r) => JSON.stringify(r))]),
    ).toEqual([]);
    expect(faulted.logs.length).toBeGreaterThan(0);
    expect(rejections.reasons.slice(rejectionsBefore)).toEqual([]);
    seedsChecked++;
  } finally {
    await sim.close();
  }
}

describe('sweep handler under injected faults', () => {
  describe('on the demo fleet', () => {
    it.concurrent.each(SEEDS)('converges safely with fault seed %i', async (seed) => {
      await checkSeed(fleetOf('demo', seed), seed);
    });
  });

  describe('on generated 30 × 8 fleets', () => {
    it.concurrent.each(SEEDS)('converges safely with fleet and fault seed %i', async (seed) => {
      await checkSeed(fleetOf('generated', seed), seed);
    });
  });
});

describe('sweep handler on a listing that comes back short', () => {
  it('removes nothing from the group and names the request id of the last page', async () => {
    const sim = await startFaultSimulator(fleetOf('demo', 1), 1);
    try {
      // Every app-server page loses its last item while `count` stays: a
      // gateway or backend that drops records, which no retry can see.
      const shortPages: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (!new URL(String(input)).pathname.endsWith('/app-servers')) return response;
        const page = (await response.json()) as { count: number; items: unknown[] };
        return new Response(JSON.stringify({ ...page, items: page.items.slice(0, -1) }), {
          status: response.status,
          headers: {
            'content-type': 'application/json',
            'x-request-id': response.headers.get('x-request-id') ?? '',
          },
        });
      };
      const { logger, logs } = capturingLogger();
      const handler = createSweepHandler(faultDeps(sim, { logger, fetch: shortPages }));
      const report = await handler(loadEvent('schedule.json'), contextFor(sim));
      expect(mutatingCalls(sim)).toEqual([]);
      const floor = report.groups.find((g) => g.serverGroupId === 'sg-floor');
      expect(floor).toMatchObject({ decision: 'skip', reason: 'incomplete-data' });
      expect(floor?.error).toMatch(/listing incomplete/);
      expect(failuresOf(report).length).toBeGreaterThan(0);
      expect(failuresOf(report).filter((f) => !TRACEABLE.test(f))).toEqual([]);
      const audit = logs.lines.find(
        (l) => l['audit'] === 'decision' && l['serverGroupId'] === 'sg-floor',
      );
      expect(audit?.['requestId']).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await sim.close();
    }
  });
});
