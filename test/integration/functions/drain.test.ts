import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { uniformIdleFleet } from '../../../bench/lib/dynamo.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { createBudgetLedger } from '../../../lib/removal/budget/ledger.ts';
import { LEASE_TTL_MS } from '../../../lib/removal/lease/group-lease.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import { armDrainRace } from '../../../sim/maintenance.ts';
import type { Simulator } from '../../../sim/server.ts';
import { emptyTable } from '../../helpers/drain-stack.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// The inline sweep's drain lifecycle end to end: the simulator over real HTTP,
// drain records and leases in a real local DynamoDB (dynalite), the drain
// period waited on the simulator's virtual clock.

const DRAIN_SECONDS = 120;
// The demo fleet's idle servers the sweep drains (sim/README.md); the third one
// it chooses, srv-fl-idle-b, is in no ECS server group: never drained.
const CHOSEN = ['srv-fl-idle-a', 'srv-si-idle-1'];
const NOT_IN_ECS_GROUP = 'srv-fl-idle-b';

describe('inline sweep with a drain period, simulator + local DynamoDB', () => {
  let sim: Simulator;
  let dynamo: LocalDynamoDb;
  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    await emptyTable(dynamo);
    sim = await startFrozenSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  function sweep(
    options: { remainingMs?: number; onSleep?: () => void; env?: Record<string, string> } = {},
  ) {
    const { logger, logs } = capturingLogger();
    const sleeps: number[] = [];
    const handler = createSweepHandler({
      ...depsFor(sim, {
        env: {
          DRAIN_SECONDS: String(DRAIN_SECONDS),
          DRAIN_TABLE_NAME: dynamo.tableName,
          ...options.env,
        },
        logger,
      }),
      dynamo: async () => dynamo.client,
      sleep: async (ms) => {
        sleeps.push(ms);
        options.onSleep?.();
        sim.clock.advance(ms);
      },
    });
    const context = fakeContext({
      remainingMs: options.remainingMs ?? 600_000,
      now: () => sim.now().getTime(),
    });
    return {
      logs,
      sleeps,
      run: async () => (await handler(loadEvent('schedule.json'), context)) as SweepReport,
    };
  }

  const removals = (report: SweepReport) => report.groups.flatMap((g) => g.removals);
  const inMaintenance = () =>
    sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id);

  it('drains every chosen server, waits once, then removes each; nothing is left in maintenance', async () => {
    const operatorMaintained = inMaintenance();
    let maintainedDuringWait: string[] = [];
    const { run, sleeps, logs } = sweep({
      onSleep: () => (maintainedDuringWait = inMaintenance()),
    });
    const report = await run();
    expect(sleeps).toEqual([DRAIN_SECONDS * 1_000]);
    expect(maintainedDuringWait.filter((id) => !operatorMaintained.includes(id)).sort()).toEqual(
      CHOSEN,
    );
    expect(
      removals(report)
        .filter((r) => r.outcome === 'removed')
        .map((r) => [r.serverId, r.drainedSeconds])
        .sort(),
    ).toEqual(CHOSEN.map((id) => [id, DRAIN_SECONDS]));
    expect(removals(report).find((r) => r.serverId === NOT_IN_ECS_GROUP)).toMatchObject({
      outcome: 'not-in-ecs-group',
    });
    expect(inMaintenance()).toEqual(operatorMaintained);
    // One batch-maint call drains both; each removed server's maintenance is lifted after.
    expect(sim.calls.filter((c) => c.route === 'batchMaint')).toHaveLength(1 + CHOSEN.length);
    // Nobody else held these groups since the sweep listed them: their drains
    // start on the plan as made (lib/removal/lease/plan-still-good.ts), and each
    // acting group's record is read again only by its re-check after the wait.
    const groupReads = sim.calls
      .filter((c) => c.route === 'listServerGroups' && c.query.includes('server_group_id='))
      .map((c) => new URLSearchParams(c.query).get('server_group_id'));
    expect(groupReads.sort()).toEqual(['sg-floor', 'sg-scale-in']);
    expect(logs.lines.filter((l) => l.message === 'drain started')).toHaveLength(1);
  });

  it('never drains a server the remover could only refuse (release mode: a prepaid one)', async () => {
    const operatorMaintained = inMaintenance();
    let maintainedDuringWait: string[] = [];
    const report = await sweep({
      env: { REMOVAL_MODE: 'release' },
      onSleep: () => (maintainedDuringWait = inMaintenance()),
    }).run();
    // srv-si-idle-1 is yearly/monthly (the demo fleet): kept, and never in maintenance.
    expect(removals(report).find((r) => r.serverId === 'srv-si-idle-1')).toMatchObject({
      outcome: 'prepaid',
    });
    expect(maintainedDuringWait).not.toContain('srv-si-idle-1');
    expect(sim.state.getServer('srv-si-idle-1')?.server_group_id).toBe('sg-scale-in');
    expect(inMaintenance()).toEqual(operatorMaintained);
  });

  it('undoes the drain of a server a user connected to during the window, and never removes it', async () => {
    armDrainRace(sim.state, ['srv-fl-idle-a']);
    const operatorMaintained = inMaintenance();
    const report = await sweep().run();
    const undone = removals(report).filter((r) => r.outcome === 'drain-undone');
    expect(undone).toHaveLength(1);
    expect(undone[0]).toMatchObject({ serverId: 'srv-fl-idle-a', undoReason: 'session-arrived' });
    const busy = sim.state.getServer(undone[0]?.serverId ?? '');
    expect(busy?.session_count).toBeGreaterThan(0);
    expect(busy?.maintain_status).toBe(false);
    expect(report.totals.outcomes.removed).toBe(1);
    expect(inMaintenance()).toEqual(operatorMaintained);
  });

  it('undoes a drain when a window that raises the floor starts before the re-check', async () => {
    // The simulator's now is Thu 2026-01-01 12:00 UTC: the drain starts outside the
    // window (floor 1); the re-check, 120 s later, falls inside it (floor 5).
    const SCHEDULES = JSON.stringify({
      lunch: {
        timeZone: 'UTC',
        windows: [
          {
            days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
            from: '12:01',
            to: '13:00',
            minServers: 5,
          },
        ],
      },
    });
    const operatorMaintained = inMaintenance();
    let maintainedDuringWait: string[] = [];
    const report = await sweep({
      env: { SCHEDULES, DEFAULT_SCHEDULE: 'lunch' },
      onSleep: () => (maintainedDuringWait = inMaintenance()),
    }).run();
    expect(maintainedDuringWait.filter((id) => !operatorMaintained.includes(id)).sort()).toEqual(
      CHOSEN,
    );
    const undone = removals(report).filter((r) => CHOSEN.includes(r.serverId));
    expect(undone.map((r) => [r.serverId, r.outcome, r.undoReason]).sort()).toEqual(
      CHOSEN.map((id) => [id, 'drain-undone', 'floor']),
    );
    for (const r of undone) expect(r.detail).toMatch(/in service, floor 5; maintenance lifted/);
    expect(report.totals.outcomes.removed ?? 0).toBe(0);
    expect(inMaintenance()).toEqual(operatorMaintained);
  });

  it('a sweep killed after draining leaves servers the next sweep finishes', async () => {
    // Step 2 done, then the invocation dies: the wait throws.
    const killed = sweep({
      onSleep: () => {
        throw new Error('killed');
      },
    });
    await expect(killed.run()).rejects.toThrow('killed');
    expect(
      inMaintenance()
        .filter((id) => CHOSEN.includes(id))
        .sort(),
    ).toEqual(CHOSEN);
    // The period is over, but the owner may be alive (its lease and records
    // promise a settle for one lease period more): nothing is taken over.
    sim.clock.advance(DRAIN_SECONDS * 1_000);
    const early = await sweep().run();
    expect(early.recovered ?? []).toEqual([]);
    expect(
      inMaintenance()
        .filter((id) => CHOSEN.includes(id))
        .sort(),
    ).toEqual(CHOSEN);
    sim.clock.advance(LEASE_TTL_MS);
    const next = await sweep().run();
    expect(next.recovered?.map((r) => [r.serverId, r.outcome]).sort()).toEqual(
      CHOSEN.map((id) => [id, 'removed']),
    );
    expect(inMaintenance().filter((id) => CHOSEN.includes(id))).toEqual([]);
  });

  it('costs a drained group the same DynamoDB requests whether it drains 2 servers or 20', async () => {
    const perGroup: number[] = [];
    for (const drained of [2, 20]) {
      await sim.close();
      sim = await startFrozenSimulator({ fleet: uniformIdleFleet(3, drained, 42) });
      await emptyTable(dynamo);
      const before = Object.values(dynamo.requests()).reduce((a, b) => a + b, 0);
      const env = { MAX_REMOVALS_PER_GROUP: String(drained), MAX_REMOVALS_PER_SWEEP: '1000' };
      const report = await sweep({ env }).run();
      expect(report.totals.outcomes.removed).toBe(3 * drained);
      const after = Object.values(dynamo.requests()).reduce((a, b) => a + b, 0);
      perGroup.push((after - before) / 3);
    }
    // Lease taken and released, record, confirmation, acting, end (docs/performance.md); one Query a sweep.
    expect(perGroup[1]).toBe(perGroup[0]);
    expect(perGroup[1]).toBeLessThanOrEqual(6 + 1 / 3);
  });

  it('ends the budget admission of every drain it settles', async () => {
    const { run } = sweep({ env: { BUDGETS: '[{"max":"100%"}]' } });
    const report = await run();
    const removed = removals(report).filter((r) => r.outcome === 'removed');
    expect(removed.map((r) => r.serverId).sort()).toEqual(CHOSEN);
    const ledger = createBudgetLedger({
      tableName: dynamo.tableName,
      client: async () => dynamo.client,
    });
    const view = await ledger.read(report.projects[0] ?? '', sim.now().getTime());
    expect(view.admissions.map((a) => [a.serverId, a.how]).sort()).toEqual(
      CHOSEN.map((id) => [id, 'removed']),
    );
  });
});
