import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { createDrainStore } from '../../../lib/removal/store/drain-store.ts';
import type { DynamoClientFactory } from '../../../lib/removal/store/dynamo.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent, sqsEvent } from '../../../scripts/lib/lambda.ts';
import type { LocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import { armDrainRace } from '../../../sim/maintenance.ts';
import type { Simulator } from '../../../sim/server.ts';
import { type DrainStack, useDrainStack } from '../../helpers/drain-stack.ts';
import { capturingLogger, depsFor, mutatingCalls } from '../../helpers/stack.ts';

// The queue path of the one removal lifecycle end to end: the simulator over
// real HTTP, drain records and leases in a real local DynamoDB (dynalite),
// and the finish-removal follow-ups delivered as SQS would, once the virtual
// clock has passed their DelaySeconds.

const DRAIN_SECONDS = 120;
const QUEUE = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-remediation';
const DLQ = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-dlq';
const SI_IDLE_1 = '5ca1ab1e-0006-4000-8000-000000000004'; // srv-si-idle-1's instance

// A DynamoDB client of a port nothing listens on: every call is refused (ECONNREFUSED).
async function unreachableDynamo(): Promise<DynamoDBClient> {
  return new DynamoDBClient({
    endpoint: `http://127.0.0.1:${await closedPort()}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

// A port nothing listens on.
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('queue-only removals drain, re-check and remove through the one lifecycle', () => {
  const stack = useDrainStack();
  let sim: Simulator;
  let dynamo: LocalDynamoDb;
  let sqsMock: DrainStack['sqs'];
  beforeEach(() => {
    ({ sim, dynamo, sqs: sqsMock } = stack);
  });

  function remediate(client: DynamoClientFactory, env: Record<string, string> = {}) {
    const { logger, logs } = capturingLogger();
    const handler = createRemediateHandler({
      ...depsFor(sim, {
        env: {
          DRAIN_SECONDS: String(DRAIN_SECONDS),
          DRAIN_TABLE_NAME: dynamo.tableName,
          REMEDIATION_QUEUE_URL: QUEUE,
          DEAD_LETTER_QUEUE_URL: DLQ,
          ...env,
        },
        logger,
      }),
      dynamo: client,
    });
    const run = (bodies: string[]) =>
      handler(
        sqsEvent(bodies),
        fakeContext({ now: () => sim.now().getTime() }),
      ) as Promise<SQSBatchResponse>;
    return { run, logs };
  }

  // The follow-ups the handler put on the queue so far, each with its delay.
  function followUps(): { body: string; delaySeconds: number }[] {
    return sqsMock.commandCalls(SendMessageBatchCommand).flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((e) => ({
        body: e.MessageBody ?? '',
        delaySeconds: e.DelaySeconds ?? 0,
      })),
    );
  }

  const evaluateGroup = (serverGroupId: string) =>
    JSON.stringify({ type: 'evaluate-group', projectId: sim.projectId, serverGroupId });
  const removeMember = (serverGroupId: string, instanceUuid: string) =>
    JSON.stringify({
      type: 'remove-member',
      projectId: sim.projectId,
      serverGroupId,
      instanceUuid,
      reason: 'alarm 42',
    });

  const maintained = () =>
    sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id);

  it('evaluate-group and remove-member drain; finish-removal after the delay removes the idle, undoes the busy', async () => {
    const operatorMaintained = maintained();
    // srv-si-idle-1 (the remove-member target) gets a session the moment it is drained.
    armDrainRace(sim.state, ['srv-si-idle-1']);
    const { run } = remediate(async () => dynamo.client);

    const first = await run([evaluateGroup('sg-floor'), removeMember('sg-scale-in', SI_IDLE_1)]);
    expect(first.batchItemFailures).toEqual([]);
    // Both triggers drained (maintenance on), none removed yet.
    expect(
      maintained()
        .filter((id) => !operatorMaintained.includes(id))
        .sort(),
    ).toEqual(['srv-fl-idle-a', 'srv-si-idle-1']);
    expect(sim.calls.filter((c) => c.removed.length > 0)).toEqual([]);
    const sent = followUps();
    expect(sent.map((m) => JSON.parse(m.body).type)).toEqual(['finish-removal', 'finish-removal']);
    expect(sent.map((m) => m.delaySeconds)).toEqual([DRAIN_SECONDS, DRAIN_SECONDS]);

    // SQS delivers them once their delay has passed.
    sim.clock.advance(DRAIN_SECONDS * 1_000);
    const second = await run(sent.map((m) => m.body));
    expect(second.batchItemFailures).toEqual([]);

    const removals = sim.calls.filter((c) => c.removed.length > 0);
    expect(removals.flatMap((c) => c.removed)).toEqual(['srv-fl-idle-a']);
    // Each removed server was in maintenance for the whole drain period first.
    for (const call of removals) {
      for (const id of call.removed) {
        const drainedAt = sim.calls.find(
          (c) => c.route === 'batchMaint' && (c.body ?? '').includes(id) && c.time < call.time,
        );
        expect(drainedAt, id).toBeDefined();
        expect(Date.parse(call.time) - Date.parse(drainedAt?.time ?? '')).toBeGreaterThanOrEqual(
          DRAIN_SECONDS * 1_000,
        );
      }
    }
    // The one that gained a session stays, out of maintenance; nothing is left in maintenance.
    expect(sim.state.getServer('srv-si-idle-1')?.server_group_id).toBe('sg-scale-in');
    expect(sim.state.getServer('srv-si-idle-1')?.session_count).toBeGreaterThan(0);
    expect(maintained()).toEqual(operatorMaintained);
    const store = createDrainStore({
      tableName: dynamo.tableName,
      client: async () => dynamo.client,
    });
    expect(await store.listDrains(sim.projectId)).toEqual([]);
  });

  it('with DynamoDB unreachable: the whole batch goes back to SQS, nothing dead-lettered or removed, an ERROR names the table and cause', async () => {
    const down = await unreachableDynamo();
    const { run, logs } = remediate(async () => down);
    const bodies = [
      evaluateGroup('sg-floor'),
      removeMember('sg-scale-in', SI_IDLE_1),
      evaluateGroup('sg-scale-in'),
    ];
    const response = await run(bodies);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      sqsEvent(bodies).Records.map((r) => r.messageId),
    );
    expect(sqsMock.commandCalls(SendMessageCommand)).toEqual([]);
    expect(mutatingCalls(sim)).toEqual([]);
    const errors = logs.lines.filter((l) => l['message'] === 'record failed, will be retried');
    expect(errors).toHaveLength(3);
    for (const line of errors) {
      expect(line['level']).toBe('ERROR');
      expect(String(line['error'])).toContain(`table ${dynamo.tableName}`);
      expect(String(line['error'])).toMatch(/ECONNREFUSED/);
      expect(line['type']).toMatch(/evaluate-group|remove-member/);
      expect(line['serverGroupId']).toMatch(/^sg-/);
    }
    down.destroy();
  });

  it('with DynamoDB unreachable the sweep reports a drain-store error, removes nothing, and fails under FAIL_ON_ERRORS', async () => {
    const down = await unreachableDynamo();
    const sweep = (failOnErrors: boolean) =>
      createSweepHandler({
        ...depsFor(sim, {
          env: {
            DRAIN_SECONDS: String(DRAIN_SECONDS),
            DRAIN_TABLE_NAME: dynamo.tableName,
            FAIL_ON_ERRORS: String(failOnErrors),
          },
        }),
        dynamo: async () => down,
        sleep: async (ms) => sim.clock.advance(ms),
      })(loadEvent('schedule.json'), fakeContext({ now: () => sim.now().getTime() }));

    const report = (await sweep(false)) as SweepReport & { summary: string };
    expect(report.errors).toEqual([
      expect.objectContaining({
        source: 'drain-store',
        error: expect.stringMatching(/ECONNREFUSED/),
      }),
    ]);
    expect(report.summary).toContain('1 drain-store errors');
    expect(report.summary).not.toContain('listing');
    expect(report.totals.outcomes.removed).toBe(0);
    expect(mutatingCalls(sim)).toEqual([]);
    await expect(sweep(true)).rejects.toThrow(/1 drain-store error\(s\)/);
    expect(mutatingCalls(sim)).toEqual([]);
    down.destroy();
  });
});
