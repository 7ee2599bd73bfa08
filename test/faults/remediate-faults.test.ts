import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../functions/remediate.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { loadEvent, sqsEvent } from '../../scripts/lib/lambda.ts';
import type { Simulator } from '../../sim/server.ts';
import { capturingLogger, mutatingCalls } from '../helpers/stack.ts';
import {
  contextFor,
  type FleetSource,
  faultDeps,
  faultsFor,
  fleetOf,
  leakedSecrets,
  membership,
  recordRemovals,
  serversWithSessions,
  startFaultSimulator,
  successfulRemovalCalls,
  TRACEABLE,
  watchUnhandledRejections,
} from './harness.ts';

const DLQ = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-dlq';
const LIMITS = { MAX_REMOVALS_PER_SWEEP: '100', MAX_REMOVALS_PER_GROUP: '10' };
/** Redelivery rounds allowed before the faulted phase counts as stuck. */
const MAX_ROUNDS = 12;
const SQS_BATCH = 10;

const SEEDS = { demo: [1, 2, 3, 4, 5, 6], generated: [7, 8, 9] };
const rejections = watchUnhandledRejections();
/** Delivery rounds the faulted phase of each seed needed. */
const roundsNeeded: number[] = [];
afterAll(() => {
  rejections.stop();
  // Redelivery was exercised: some record came back in batchItemFailures.
  if (roundsNeeded.length === SEEDS.demo.length + SEEDS.generated.length) {
    expect(Math.max(...roundsNeeded)).toBeGreaterThan(1);
  }
});

/** An SQS client of its own, mocked per instance so concurrent tests never share calls. */
function mockedSqs() {
  const sqs = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(sqs);
  mock.on(SendMessageCommand).resolves({ MessageId: 'dlq-message' });
  return { sqs, mock };
}

/** The member lists a fault-free sweep leaves behind, on a fresh simulator. */
async function expectedMembers(source: FleetSource, seed: number) {
  const sim = await startFaultSimulator(source, seed);
  try {
    const handler = createSweepHandler(faultDeps(sim, { env: LIMITS }));
    const report = await handler(loadEvent('schedule.json'), contextFor(sim));
    expect(report.status).toBe('completed');
    return membership(sim);
  } finally {
    await sim.close();
  }
}

/**
 * Delivers `bodies` in batches of ten, then redelivers exactly the records a
 * batch response named as failed, as SQS would, until none fail or the
 * rounds run out. Returns the rounds used and what was still failing.
 */
async function deliverUntilSettled(
  handler: (event: unknown, context: ReturnType<typeof contextFor>) => Promise<SQSBatchResponse>,
  sim: Simulator,
  bodies: readonly string[],
): Promise<{ rounds: number; pending: string[] }> {
  let pending = [...bodies];
  let rounds = 0;
  while (pending.length > 0 && rounds < MAX_ROUNDS) {
    rounds++;
    const again: string[] = [];
    for (let start = 0; start < pending.length; start += SQS_BATCH) {
      const chunk = pending.slice(start, start + SQS_BATCH);
      const event = sqsEvent(chunk);
      const response = await handler(event, contextFor(sim));
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      event.Records.forEach((record, i) => {
        if (failed.has(record.messageId)) again.push(chunk[i] as string);
      });
    }
    pending = again;
  }
  return { rounds, pending };
}

async function checkSeed(source: FleetSource, seed: number): Promise<void> {
  const expected = await expectedMembers(source, seed);
  const sim = await startFaultSimulator(source, seed);
  const { sqs, mock } = mockedSqs();
  try {
    const fleet = new Set(sim.state.servers.map((s) => s.id));
    const withSessions = serversWithSessions(sim);
    const removed = recordRemovals(sim);
    const rejectionsBefore = rejections.reasons.length;
    const { logger, logs } = capturingLogger();
    const handler = createRemediateHandler(
      faultDeps(sim, { env: { ...LIMITS, DEAD_LETTER_QUEUE_URL: DLQ }, logger, sqs }),
    );
    const bodies = sim.state.groups.map((g) =>
      JSON.stringify({ type: 'evaluate-group', projectId: sim.projectId, serverGroupId: g.id }),
    );

    // Every route as in the sweep runs; on the small demo fleet remove_member
    // also fails transiently most of the time, so removals outlast the
    // client's five attempts and their records come back in batchItemFailures.
    const base = faultsFor(seed);
    const heavy = { error500: 0.1, error503: 0.5, reset: 0.1, hang: 0.05 };
    sim.setFaults(
      source.generate === undefined
        ? { ...base, routes: { ...base.routes, ecsAction: heavy } }
        : base,
    );
    const faulted = await deliverUntilSettled(handler, sim, bodies);
    expect(faulted.pending).toEqual([]);
    roundsNeeded.push(faulted.rounds);
    expect(sim.calls.some((c) => c.fault !== null)).toBe(true);

    // Dead-lettered records carry a traceable error, and only permanent ones go there.
    const deadLettered = mock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    for (const sent of deadLettered) {
      expect(sent.QueueUrl).toBe(DLQ);
      expect(sent.MessageAttributes?.['kind']?.StringValue).toBe('failed');
      expect(sent.MessageAttributes?.['error']?.StringValue).toMatch(TRACEABLE);
    }

    // The next delivery of every group (the next sweep's fanout) on a good day.
    sim.setFaults({});
    const clean = await deliverUntilSettled(handler, sim, bodies);
    expect(clean.rounds).toBe(1);
    expect(mock.commandCalls(SendMessageCommand)).toHaveLength(deadLettered.length);

    expect(membership(sim)).toEqual(expected);
    expect(removed.filter((id) => withSessions.has(id))).toEqual([]);
    expect(removed.filter((id) => !fleet.has(id))).toEqual([]);
    expect(new Set(removed).size).toBe(removed.length);
    expect(successfulRemovalCalls(sim)).toHaveLength(removed.length);

    // A record handed back for retry names the request or the network cause too.
    const retried = logs.lines.filter((l) => l['message'] === 'record failed, will be retried');
    expect(retried.filter((l) => !TRACEABLE.test(String(l['error'])))).toEqual([]);
    expect(
      leakedSecrets([...logs.raw, ...deadLettered.map((sent) => JSON.stringify(sent))]),
    ).toEqual([]);
    expect(rejections.reasons.slice(rejectionsBefore)).toEqual([]);
  } finally {
    mock.restore();
    sqs.destroy();
    await sim.close();
  }
}

describe('remediate handler under injected faults', () => {
  it.concurrent.each(SEEDS.demo)(
    'converges on the demo fleet through redeliveries with fault seed %i',
    async (seed) => {
      await checkSeed(fleetOf('demo', seed), seed);
    },
  );

  it.concurrent.each(SEEDS.generated)(
    'converges on a generated 30 × 8 fleet through redeliveries with seed %i',
    async (seed) => {
      await checkSeed(fleetOf('generated', seed), seed);
    },
  );

  it('returns a record whose removal failed for a transient reason, so SQS retries it', async () => {
    const sim = await startFaultSimulator(fleetOf('demo', 1), 1);
    const { sqs, mock } = mockedSqs();
    try {
      const handler = createRemediateHandler(
        faultDeps(sim, { env: { DEAD_LETTER_QUEUE_URL: DLQ }, sqs }),
      );
      // Every remove_member answers 503: the listings are fine, the removal is not.
      sim.setFaults({ seed: 1, routes: { ecsAction: { error503: 1 } } });
      const event = sqsEvent([
        JSON.stringify({
          type: 'evaluate-group',
          projectId: sim.projectId,
          serverGroupId: 'sg-floor',
        }),
      ]);
      const response = await handler(event, contextFor(sim));
      expect(mutatingCalls(sim).length).toBeGreaterThan(0);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
      expect(mock).not.toReceiveCommand(SendMessageCommand);
      expect(sim.state.membersOf('sg-floor')).toHaveLength(4);
    } finally {
      mock.restore();
      sqs.destroy();
      await sim.close();
    }
  });
});
