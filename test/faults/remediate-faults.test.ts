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
  CALM_ENV,
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

const SEEDS = {
  demo: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
  generated: [15, 16, 17, 18, 19, 20],
};
const rejections = watchUnhandledRejections();
/** Delivery rounds the faulted phase of each seed needed. */
const roundsNeeded: number[] = [];
/** Every delivery's outcome over all seeds, to show each outcome was exercised. */
const seen = { acted: 0, retried: 0, deadLettered: 0, removalDeadLettered: 0 };
afterAll(() => {
  rejections.stop();
  if (roundsNeeded.length === SEEDS.demo.length + SEEDS.generated.length) {
    // Redelivery was exercised: some record came back in batchItemFailures.
    expect(Math.max(...roundsNeeded)).toBeGreaterThan(1);
    // Each outcome happened, including a message dead-lettered for a failed removal.
    expect(seen.retried).toBeGreaterThan(0);
    expect(seen.deadLettered).toBeGreaterThan(0);
    expect(seen.removalDeadLettered).toBeGreaterThan(0);
  }
});

/** What a failure reads like when retrying could help: these must never reach the DLQ. */
const TRANSIENT_TEXT =
  /failed with (429|500|502|503|504)\b|timed out after \d+ ms|network error|before the invocation deadline/;

type Delivery =
  | { outcome: 'acted'; removals: string[] }
  | { outcome: 'retried' }
  | { outcome: 'dead-lettered'; error: string };

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
    const handler = createSweepHandler(faultDeps(sim, { env: { ...LIMITS, ...CALM_ENV } }));
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
  watch?: {
    mock: ReturnType<typeof mockedSqs>['mock'];
    logs: { lines: Record<string, unknown>[] };
  },
): Promise<{ rounds: number; pending: string[]; deliveries: Map<string, Delivery[]> }> {
  let pending = [...bodies];
  let rounds = 0;
  const deliveries = new Map<string, Delivery[]>(bodies.map((b) => [b, []]));
  while (pending.length > 0 && rounds < MAX_ROUNDS) {
    rounds++;
    const again: string[] = [];
    for (let start = 0; start < pending.length; start += SQS_BATCH) {
      const chunk = pending.slice(start, start + SQS_BATCH);
      const event = sqsEvent(chunk);
      const sentBefore = watch?.mock.commandCalls(SendMessageCommand).length ?? 0;
      const linesBefore = watch?.logs.lines.length ?? 0;
      const response = await handler(event, contextFor(sim));
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const sent = (watch?.mock.commandCalls(SendMessageCommand) ?? [])
        .slice(sentBefore)
        .map((c) => c.args[0].input);
      const lines = watch?.logs.lines.slice(linesBefore) ?? [];
      event.Records.forEach((record, i) => {
        const body = chunk[i] as string;
        if (failed.has(record.messageId)) again.push(body);
        if (watch === undefined) return;
        // Exactly one outcome per delivery: returned for retry, dead-lettered, or acted on.
        const retried = failed.has(record.messageId);
        const dead = sent.filter((m) => m.MessageBody === body);
        const processed = lines.filter(
          (l) => l['message'] === 'record processed' && l['messageId'] === record.messageId,
        );
        expect([retried, dead.length > 0, processed.length > 0].filter(Boolean)).toHaveLength(1);
        expect(dead.length).toBeLessThanOrEqual(1);
        expect(processed.length).toBeLessThanOrEqual(1);
        const list = deliveries.get(body) as Delivery[];
        if (retried) list.push({ outcome: 'retried' });
        else if (dead[0] !== undefined) {
          const error = dead[0].MessageAttributes?.['error']?.StringValue ?? '';
          list.push({ outcome: 'dead-lettered', error });
        } else {
          const summary = processed[0] as { removals?: { outcome: string }[]; outcome?: string };
          const removals = [
            ...(summary.removals ?? []).map((r) => r.outcome),
            ...(summary.outcome !== undefined ? [summary.outcome] : []),
          ];
          list.push({ outcome: 'acted', removals });
        }
      });
    }
    pending = again;
  }
  return { rounds, pending, deliveries };
}

/**
 * Per record: it ended acted or dead-lettered; an acknowledged delivery had no
 * failed removal (a permanent failure is never acknowledged silently); a
 * dead-lettered one failed for a reason retrying cannot fix (a transient
 * failure is never dead-lettered) and is traceable.
 */
function checkOutcomes(deliveries: Map<string, Delivery[]>): void {
  for (const [body, list] of deliveries) {
    const last = list.at(-1);
    expect(last?.outcome, body).not.toBe('retried');
    expect(
      list.slice(0, -1).every((d) => d.outcome === 'retried'),
      body,
    ).toBe(true);
    for (const d of list) {
      seen[d.outcome === 'dead-lettered' ? 'deadLettered' : d.outcome]++;
      if (d.outcome === 'acted') expect(d.removals, body).not.toContain('failed');
      if (d.outcome === 'dead-lettered') {
        expect(d.error, body).not.toMatch(TRANSIENT_TEXT);
        expect(d.error, body).toMatch(TRACEABLE);
        if (d.error.startsWith('removal of ')) seen.removalDeadLettered++;
      }
    }
  }
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
    const faulted = await deliverUntilSettled(handler, sim, bodies, { mock, logs });
    expect(faulted.pending).toEqual([]);
    checkOutcomes(faulted.deliveries);
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
    const calm = createRemediateHandler(
      faultDeps(sim, { env: { ...LIMITS, ...CALM_ENV, DEAD_LETTER_QUEUE_URL: DLQ }, sqs }),
    );
    const clean = await deliverUntilSettled(calm, sim, bodies);
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
