import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../functions/sweep.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { loadEvent } from '../../scripts/lib/lambda.ts';
import { type FaultKind, PROBABILISTIC_FAULTS } from '../../sim/faults.ts';
import type { Simulator } from '../../sim/server.ts';
import { capturingLogger, mutatingCalls } from '../helpers/stack.ts';
import {
  CALM_ENV,
  contextFor,
  type FleetSource,
  failuresOf,
  faultDeps,
  faultsFor,
  fleetOf,
  leakedSecrets,
  membership,
  type RemovalAttempt,
  recordAttempts,
  recordRemovals,
  removalCalls,
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

/**
 * Faulted sweeps allowed before the fleet must be where one fault-free sweep
 * leaves it. A group fails a faulted sweep with a chance of roughly 1 in 4
 * (a listing or its re-read runs out of attempts); eight sweeps leave each of
 * the ~30 groups behind with a chance near 1e-5.
 */
const MAX_FAULTED_SWEEPS = 8;

const rejections = watchUnhandledRejections();
const faultsSeen = new Map<FaultKind, number>();
/** Removals whose answer a commit fault lost and that the client then replayed. */
let replaysAfterLostAnswers = 0;
let seedsChecked = 0;

afterAll(() => {
  rejections.stop();
  // The mix was real: every kind of fault happened somewhere in the full run.
  if (seedsChecked < 2 * SEEDS.length) return;
  expect([...faultsSeen.keys()].sort()).toEqual([...PROBABILISTIC_FAULTS, 'throttle'].sort());
  expect(replaysAfterLostAnswers).toBeGreaterThan(0);
});

async function sweepOnce(
  sim: Simulator,
  env: Record<string, string>,
  fetch?: typeof globalThis.fetch,
) {
  const { logger, logs } = capturingLogger();
  const handler = createSweepHandler(faultDeps(sim, { env, logger, ...(fetch ? { fetch } : {}) }));
  const report = await handler(loadEvent('schedule.json'), contextFor(sim));
  return { report, logs: logs.raw };
}

/** The state one fault-free sweep leaves behind, on a fresh simulator. */
async function expectedState(source: FleetSource, seed: number, env: Record<string, string>) {
  const sim = await startFaultSimulator(source, seed);
  try {
    const removed = recordRemovals(sim);
    const { report } = await sweepOnce(sim, { ...env, ...CALM_ENV });
    expect(report.status).toBe('completed');
    // A reference that met any failure is no reference.
    expect(failuresOf(report)).toEqual([]);
    return { members: membership(sim), removed: removed.sort() };
  } finally {
    await sim.close();
  }
}

/** The server id an attempt names (remove_member names the instance). */
function serverOf(sim: Simulator, target: string): string {
  return sim.state.getServerByInstance(target)?.id ?? target;
}

/**
 * The client never sends a removal again after a clean answer to it; after a
 * lost answer it may, and then the replay's answer decides the report line:
 * a clean one is `removed`, ECS's "not a member" is `already-removed`.
 */
function checkReplays(sim: Simulator, attempts: readonly RemovalAttempt[], report: SweepReport) {
  const byServer = new Map<string, RemovalAttempt[]>();
  for (const a of attempts) {
    const server = serverOf(sim, a.target);
    byServer.set(server, [...(byServer.get(server) ?? []), a]);
  }
  const lines = new Map(report.groups.flatMap((g) => g.removals).map((r) => [r.serverId, r]));
  for (const [server, list] of byServer) {
    const firstOk = list.findIndex((a) => a.end === 'ok');
    expect(
      firstOk === -1 || firstOk === list.length - 1,
      `removal of ${server} sent again after a clean answer`,
    ).toBe(true);
    const last = list.at(-1);
    const line = lines.get(server);
    if (
      last?.end === 'ok' &&
      last.route === 'batchDeleteAppServers' &&
      line?.outcome !== 'removed'
    ) {
      // A batch-delete's 200 only starts a job: a release whose job could not
      // be read to its end is reported unconfirmed and retryable, never removed.
      expect(line, server).toMatchObject({ outcome: 'failed', retryable: true });
      expect(line?.detail, server).toMatch(/job /);
    } else if (last?.end === 'ok') expect(line?.outcome, server).toBe('removed');
    if (last?.route === 'ecsAction' && last.status === 400) {
      expect(lines.get(server)?.outcome, server).toBe('already-removed');
    }
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

    // Faults stay on, sweep after sweep, until the fleet converges.
    sim.setFaults(faultsFor(seed));
    const client = recordAttempts(sim);
    const faulted: { report: SweepReport; logs: string[]; removed: string[] }[] = [];
    while (
      faulted.length < MAX_FAULTED_SWEEPS &&
      !isDeepStrictEqual(membership(sim), expected.members)
    ) {
      const before = removed.length;
      const attemptsBefore = client.attempts.length;
      const run = await sweepOnce(sim, env, client.fetch);
      const progress = removed.slice(before);
      // Each faulted sweep removed something or said why it could not.
      expect(
        progress.length > 0 || failuresOf(run.report).length > 0,
        `faulted sweep ${faulted.length + 1} did nothing and reported nothing`,
      ).toBe(true);
      checkReplays(sim, client.attempts.slice(attemptsBefore), run.report);
      faulted.push({ ...run, removed: progress });
    }
    expect(membership(sim), `not converged after ${MAX_FAULTED_SWEEPS} faulted sweeps`).toEqual(
      expected.members,
    );
    expect([...removed].sort()).toEqual(expected.removed);
    for (const call of sim.calls) {
      if (call.fault !== null) faultsSeen.set(call.fault, (faultsSeen.get(call.fault) ?? 0) + 1);
    }

    // A calm sweep afterwards finds nothing left to do.
    sim.setFaults({});
    const callsBefore = sim.calls.length;
    const followUp = await sweepOnce(sim, { ...env, ...CALM_ENV });
    expect(followUp.report.status).toBe('completed');
    expect(failuresOf(followUp.report)).toEqual([]);
    expect(removalCalls(sim).filter(({ call }) => call.seq > callsBefore)).toEqual([]);
    const reports: SweepReport[] = [...faulted.map((f) => f.report), followUp.report];

    // Never a server with a session, never one twice, only servers of the fleet.
    expect(removed.filter((id) => withSessions.has(id))).toEqual([]);
    expect(removed.filter((id) => !fleet.has(id))).toEqual([]);
    expect(new Set(removed).size).toBe(removed.length);

    // The call log agrees: each removed server was taken by exactly one
    // applied call, lost answers included, and by no second one.
    const applied = successfulRemovalCalls(sim).flatMap((c) => c.removed);
    expect([...applied].sort()).toEqual([...removed].sort());
    if (modeOf(seed) !== 'release') {
      expect(successfulRemovalCalls(sim).every((c) => c.route === 'ecsAction')).toBe(true);
    }
    // A replay after a lost answer reached the simulator and changed nothing.
    const calls = removalCalls(sim);
    calls.forEach(({ call, targets }, i) => {
      if (call.removed.length === 0 || call.fault === null) return;
      if (calls.slice(i + 1).some((later) => later.targets.some((t) => targets.includes(t)))) {
        replaysAfterLostAnswers++;
      }
    });

    // A report says `removed` only for a removal that happened in that run.
    for (const run of faulted) {
      expect(reportedRemovals(run.report).filter((id) => !run.removed.includes(id))).toEqual([]);
    }
    expect(reportedRemovals(followUp.report)).toEqual([]);

    // Every failure is traceable; no secret reaches a log line or a report.
    for (const report of reports) {
      expect(failuresOf(report).filter((f) => !TRACEABLE.test(f))).toEqual([]);
    }
    expect(
      leakedSecrets([
        ...faulted.flatMap((f) => f.logs),
        ...followUp.logs,
        ...reports.map((r) => JSON.stringify(r)),
      ]),
    ).toEqual([]);
    expect(faulted[0]?.logs.length).toBeGreaterThan(0);
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
