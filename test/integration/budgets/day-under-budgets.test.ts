import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvocation } from '../../../functions/invocation.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { withCredentials } from '../../../lib/config.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import { createBudgetLedger } from '../../../lib/removal/budget/ledger.ts';
import { entriesOf } from '../../../lib/removal/drain/admit.ts';
import { TABLE_SERVICES } from '../../../lib/removal/lifecycle.ts';
import { processMessage } from '../../../lib/sweep/remediate.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import type { Fleet } from '../../../sim/fleet.ts';
import type { Simulator } from '../../../sim/server.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// A day of the real lifecycle under BUDGETS=[{"max":"10%","per":"1h"},{"max":"2"}]:
// the simulator over HTTP and a local DynamoDB (dynalite), an inline sweep
// every 15 simulated minutes, and between sweeps queue messages
// (evaluate-group, remove-member, then their finish-removal follow-ups) on
// the same groups. Three groups of 30 idle servers: without budgets the first
// sweep would take 10 from each. At every sampled instant no group has more
// than 2 servers draining (the simulator's maintenance flags and the ledger
// agree), and in no hour does a group lose more than 3 (10% of 30, rounded
// up; its base only shrinks), counted from the simulator's call log and
// from the ledger.

const DAY_START = '2026-12-07T00:00:00.000Z';
const GROUPS = ['sg-day-a', 'sg-day-b', 'sg-day-c'];
const SERVERS = 30;
const HOUR = 3_600_000;
const PER_HOUR = 3;
const AT_ONCE = 2;
const BUDGETS = '[{"max":"10%","per":"1h"},{"max":"2"}]';

function fleet(): Fleet {
  const policy = {
    enable: true,
    max_scaling_amount: 5,
    single_expansion_count: 1,
    scaling_policy_by_session: {
      session_usage_threshold: 80,
      shrink_after_session_idle_minutes: 30,
    },
  };
  return {
    projectId: 'd6e0f1c2a3b4c5d6e7f8091a2b3c4d5e',
    now: DAY_START,
    groups: GROUPS.map((id) => ({ id, name: id, scaling_policy: policy })),
    servers: GROUPS.flatMap((group, g) =>
      Array.from({ length: SERVERS }, (_, i) => ({
        id: `${group}-srv-${i}`,
        machine_name: `DAY${g}-${String(i).padStart(2, '0')}`,
        instance_id: `0da70000-000${g}-4000-8000-${String(i).padStart(12, '0')}`,
        server_group_id: group,
        create_time: '2026-12-01T08:00:00.000Z',
      })),
    ),
    sessions: [],
  } as unknown as Fleet;
}

describe('a day of sweeps and queue messages under disruption budgets (simulator + dynalite)', () => {
  let sim: Simulator;
  let dynamo: LocalDynamoDb;
  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
    sim = await startFrozenSimulator({ fleet: fleet() });
  });
  afterAll(async () => {
    await sim.close();
    await dynamo.close();
  });

  const env = () => ({
    DRAIN_SECONDS: '60',
    DRAIN_TABLE_NAME: dynamo.tableName,
    MIN_SERVERS_PER_GROUP: '1',
    BUDGETS,
  });
  const now = () => sim.now().getTime();
  const problems: string[] = [];
  const ledger = () =>
    createBudgetLedger({ tableName: dynamo.tableName, client: async () => dynamo.client });

  // Drains in flight per group: servers in maintenance (the simulator), and
  // admissions in flight (the ledger), both at most AT_ONCE.
  async function sample(where: string) {
    for (const group of GROUPS) {
      const maintained = sim.state.membersOf(group).filter((s) => s.maintain_status).length;
      if (maintained > AT_ONCE)
        problems.push(`${where}: ${group} has ${maintained} in maintenance`);
    }
    const view = await ledger().read(sim.projectId, now());
    const entries = entriesOf(view, sim.projectId, now());
    for (const group of GROUPS) {
      const inFlight = entries.filter((e) => e.groupId === group && e.state === 'in-flight').length;
      if (inFlight > AT_ONCE)
        problems.push(`${where}: ${group} has ${inFlight} admissions in flight`);
      const hour = entries.filter((e) => e.groupId === group && e.at > now() - HOUR).length;
      if (hour > PER_HOUR)
        problems.push(`${where}: ${group} has ${hour} removals in the last hour`);
    }
  }

  async function sweep(): Promise<SweepReport> {
    const { logger } = capturingLogger();
    const handler = createSweepHandler({
      ...depsFor(sim, { env: env(), logger }),
      dynamo: async () => dynamo.client,
      sleep: async (ms) => {
        await sample('sweep drain wait');
        sim.clock.advance(ms);
      },
    });
    const context = fakeContext({ remainingMs: 600_000, now });
    return (await handler(loadEvent('schedule.json'), context)) as SweepReport;
  }

  const followUps: QueueMessage[] = [];
  async function deliver(message: QueueMessage) {
    const deps = depsFor(sim, { env: env() });
    const config = withCredentials(deps.settings(), await deps.credentials().get());
    const invocation = createInvocation(config, {
      deadlineAt: now() + 120_000,
      log: createMemoryLog(),
      now,
      tables: TABLE_SERVICES,
      dynamo: async () => dynamo.client,
    });
    return processMessage(
      message,
      invocation.servicesFor(sim.projectId),
      invocation.settingsFor(sim.projectId),
      {
        maxRemovalsPerSweep: 50,
        enqueue: async (messages) => {
          followUps.push(...messages);
          return { sent: messages.length, failed: [], calls: 1 };
        },
      },
    ).catch((error: Error) => error);
  }

  it('never exceeds either budget at any instant, across the sweep and the queue', async () => {
    const outcomes: Record<string, number> = {};
    let queueDrains = 0;
    for (let round = 0; round < 96; round++) {
      const report = await sweep();
      for (const group of report.groups) {
        for (const r of group.removals) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      }
      await sample('after sweep');
      // Five minutes on: one evaluate-group and one remove-member, on different groups.
      sim.clock.advance(5 * 60_000);
      const evaluate = GROUPS[round % 3] as string;
      const member = GROUPS[(round + 1) % 3] as string;
      const target = sim.state.membersOf(member).find((s) => !s.maintain_status);
      const messages: QueueMessage[] = [
        { type: 'evaluate-group', projectId: sim.projectId, serverGroupId: evaluate },
        ...(target?.instance_id === undefined
          ? []
          : [
              {
                type: 'remove-member' as const,
                projectId: sim.projectId,
                serverGroupId: member,
                instanceUuid: target.instance_id,
                reason: 'alarm',
              },
            ]),
      ];
      const results = await Promise.all(messages.map(deliver));
      queueDrains += results.filter((r) => !(r instanceof Error) && r.status === 'draining').length;
      await sample('after queue messages');
      // Past the drain period: the finish-removal follow-ups.
      sim.clock.advance(2 * 60_000);
      for (const message of followUps.splice(0)) await deliver(message);
      await sample('after follow-ups');
      sim.clock.advance(8 * 60_000);
    }
    expect(problems).toEqual([]);

    // The simulator's call log: every removal with its virtual time, per group.
    const removals = sim.calls
      .filter((c) => c.removed.length > 0)
      .flatMap((c) => c.removed.map((id) => ({ id, at: Date.parse(c.time) })));
    const groupOf = (id: string) => GROUPS.find((g) => id.startsWith(g)) ?? '';
    for (const group of GROUPS) {
      const times = removals.filter((r) => groupOf(r.id) === group).map((r) => r.at);
      for (const t of times) {
        expect(times.filter((u) => u > t - HOUR && u <= t).length).toBeLessThanOrEqual(PER_HOUR);
      }
      // The budgets bind all morning, yet the group still shrinks to its floor by the end of the day.
      expect(times.filter((t) => t < Date.parse(DAY_START) + 4 * HOUR).length).toBeLessThanOrEqual(
        4 * PER_HOUR,
      );
      expect(sim.state.membersOf(group)).toHaveLength(1);
    }
    expect(outcomes.budget).toBeGreaterThan(0);
    expect(outcomes.removed).toBeGreaterThan(0);
    expect(queueDrains).toBeGreaterThan(0);
  }, 600_000);
});

describe('a budget with a schedule applies only inside its window (DRAIN_SECONDS=0)', () => {
  let sim: Simulator;
  let dynamo: LocalDynamoDb;
  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
    sim = await startFrozenSimulator({ fleet: fleet() });
  });
  afterAll(async () => {
    await sim.close();
    await dynamo.close();
  });

  const SCHEDULES = JSON.stringify({
    office: {
      timeZone: 'UTC',
      windows: [{ days: ['Mon'], from: '08:00', to: '18:00', minServers: 1 }],
    },
  });
  async function sweepAt(instant: string): Promise<Record<string, Record<string, number>>> {
    sim.clock.set(Date.parse(instant));
    const env = {
      DRAIN_SECONDS: '0',
      DRAIN_TABLE_NAME: dynamo.tableName,
      MAX_REMOVALS_PER_GROUP: '4',
      SCHEDULES,
      BUDGETS: '[{"max":"1","per":"1h","schedule":"office"}]',
    };
    const handler = createSweepHandler({
      ...depsFor(sim, { env, logger: capturingLogger().logger }),
      dynamo: async () => dynamo.client,
    });
    const context = fakeContext({ remainingMs: 600_000, now: () => sim.now().getTime() });
    const report = (await handler(loadEvent('schedule.json'), context)) as SweepReport;
    const byGroup: Record<string, Record<string, number>> = {};
    for (const group of report.groups) {
      const counts: Record<string, number> = {};
      for (const r of group.removals) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      byGroup[group.serverGroupId] = counts;
    }
    return byGroup;
  }

  it('removes freely before the window, one an hour inside it, freely again after it', async () => {
    const each = (counts: Record<string, number>) =>
      Object.fromEntries(GROUPS.map((g) => [g, counts]));
    expect(await sweepAt('2026-12-07T07:00:00Z')).toEqual(each({ removed: 4 }));
    expect(await sweepAt('2026-12-07T08:30:00Z')).toEqual(each({ removed: 1, budget: 3 }));
    expect(await sweepAt('2026-12-07T08:45:00Z')).toEqual(each({ budget: 4 }));
    expect(await sweepAt('2026-12-07T09:31:00Z')).toEqual(each({ removed: 1, budget: 3 }));
    expect(await sweepAt('2026-12-07T18:30:00Z')).toEqual(each({ removed: 4 }));
  });
});
