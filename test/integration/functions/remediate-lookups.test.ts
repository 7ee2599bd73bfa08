import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectFanout } from '../../../bench/lib/fanout-minimum.ts';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { fakeContext, sqsEvent } from '../../../scripts/lib/lambda.ts';
import { generateFleet } from '../../../sim/generate-fleet.ts';
import type { Simulator } from '../../../sim/server.ts';
import { useDrainTable } from '../../helpers/drain-stack.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// An evaluate-group message looks up the ECS record of every removal it plans
// (lib/removal/plan/eligibility.ts): in a dry run, acting at once
// (DRAIN_SECONDS=0) and at a drain's start. Those lookups run side by side,
// bounded by MAX_CONCURRENCY; with a latency injected on that route alone,
// the message's time tells one after another (n × L) from side by side (⌈n ÷ C⌉ × L).
const FLEET = { groups: 40, serversPerGroup: 20, seed: 42 };
const LOOKUP_MS = 400;

const QUEUE = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-remediation';

/** The three loops over a group's planned removals (lib/removal/lifecycle.ts, lib/removal/drain/begin-drains.ts). */
const MODES = [
  ['a dry run', { dryRun: true, env: {} }],
  ['an acting run, DRAIN_SECONDS=0', { dryRun: false, env: {} }],
  ['a drain start', { dryRun: false, env: { DRAIN_SECONDS: '10', REMEDIATION_QUEUE_URL: QUEUE } }],
] as const;

describe('a remediate message looks up its planned removals side by side', () => {
  const table = useDrainTable();
  const sqs = mockClient(SQSClient);
  let sim: Simulator;
  // The group planning the most removals, one of them in no ECS group at least.
  let target: { id: string; removals: number; refused: number };

  beforeAll(async () => {
    const fleet = generateFleet(FLEET);
    const expected = expectFanout(fleet);
    const ranked = expected.groups
      .map((g, i) => ({
        id: fleet.groups[i]?.id ?? '',
        removals: g.removals,
        refused: g.removals - (g.drained ?? 0),
      }))
      .filter((g) => g.refused > 0)
      .sort((a, b) => b.removals - a.removals);
    target = ranked[0] as typeof target;
    sim = await startFrozenSimulator({ generate: FLEET });
  });
  afterAll(async () => {
    sqs.restore();
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
    sim.setFaults({ routes: { showEcsServer: { latencyMs: LOOKUP_MS } } });
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: unknown[] }) => ({
      Successful: input.Entries.map((_, i) => ({ Id: `m${i}` })),
      Failed: [],
    }));
  });

  const run = async (
    maxConcurrency: number,
    mode: { dryRun: boolean; env: Record<string, string> } = MODES[0][1],
  ) => {
    const { logger, logs } = capturingLogger();
    const handler = createRemediateHandler({
      ...depsFor(sim, {
        logger,
        env: {
          MAX_CONCURRENCY: String(maxConcurrency),
          DRAIN_TABLE_NAME: table.dynamo.tableName,
          ...mode.env,
        },
      }),
      dynamo: async () => table.dynamo.client,
    });
    const body = JSON.stringify({
      type: 'evaluate-group',
      projectId: sim.projectId,
      serverGroupId: target.id,
      dryRun: mode.dryRun,
    });
    const started = performance.now();
    const response = (await handler(
      sqsEvent([body]),
      fakeContext({ now: () => sim.now().getTime() }),
    )) as SQSBatchResponse;
    const elapsedMs = performance.now() - started;
    expect(response.batchItemFailures).toEqual([]);
    const lookups = sim.calls.filter((c) => c.route === 'showEcsServer');
    return { elapsedMs, lookups, logs: logs.lines };
  };

  it.each(MODES)('%s takes one lookup round, not one per removal', async (_name, mode) => {
    expect(target.removals).toBeGreaterThanOrEqual(6);
    const { elapsedMs, lookups, logs } = await run(16, mode);
    expect(lookups).toHaveLength(target.removals);
    // One after another would take at least removals × 400 ms; side by side about 400 ms.
    expect(elapsedMs).toBeLessThan((target.removals * LOOKUP_MS) / 2);
    expect(logs.filter((l) => l['outcome'] === 'not-in-ecs-group')).toHaveLength(target.refused);
  });

  // Whether the instance a showEcsServer call read is in an ECS group, by the simulator's state.
  const inEcs = (path: string) =>
    sim.state.ecs.all.some((g) => g.members.includes(path.slice(path.lastIndexOf('/') + 1)));

  it('reports in the planned order, each refusal on its own server', async () => {
    const { logs } = await run(16);
    const planned = logs.find((l) => l['message'] === 'group evaluated')?.['planned'];
    const reported = logs.filter((l) => l['audit'] === 'removal');
    expect(reported.map((l) => l['serverId'])).toEqual(planned);
    for (const line of reported) {
      expect(line['outcome']).toBe(
        inEcs(`/${String(line['instanceId'])}`) ? 'would-remove' : 'not-in-ecs-group',
      );
    }
    expect(reported.some((l) => l['outcome'] === 'not-in-ecs-group')).toBe(true);
  });

  it('keeps the lookups within MAX_CONCURRENCY', async () => {
    const { elapsedMs, lookups } = await run(2);
    expect(lookups).toHaveLength(target.removals);
    // Two at a time: at least ⌈removals ÷ 2⌉ rounds of 400 ms.
    expect(elapsedMs).toBeGreaterThanOrEqual(Math.ceil(target.removals / 2) * LOOKUP_MS - 50);
  });
});
