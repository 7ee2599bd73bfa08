import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import type { HistorySample } from '../../../lib/history/sample.ts';
import { readHistory } from '../../../lib/history/store.ts';
import { fakeContext, sqsEvent } from '../../../scripts/lib/lambda.ts';
import { type LocalS3, localS3Client, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import { type LocalSqs, startLocalSqs } from '../../../sim/local-sqs.ts';
import type { Simulator } from '../../../sim/server.ts';
import { weeklyGroups } from '../../../sim/weekly-fleet.ts';
import { putLearnedNeeds, startWeeklySimulator } from '../../helpers/history.ts';
import { capturingMetrics, depsFor, emfValues, mutatingCalls } from '../../helpers/stack.ts';

// Monday 2026-11-09 07:30 UTC: the hour before the planted peak.
const NOW = Date.parse('2026-11-09T07:30:00Z');
const SEED = 11;
const GROUPS = 23;

// The same fleet swept twice at the same instant, once inline and once
// fanned out through a real local SQS (remediate consuming it batch by
// batch), each into its own local S3: recommend must read the same history
// from both, and both sweeps must warn of the same storm.
describe('fanout sweeps keep the same demand history as inline ones (local SQS + s3rver + simulator)', () => {
  let sim: Simulator;
  let sqs: LocalSqs;
  const stores: { inline?: [LocalS3, S3Client]; fanout?: [LocalS3, S3Client] } = {};
  const groups = weeklyGroups({ groups: GROUPS, seed: SEED });
  const needs = Array.from({ length: 168 }, (_, slot) => (slot === 8 ? 40 : 1));

  beforeAll(async () => {
    sim = await startWeeklySimulator(groups, SEED, NOW);
    sqs = await startLocalSqs();
    for (const mode of ['inline', 'fanout'] as const) {
      const s3 = await startLocalS3();
      const client = localS3Client(s3.endpoint);
      stores[mode] = [s3, client];
      // Learned needs for the first two groups: a storm of 40 servers at Monday 08:00.
      await putLearnedNeeds(
        { client, bucket: s3.bucket, projectId: sim.projectId },
        groups.slice(0, 2),
        needs,
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const [s3, client] of Object.values(stores)) {
      client.destroy();
      await s3.close();
    }
    await sqs?.close();
    await sim?.close();
  });

  const context = (id: string) => ({
    ...fakeContext({ now: () => sim.now().getTime() }),
    awsRequestId: id,
  });

  async function inlineSweep(env: Record<string, string>) {
    const [s3, client] = stores.inline!;
    const deps = depsFor(sim, {
      env: { REPORT_BUCKET: s3.bucket, DRY_RUN: 'true', ...env },
      s3: async () => client,
    });
    return (await createSweepHandler(deps)({}, context('inline-1'))) as FinishedSweepReport;
  }

  async function fanoutSweep(env: Record<string, string>) {
    const [s3, client] = stores.fanout!;
    const { metrics, emf } = capturingMetrics();
    const deps = depsFor(sim, {
      env: {
        REPORT_BUCKET: s3.bucket,
        DRY_RUN: 'true',
        SWEEP_MODE: 'fanout',
        REMEDIATION_QUEUE_URL: sqs.remediationQueueUrl,
        DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
        ...env,
      },
      sqs: sqs.client,
      s3: async () => client,
      metrics,
    });
    const report = (await createSweepHandler(deps)({}, context('fanout-1'))) as FinishedSweepReport;
    const remediate = createRemediateHandler(deps);
    let batches = 0;
    for (;;) {
      const messages = await sqs.receive(sqs.remediationQueueUrl, 10, 60);
      if (messages.length === 0) break;
      const event = sqsEvent(messages.map((m) => m.body));
      const response = (await remediate(event, context(`batch-${batches++}`))) as SQSBatchResponse;
      expect(response.batchItemFailures).toEqual([]);
      await sqs.delete(
        sqs.remediationQueueUrl,
        messages.map((m) => m.receiptHandle),
      );
    }
    return { report, batches, emf };
  }

  async function historyIn(mode: 'inline' | 'fanout') {
    const [s3, client] = stores[mode]!;
    const samples: HistorySample[] = [];
    const read = await readHistory(
      sim.projectId,
      { from: NOW - 3_600_000, to: NOW + 3_600_000 },
      (s) => samples.push(...s),
      { bucket: s3.bucket, s3: async () => client },
    );
    return {
      objects: read.objects,
      bad: read.bad,
      samples: samples.sort((a, b) => a.group.localeCompare(b.group)),
    };
  }

  it('records every group once, in the same partition, as the inline sweep does, and warns of the same storm', async () => {
    const inline = await inlineSweep({ LEARNED_FLOORS: 'raise' });
    const fanout = await fanoutSweep({ LEARNED_FLOORS: 'raise' });
    expect(mutatingCalls(sim)).toEqual([]);
    expect(fanout.report.enqueued).toEqual({ sent: GROUPS, failed: [] });
    expect(fanout.report.history).toEqual({
      samples: 0,
      objects: 0,
      bytes: 0,
      keptBy: 'remediate',
    });

    const a = await historyIn('inline');
    const b = await historyIn('fanout');
    expect(a.objects).toBe(1);
    // One object per remediate batch: O(1) requests per group, ⌈groups ÷ 10⌉ here.
    expect(b.objects).toBe(fanout.batches);
    expect(b.objects).toBe(Math.ceil(GROUPS / 10));
    expect(a.bad + b.bad).toBe(0);
    expect(a.samples).toHaveLength(GROUPS);
    expect(b.samples).toEqual(a.samples);
    // LEARNED_FLOORS=raise reached remediate through the message: the floor in force is the learned one.
    expect(b.samples.find((s) => s.group === groups[0]!.id)?.floor).toBe(40);
    expect(b.samples.find((s) => s.group === groups[2]!.id)?.floor).toBe(1);

    const warned = (r: FinishedSweepReport) =>
      (r.stormWarnings ?? []).map((w) => [w.serverGroupId, w.hour, w.need, w.floor]).sort();
    expect(warned(fanout.report)).toEqual(warned(inline));
    expect(warned(fanout.report)).toEqual(
      groups
        .slice(0, 2)
        .map((g) => [g.id, 'Mon 08:00–09:00', 40, 1])
        .sort(),
    );
    expect(fanout.report.summary).toMatch(/2 storm warnings/);
    expect(emfValues(fanout.emf, 'StormWarnings').map((v) => v.value)).toEqual([2]);
    expect(emfValues(fanout.emf, 'HistoryFailures').map((v) => v.value)).toEqual([
      0,
      ...Array.from({ length: fanout.batches }, () => 0),
    ]);
  }, 120_000);
});
