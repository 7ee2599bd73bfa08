import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../functions/remediate.ts';
import { createSweepHandler } from '../../functions/sweep.ts';
import { PoisonMessageError } from '../../lib/errors.ts';
import { parseQueueMessage } from '../../lib/queue/parse.ts';
import { isInService } from '../../lib/scaling/idle.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { loadEvent, sqsEvent } from '../../scripts/lib/lambda.ts';
import type { Simulator } from '../../sim/server.ts';
import { capturingLogger, mutatingCalls } from '../helpers/stack.ts';
import {
  CALM_ENV,
  contextFor,
  faultDeps,
  fleetOf,
  leakedSecrets,
  loopbackFetch,
  recordRemovals,
  serversWithSessions,
  startFaultSimulator,
  watchUnhandledRejections,
} from './harness.ts';

const DLQ = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-dlq';
/** The longest body lib/queue/parse.ts reads (SQS's own cap, 256 KiB). */
const MAX_BODY_CHARS = 262_144;

const rejections = watchUnhandledRejections();
let sim: Simulator;
let removed: string[];
/** What one normal sweep of the demo fleet removes. */
let normalRemovals: Set<string>;
/** Members a remove-member message may ever take: idle ones of groups that scale in or hold steady. */
let removable: Set<string>;
let withSessions: Set<string>;
let groupIds: string[];
let instanceIds: string[];
/** Every grouped server as a remove-member target: its group and instance ids. */
let members: { serverGroupId: string; instanceUuid: string }[];

const sqs = new SQSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sqsMock = mockClient(sqs);

/** Puts the demo fleet back as it was and forgets the removals recorded so far. */
function resetFleet(): void {
  sim.reset();
  removed.length = 0;
}

beforeAll(async () => {
  sim = await startFaultSimulator(fleetOf('demo', 1), 1);
  removed = recordRemovals(sim);
  withSessions = serversWithSessions(sim);
  groupIds = sim.state.groups.map((g) => g.id);
  instanceIds = sim.state.servers.flatMap((s) => (s.instance_id ? [s.instance_id] : []));
  members = sim.state.servers.flatMap((s) =>
    s.server_group_id && s.instance_id
      ? [{ serverGroupId: s.server_group_id, instanceUuid: s.instance_id }]
      : [],
  );

  const sweep = (env: Record<string, string>) =>
    createSweepHandler(faultDeps(sim, { env: { ...env, ...CALM_ENV } }))(
      loadEvent('schedule.json'),
      contextFor(sim),
    );
  const plan: SweepReport = await sweep({ DRY_RUN: 'true' });
  removable = new Set(
    plan.groups
      .filter((g) => g.decision === 'scale-in' || g.decision === 'steady')
      .flatMap((g) => g.members ?? [])
      .filter((m) => ['idle', 'floor', 'group-cap', 'anti-flap'].includes(m.reason.kind))
      .map((m) => m.serverId),
  );
  await sweep({});
  normalRemovals = new Set(removed);
  // Three planned; srv-fl-idle-b's instance is in no ECS group (not-in-ecs-group).
  expect(normalRemovals.size).toBe(2);
  resetFleet();
});

afterAll(async () => {
  rejections.stop();
  sqsMock.restore();
  sqs.destroy();
  await sim?.close();
});

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-message' });
});

const unicode = fc.string({ unit: 'binary', maxLength: 60 });
const anything = fc.anything({
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  stringUnit: 'binary',
});
const huge = fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'x'.repeat(n));

/** Serialises any value the way a sender might, even values JSON cannot hold. */
function asBody(value: unknown): string {
  try {
    return JSON.stringify(value) ?? fc.stringify(value);
  } catch {
    return fc.stringify(value);
  }
}

describe('sweep handler fuzzed with arbitrary events', () => {
  const region = fc.constantFrom(
    undefined,
    'cn-north-4',
    'cn-east-3',
    'eu-west-101',
    'nowhere',
    '',
  );
  const projects = fc.array(
    fc.record(
      {
        projectId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), unicode, anything),
        region: fc.oneof(region, anything),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  );
  const events = fc.oneof(
    anything,
    fc.jsonValue(),
    huge,
    fc.record({ detail: anything }),
    fc.record({
      detail: fc.record({ dryRun: anything, projects: anything }, { requiredKeys: [] }),
    }),
    fc.record(
      { detail: fc.record({ dryRun: fc.boolean(), projects }, { requiredKeys: [] }), id: unicode },
      { requiredKeys: ['detail'] },
    ),
    huge.map((projectId) => ({ detail: { projects: [{ projectId }] } })),
  );

  it('returns a report or rejects with a PoisonMessageError naming the field, before any request', async () => {
    const { logger, logs } = capturingLogger();
    const handler = createSweepHandler(faultDeps(sim, { logger, fetch: loopbackFetch }));
    let reports = 0;
    let poison = 0;
    await fc.assert(
      fc.asyncProperty(events, async (event) => {
        const callsBefore = sim.calls.length;
        let report: SweepReport;
        try {
          report = await handler(event, contextFor(sim));
        } catch (error) {
          poison++;
          expect(error).toBeInstanceOf(PoisonMessageError);
          expect((error as Error).message).toMatch(/^invalid sweep event: (\(root\)|detail\b)/);
          expect(sim.calls.length).toBe(callsBefore);
          expect(removed).toEqual([]);
          return;
        }
        reports++;
        expect(report.kind).toBe('sweep');
        expect(removed.filter((id) => !normalRemovals.has(id))).toEqual([]);
        if (sim.calls.length > callsBefore) resetFleet();
      }),
      { seed: 20261128, numRuns: 200 },
    );
    // The arbitraries reach both sides of the schema.
    expect(reports).toBeGreaterThan(10);
    expect(poison).toBeGreaterThan(10);
    expect(leakedSecrets(logs.raw)).toEqual([]);
    expect(rejections.reasons).toEqual([]);
  });
});

describe('remediate handler fuzzed with arbitrary record bodies', () => {
  // Near-misses of the two message shapes; ids never name the simulator's
  // project, so even a body that happens to fit cannot reach its servers.
  const nearMessage = fc.record(
    {
      type: fc.oneof(
        fc.constantFrom('evaluate-group', 'remove-member', 'Evaluate-Group', 'remove_member', ''),
        anything,
      ),
      projectId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), unicode, anything),
      serverGroupId: fc.oneof(unicode, huge, anything),
      instanceUuid: fc.oneof(fc.uuid(), unicode, anything),
      reason: fc.oneof(fc.string({ maxLength: 2_000 }), anything),
      dryRun: anything,
      extra: anything,
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.jsonValue().map(asBody),
    anything.map(asBody),
    nearMessage.map(asBody),
    fc.constant(''),
    fc
      .integer({ min: MAX_BODY_CHARS - 2, max: MAX_BODY_CHARS + 5_000 })
      .map((n) => `"${'y'.repeat(n)}"`),
  );

  // The contract's own schema is the oracle of what is poison.
  const isPoison = (text: string): boolean => {
    try {
      parseQueueMessage(text);
      return false;
    } catch (error) {
      expect(error).toBeInstanceOf(PoisonMessageError);
      return true;
    }
  };

  it('never throws, dead-letters each poison record once with its error, and never mutates', async () => {
    const { logger, logs } = capturingLogger();
    const handler = createRemediateHandler(
      faultDeps(sim, { env: { DEAD_LETTER_QUEUE_URL: DLQ }, logger, sqs, fetch: loopbackFetch }),
    );
    let poisonRecords = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 10 }), async (bodies) => {
        sqsMock.resetHistory();
        const event = sqsEvent(bodies);
        const response = await handler(event, contextFor(sim));
        expect(response.batchItemFailures).toEqual([]);

        const sent = sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
        const poisonSent = sent.filter(
          (s) => s.MessageAttributes?.['kind']?.StringValue === 'poison',
        );
        const expected = event.Records.flatMap((r, i) => (isPoison(bodies[i] ?? '') ? [r] : []));
        poisonRecords += expected.length;
        expect(
          poisonSent.map((s) => s.MessageAttributes?.['sourceMessageId']?.StringValue),
        ).toEqual(expected.map((r) => r.messageId));
        for (const s of poisonSent) {
          const index = event.Records.findIndex(
            (r) => r.messageId === s.MessageAttributes?.['sourceMessageId']?.StringValue,
          );
          expect(s.QueueUrl).toBe(DLQ);
          expect(s.MessageAttributes?.['error']?.StringValue).toMatch(
            new RegExp(`^Records\\[${index}\\]\\.body\\b`),
          );
        }
        // A body that fits the schema names a foreign project: refused by the cloud, dead-lettered.
        expect(sent.every((s) => s.QueueUrl === DLQ)).toBe(true);
        expect(sent).toHaveLength(bodies.length);
        expect(mutatingCalls(sim)).toEqual([]);
        expect(removed).toEqual([]);
      }),
      { seed: 20261129, numRuns: 150 },
    );
    expect(poisonRecords).toBeGreaterThan(300);
    expect(leakedSecrets(logs.raw)).toEqual([]);
    expect(rejections.reasons).toEqual([]);
  });
});

describe('remediate handler fuzzed with well-formed hostile messages', () => {
  const id = (real: () => string[]) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...real()) },
      fc.uuid(),
      fc.constantFrom('..', '.', 'a/b', '%2e%2e', '?offset=0', '#x', ' sg-floor ', 'SG-FLOOR', '*'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 128 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    );

  it('never removes a server that is not idle, nor breaks a group floor', async () => {
    const { logger, logs } = capturingLogger();
    const handler = createRemediateHandler(
      faultDeps(sim, { env: { DEAD_LETTER_QUEUE_URL: DLQ }, logger, sqs, fetch: loopbackFetch }),
    );
    const message = fc.oneof(
      fc
        .tuple(
          fc.oneof(
            // A real member named with its own group: the messages that can act.
            { weight: 3, arbitrary: fc.constantFrom(...members) },
            fc.record({ serverGroupId: id(() => groupIds), instanceUuid: id(() => instanceIds) }),
          ),
          fc.record(
            { reason: fc.string({ unit: 'binary', maxLength: 200 }), dryRun: fc.boolean() },
            { requiredKeys: [] },
          ),
        )
        .map(([target, rest]) => ({
          type: 'remove-member' as const,
          projectId: sim.projectId,
          ...target,
          ...rest,
        })),
      fc.record(
        {
          type: fc.constant('evaluate-group'),
          projectId: fc.constant(sim.projectId),
          serverGroupId: id(() => groupIds),
          dryRun: fc.boolean(),
        },
        { requiredKeys: ['type', 'projectId', 'serverGroupId'] },
      ),
    );
    const valid = message.filter((m) => {
      const ok = (s: string) => s.trim().length > 0 && s.trim().length <= 128;
      return ok(m.serverGroupId) && (m.type === 'evaluate-group' || ok(m.instanceUuid));
    });
    let removals = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(valid, { minLength: 1, maxLength: 10 }), async (messages) => {
        resetFleet();
        sqsMock.resetHistory();
        const inService = new Map(
          groupIds.map((g) => [g, sim.state.membersOf(g).filter(isInService).length]),
        );
        const response = await handler(
          sqsEvent(messages.map((m) => JSON.stringify(m))),
          contextFor(sim),
        );
        expect(response.batchItemFailures).toEqual([]);
        expect(sqsMock.commandCalls(SendMessageCommand)).toEqual([]);
        removals += removed.length;
        expect(removed.filter((s) => !removable.has(s) || withSessions.has(s))).toEqual([]);
        expect(new Set(removed).size).toBe(removed.length);
        for (const [group, before] of inService) {
          const after = sim.state.membersOf(group).filter(isInService).length;
          expect(after).toBeGreaterThanOrEqual(Math.min(before, 1));
        }
        if (messages.every((m) => m.dryRun === true)) expect(mutatingCalls(sim)).toEqual([]);
      }),
      { seed: 20261130, numRuns: 100 },
    );
    // Real ids are drawn often enough that idle members do get removed.
    expect(removals).toBeGreaterThan(0);
    expect(leakedSecrets(logs.raw)).toEqual([]);
    expect(rejections.reasons).toEqual([]);
    resetFleet();
  });
});
