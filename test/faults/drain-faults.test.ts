import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInvocation } from '../../functions/invocation.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { withCredentials } from '../../lib/config.ts';
import { createMemoryLog } from '../../lib/logger.ts';
import type { QueueMessage } from '../../lib/queue/messages.ts';
import { LEASE_TTL_MS } from '../../lib/removal/lease/group-lease.ts';
import { TABLE_SERVICES } from '../../lib/removal/lifecycle.ts';
import { createDrainStore } from '../../lib/removal/store/drain-store.ts';
import { processMessage } from '../../lib/sweep/remediate.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../scripts/lib/lambda.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/lib/local-dynamodb.ts';
import { armDrainRace } from '../../sim/maintenance.ts';
import type { Simulator } from '../../sim/server.ts';
import { emptyTable } from '../helpers/drain-stack.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../helpers/stack.ts';

// The drain lifecycle under kills and faults: an invocation stopped after each
// step leaves a record; the next sweep finishes or undoes it. Whatever
// happened, no server with a session is removed, nothing stays in
// maintenance by our hand, and the drain table ends empty.

const DRAIN_SECONDS = 120;
const RACED = 'srv-fl-idle-a';
// When a dead (or finished) owner's records become another sweep's to recover:
// the drain period, then the one lease period its owner promised to settle in.
const RECOVERABLE_MS = (DRAIN_SECONDS + 1) * 1_000 + LEASE_TTL_MS;

/** A DynamoDB client whose `send` throws once, right after the first command `after` matches succeeded. */
function killingClient(client: DynamoDBClient, after: (command: unknown) => boolean) {
  let fired = false;
  return new Proxy(client, {
    get(target, name, receiver) {
      if (name !== 'send') return Reflect.get(target, name, receiver);
      return async (command: { input: unknown }) => {
        const answer = await target.send(command as never);
        if (!fired && after(command)) {
          fired = true;
          throw new Error('killed');
        }
        return answer;
      };
    },
  });
}

const named = (name: string) => (command: unknown) => command?.constructor?.name === name;
const expression = (name: string, text: string) => (command: unknown) =>
  named(name)(command) && JSON.stringify((command as { input: unknown }).input).includes(text);

const STEPS: Record<string, (command: unknown) => boolean> = {
  'record written': named('PutItemCommand'),
  'marked acting': expression('UpdateItemCommand', 'SET #state = :acting'),
  'drain completed': expression('DeleteItemCommand', ':acting'),
  'drain cleared': (c) =>
    named('DeleteItemCommand')(c) && !expression('DeleteItemCommand', ':acting')(c),
};

describe('drain lifecycle under kills and faults', () => {
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

  const env = { DRAIN_SECONDS: String(DRAIN_SECONDS) };

  function sweep(options: { client?: DynamoDBClient; killWait?: boolean } = {}) {
    const handler = createSweepHandler({
      ...depsFor(sim, {
        env: { ...env, DRAIN_TABLE_NAME: dynamo.tableName },
        logger: capturingLogger().logger,
      }),
      dynamo: async () => options.client ?? dynamo.client,
      sleep: async (ms) => {
        if (options.killWait) throw new Error('killed');
        sim.clock.advance(ms);
      },
    });
    const context = fakeContext({ remainingMs: 600_000, now: () => sim.now().getTime() });
    return handler(loadEvent('schedule.json'), context) as Promise<SweepReport>;
  }

  async function checkInvariants(operatorMaintained: readonly string[]) {
    const raced = sim.state.getServer(RACED);
    expect(raced?.server_group_id).toBe('sg-floor');
    expect(raced?.session_count).toBeGreaterThan(0);
    const maintained = sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id);
    expect(maintained).toEqual(operatorMaintained);
    const store = createDrainStore({
      tableName: dynamo.tableName,
      client: async () => dynamo.client,
    });
    expect(await store.listDrains(sim.projectId)).toEqual([]);
    for (const server of sim.state.servers) {
      if ((server.session_count ?? 0) > 0) expect(server.server_group_id).not.toBeNull();
    }
  }

  const operator = () =>
    sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id);

  it.each(Object.keys(STEPS))(
    'a sweep killed after "%s" is finished or undone by the next',
    async (step) => {
      const before = operator();
      armDrainRace(sim.state, [RACED]);
      await sweep({ client: killingClient(dynamo.client, STEPS[step] ?? (() => false)) }).catch(
        () => undefined,
      );
      sim.clock.advance(RECOVERABLE_MS);
      await sweep();
      await checkInvariants(before);
    },
  );

  it('a sweep killed while it waits is finished by the next', async () => {
    const before = operator();
    armDrainRace(sim.state, [RACED]);
    await expect(sweep({ killWait: true })).rejects.toThrow('killed');
    sim.clock.advance(RECOVERABLE_MS);
    const next = await sweep();
    expect(next.recovered?.some((r) => r.serverId === RACED && r.outcome === 'drain-undone')).toBe(
      true,
    );
    await checkInvariants(before);
  });

  it.each(['batchMaint', 'ecsAction', 'getAppServer', 'listSessions'] as const)(
    'a failing %s never removes a busy server nor leaves our maintenance',
    async (route) => {
      const before = operator();
      armDrainRace(sim.state, [RACED]);
      sim.setFaults({ seed: 7, routes: { [route]: { error503: 1 } } });
      await sweep().catch(() => undefined);
      sim.setFaults({});
      sim.clock.advance(RECOVERABLE_MS);
      await sweep();
      await checkInvariants(before);
    },
  );

  it('two concurrent remediate actors on a group at its floor keep the floor', async () => {
    const deps = depsFor(sim, {
      env: { ...env, DRAIN_TABLE_NAME: dynamo.tableName, MIN_SERVERS_PER_GROUP: '2' },
    });
    const config = withCredentials(deps.settings(), await deps.credentials().get());
    const sent: QueueMessage[] = [];
    const actor = () => {
      const invocation = createInvocation(config, {
        deadlineAt: sim.now().getTime() + 600_000,
        log: createMemoryLog(),
        now: () => sim.now().getTime(),
        tables: TABLE_SERVICES,
        dynamo: async () => dynamo.client,
      });
      return (message: QueueMessage) =>
        processMessage(
          message,
          invocation.servicesFor(sim.projectId),
          invocation.settingsFor(sim.projectId),
          {
            maxRemovalsPerSweep: 50,
            enqueue: async (messages) => {
              sent.push(...messages);
              return { sent: messages.length, failed: [], calls: 1 };
            },
          },
        );
    };
    const evaluate: QueueMessage = {
      type: 'evaluate-group',
      projectId: sim.projectId,
      serverGroupId: 'sg-floor',
    };
    const first = await Promise.allSettled([actor()(evaluate), actor()(evaluate)]);
    // A refused lease is a retry, never a drop: deliver it again.
    for (const result of first) if (result.status === 'rejected') await actor()(evaluate);
    sim.clock.advance(DRAIN_SECONDS * 1_000);
    await Promise.allSettled(sent.map((m) => actor()(m)));
    const inService = sim.state
      .membersOf('sg-floor')
      .filter((s) => s.status === 'REGISTERED' && s.vm_status === 'ACTIVE' && !s.maintain_status);
    expect(inService.length).toBeGreaterThanOrEqual(2);
  });
});
