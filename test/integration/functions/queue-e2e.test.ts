import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, sqsEvent } from '../../../scripts/lib/lambda.ts';
import { type LocalSqs, startLocalSqs } from '../../../sim/local-sqs.ts';
import type { Simulator } from '../../../sim/server.ts';
import { depsFor, mutatingCalls, startFrozenSimulator } from '../../helpers/stack.ts';

describe('fanout through a real local SQS server', () => {
  let sim: Simulator;
  let sqs: LocalSqs;
  beforeAll(async () => {
    sim = await startFrozenSimulator();
    sqs = await startLocalSqs();
  });
  afterAll(async () => {
    await sqs.close();
    await sim.close();
  });

  const env = () => ({
    SWEEP_MODE: 'fanout',
    REMEDIATION_QUEUE_URL: sqs.remediationQueueUrl,
    DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
  });
  const context = () => fakeContext({ now: () => sim.now().getTime() });

  it('sweeps into the queue, then remediate consumes it and reaches the inline end state', async () => {
    const sweep = createSweepHandler(depsFor(sim, { env: env(), sqs: sqs.client }));
    const report = (await sweep({ detail: {} }, context())) as SweepReport;
    expect(report.enqueued).toEqual({ sent: 8, failed: [] });
    expect(mutatingCalls(sim)).toEqual([]);

    const remediate = createRemediateHandler(depsFor(sim, { env: env(), sqs: sqs.client }));
    let records = 0;
    for (let round = 0; round < 5; round++) {
      const messages = await sqs.receive(sqs.remediationQueueUrl, 10, 60);
      if (messages.length === 0) break;
      records += messages.length;
      const event = sqsEvent(messages.map((m) => m.body));
      event.Records.forEach((r, i) => {
        r.messageId = messages[i]?.messageId ?? r.messageId;
      });
      const response = (await remediate(event, context())) as SQSBatchResponse;
      expect(response.batchItemFailures).toEqual([]);
      await sqs.delete(
        sqs.remediationQueueUrl,
        messages.map((m) => m.receiptHandle),
      );
    }
    expect(records).toBe(8);
    expect(
      sim.state
        .membersOf('sg-floor')
        .map((s) => s.id)
        .sort(),
    ).toEqual(['srv-fl-idle-b', 'srv-fl-idle-c', 'srv-fl-maintenance']);
    expect(sim.state.membersOf('sg-scale-in').map((s) => s.id)).not.toContain('srv-si-idle-1');
    // srv-fl-idle-b's instance is in no ECS group: nothing is called for it.
    expect(mutatingCalls(sim)).toHaveLength(2);
    expect(await sqs.receive(sqs.deadLetterQueueUrl)).toEqual([]);
  });

  it('puts a poison message on the real dead-letter queue with its error', async () => {
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: sqs.remediationQueueUrl,
        MessageBody: '{"type":"scale"}',
      }),
    );
    const [message] = await sqs.receive(sqs.remediationQueueUrl);
    expect(message).toBeDefined();
    const remediate = createRemediateHandler(depsFor(sim, { env: env(), sqs: sqs.client }));
    const event = sqsEvent([message?.body ?? '']);
    const response = (await remediate(event, context())) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([]);
    const dead = await sqs.drain(sqs.deadLetterQueueUrl);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.body).toBe('{"type":"scale"}');
    expect(dead[0]?.attributes['kind']).toBe('poison');
    expect(dead[0]?.attributes['error']).toContain('Records[0].body.type');
  });
});
