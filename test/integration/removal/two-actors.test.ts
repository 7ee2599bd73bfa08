import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createInvocation } from '../../../functions/invocation.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { withCredentials } from '../../../lib/config.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import { LEASE_TTL_MS } from '../../../lib/removal/lease/group-lease.ts';
import { TABLE_SERVICES } from '../../../lib/removal/lifecycle.ts';
import { createDrainStore } from '../../../lib/removal/store/drain-store.ts';
import { processMessage, type RemediationResult } from '../../../lib/sweep/remediate.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { useDrainStack } from '../../helpers/drain-stack.ts';
import { capturingLogger, depsFor } from '../../helpers/stack.ts';

// Two actors on one group at once, against the simulator over real HTTP and a
// real local DynamoDB: the inline sweep and queue messages (evaluate-group,
// remove-member, finish-removal) interleaved at the points where one acted
// on a plan the other had already made stale (issue 26). sg-floor has three
// idle servers in service; with MIN_SERVERS_PER_GROUP=2 it sits at floor + 1,
// so exactly one server may go. srv-fl-idle-b is in no ECS group: never drained.

const DRAIN_SECONDS = 120;
const FLOOR = 2;
const GROUP = 'sg-floor';
const ENV = { DRAIN_SECONDS: String(DRAIN_SECONDS), MIN_SERVERS_PER_GROUP: String(FLOOR) };
// srv-fl-idle-c, as a remove-member message names it (sim/README.md).
const MEMBER_C = '5ca1ab1e-0007-4000-8000-000000000003';

describe('two actors on one group at once, simulator + local DynamoDB', () => {
  const stack = useDrainStack();

  const inService = () =>
    stack.sim.state
      .membersOf(GROUP)
      .filter((s) => s.status === 'REGISTERED' && s.vm_status === 'ACTIVE' && !s.maintain_status)
      .length;
  const samples: number[] = [];
  // The floor in service, sampled whenever an actor waits or hands over.
  const sample = () => samples.push(inService());
  const env = () => ({ ...ENV, DRAIN_TABLE_NAME: stack.dynamo.tableName });

  function sweep(
    options: { during?: () => Promise<void>; client?: DynamoDBClient; advance?: number } = {},
  ) {
    const { logger, logs } = capturingLogger();
    const handler = createSweepHandler({
      ...depsFor(stack.sim, { env: env(), logger }),
      dynamo: async () => options.client ?? stack.dynamo.client,
      sleep: async (ms) => {
        sample();
        stack.sim.clock.advance(options.advance ?? ms);
        await options.during?.();
        sample();
      },
    });
    const context = fakeContext({ remainingMs: 600_000, now: () => stack.sim.now().getTime() });
    return {
      logs,
      run: async () => (await handler(loadEvent('schedule.json'), context)) as SweepReport,
    };
  }

  const followUps: QueueMessage[] = [];
  async function deliver(message: QueueMessage): Promise<RemediationResult | Error> {
    const deps = depsFor(stack.sim, { env: env() });
    const config = withCredentials(deps.settings(), await deps.credentials().get());
    const invocation = createInvocation(config, {
      deadlineAt: stack.sim.now().getTime() + 600_000,
      log: createMemoryLog(),
      now: () => stack.sim.now().getTime(),
      tables: TABLE_SERVICES,
      dynamo: async () => stack.dynamo.client,
    });
    const projectId = stack.sim.projectId;
    const result = await processMessage(
      message,
      invocation.servicesFor(projectId),
      invocation.settingsFor(projectId),
      {
        maxRemovalsPerSweep: 50,
        enqueue: async (messages) => {
          followUps.push(...messages);
          return { sent: messages.length, failed: [], calls: 1 };
        },
      },
    ).catch((error: Error) => error);
    sample();
    return result;
  }
  // Every follow-up delivered until none is handed back; SQS would redeliver a retry.
  async function drainFollowUps() {
    for (let round = 0; round < 5 && followUps.length > 0; round++) {
      const due = followUps.splice(0);
      for (const message of due) {
        if ((await deliver(message)) instanceof Error) followUps.push(message);
      }
    }
    expect(followUps).toEqual([]);
  }
  const message = (type: 'evaluate-group' | 'remove-member'): QueueMessage =>
    type === 'evaluate-group'
      ? { type, projectId: stack.sim.projectId, serverGroupId: GROUP }
      : {
          type,
          projectId: stack.sim.projectId,
          serverGroupId: GROUP,
          instanceUuid: MEMBER_C,
          reason: 'alarm',
        };

  // Runs `hook` once, right before the first drain-table write after the plan
  // (the sweep's other writes wait for it too)
  // (a lease taken or a record written; recovery only reads): the moment a
  // sweep that planned without the lease would act on its plan.
  function beforeFirstWrite(hook: () => Promise<void>): DynamoDBClient {
    const client = stack.dynamo.client;
    let hooked: Promise<void> | undefined;
    return new Proxy(client, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return async (command: { constructor: { name: string } }) => {
          const kind = command.constructor.name;
          if (kind === 'PutItemCommand' || kind === 'UpdateItemCommand') hooked ??= hook();
          // Every write of the sweep waits for the other actor to finish.
          if (hooked !== undefined) await hooked;
          return target.send(command as never);
        };
      },
    });
  }

  // Whatever happened: the floor held in service at every sample, no server
  // was put into maintenance while already ours, nothing busy was removed,
  // and after the follow-ups and one later sweep nothing is left in
  // maintenance by our hand nor in the drain table.
  async function checkInvariants(operatorMaintained: readonly string[]) {
    await drainFollowUps();
    stack.sim.clock.advance((DRAIN_SECONDS + 1) * 1_000 + LEASE_TTL_MS);
    const later = await sweep().run();
    expect(failures(later)).toEqual([]);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(FLOOR);
    expect(inService()).toBeGreaterThanOrEqual(FLOOR);
    const maintained = new Set<string>();
    for (const call of stack.sim.calls.filter((c) => c.route === 'batchMaint')) {
      const body = JSON.parse(call.body ?? '{}') as { items: string[]; maintain_status: boolean };
      for (const id of body.items) {
        if (body.maintain_status) expect(maintained.has(id), `${id} drained twice`).toBe(false);
        if (body.maintain_status) maintained.add(id);
        else maintained.delete(id);
      }
    }
    for (const server of stack.sim.state.servers) {
      if ((server.session_count ?? 0) > 0) expect(server.server_group_id).not.toBeNull();
    }
    expect(
      stack.sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id),
    ).toEqual(operatorMaintained);
    const store = createDrainStore({
      tableName: stack.dynamo.tableName,
      client: async () => stack.dynamo.client,
    });
    expect(await store.listDrains(stack.sim.projectId)).toEqual([]);
  }
  const failures = (report: SweepReport) =>
    [...report.groups.flatMap((g) => g.removals), ...(report.recovered ?? [])].filter(
      (r) => r.outcome === 'failed',
    );
  const operator = () =>
    stack.sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id);

  it.each(['remove-member', 'evaluate-group'] as const)(
    'a sweep whose plan a %s message made stale does not drain from it',
    async (type) => {
      samples.length = 0;
      const before = operator();
      let answer: RemediationResult | Error | undefined;
      const client = beforeFirstWrite(async () => {
        answer = await deliver(message(type));
      });
      const report = await sweep({ client }).run();
      expect(answer).toMatchObject({ status: 'draining' });
      expect(failures(report)).toEqual([]);
      // The sweep planned one server of sg-floor; re-planned under the lease, it drains none.
      const mine = report.groups.find((g) => g.serverGroupId === GROUP)?.removals ?? [];
      expect(mine.map((r) => r.outcome)).not.toContain('removed');
      await checkInvariants(before);
    },
  );

  it('two remove-member messages for one group at its floor + 1 drain one server', async () => {
    samples.length = 0;
    const before = operator();
    const both = await Promise.all([
      deliver(message('remove-member')),
      deliver(message('remove-member')),
    ]);
    // A refused lease is a retry: SQS delivers it again.
    for (const result of both) if (result instanceof Error) await deliver(message('remove-member'));
    stack.sim.clock.advance(DRAIN_SECONDS * 1_000);
    await checkInvariants(before);
    expect(stack.sim.state.membersOf(GROUP).length).toBeGreaterThanOrEqual(FLOOR);
  });

  it('two overlapping sweeps both end without a failure; the second takes over nothing', async () => {
    samples.length = 0;
    const before = operator();
    let second: SweepReport | undefined;
    const first = sweep({
      during: async () => {
        // The first sweep's drain period is over, but it lives: the second
        // (a manual invoke beside the scheduled one) must leave its drains.
        second = await sweep().run();
      },
    });
    const report = await first.run();
    expect(failures(report)).toEqual([]);
    expect(report.totals.outcomes.removed).toBeGreaterThan(0);
    expect(second?.recovered ?? []).toEqual([]);
    expect(failures(second as SweepReport)).toEqual([]);
    expect(first.logs.lines.filter((l) => l.level === 'ERROR')).toEqual([]);
    await checkInvariants(before);
  });

  it("a sweep's drain wait overlapping a finish-removal: one owner each, the floor kept", async () => {
    samples.length = 0;
    const before = operator();
    // A remove-member drains srv-fl-idle-c; its finish-removal is late (its
    // period is over when a sweep starts) and arrives while the sweep, which
    // drains sg-scale-in, waits out its own period. The sweep's recovery must
    // leave the live owner's drain; the finish-removal then settles it.
    expect(await deliver(message('remove-member'))).toMatchObject({ status: 'draining' });
    stack.sim.clock.advance((DRAIN_SECONDS + 1) * 1_000);
    const finished: (RemediationResult | Error)[] = [];
    const report = await sweep({
      during: async () => {
        const due = followUps.splice(0);
        for (const m of due) {
          const result = await deliver(m);
          finished.push(result);
          if (result instanceof Error) followUps.push(m);
        }
      },
    }).run();
    expect(finished).toEqual([
      expect.objectContaining({
        status: 'done',
        removal: expect.objectContaining({ outcome: 'removed' }),
      }),
    ]);
    expect(failures(report)).toEqual([]);
    expect(report.recovered ?? []).toEqual([]);
    await checkInvariants(before);
  });
});
