import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { fakeContext, loadEvent, sqsEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import {
  capturingLogger,
  capturingMetrics,
  depsFor,
  emfValues,
  mutatingCalls,
  startFrozenSimulator,
} from '../../helpers/stack.ts';

const DLQ = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-dlq';
const IDLE_INSTANCE = '5ca1ab1e-0006-4000-8000-000000000004'; // srv-si-idle-1
const BUSY_INSTANCE = '5ca1ab1e-0006-4000-8000-000000000001'; // srv-si-busy

describe('remediate handler against the simulator', () => {
  let sim: Simulator;
  const sqsMock = mockClient(SQSClient);

  beforeEach(async () => {
    sim = await startFrozenSimulator();
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-message' });
  });
  afterEach(async () => {
    await sim.close();
  });

  const remediate = (
    event: unknown,
    options: { env?: Record<string, string>; fetch?: typeof fetch } = {},
  ) => {
    const { logger, logs } = capturingLogger();
    const { metrics, emf } = capturingMetrics();
    const handler = createRemediateHandler(
      depsFor(sim, {
        logger,
        metrics,
        env: { DEAD_LETTER_QUEUE_URL: DLQ, ...options.env },
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    );
    return {
      logs,
      emf,
      run: () =>
        handler(
          event,
          fakeContext({ now: () => sim.now().getTime() }),
        ) as Promise<SQSBatchResponse>,
    };
  };
  const removeMember = (instanceUuid: string, serverGroupId = 'sg-scale-in') =>
    JSON.stringify({
      type: 'remove-member',
      projectId: sim.projectId,
      serverGroupId,
      instanceUuid,
      reason: 'test',
    });

  it('runs the pipeline for an evaluate-group message', async () => {
    const response = await remediate(loadEvent('sqs-evaluate-group.json')).run();
    expect(response.batchItemFailures).toEqual([]);
    expect(sim.state.membersOf('sg-scale-in').map((s) => s.id)).not.toContain('srv-si-idle-1');
    expect(mutatingCalls(sim)).toHaveLength(1);
  });

  it('removes the idle member a remove-member message names', async () => {
    const response = await remediate(loadEvent('sqs-remove-member.json')).run();
    expect(response.batchItemFailures).toEqual([]);
    expect(sim.state.membersOf('sg-scale-in').map((s) => s.id)).not.toContain('srv-si-idle-1');
  });

  it('does nothing for a replayed remove-member message', async () => {
    await remediate(loadEvent('sqs-remove-member.json')).run();
    const after = mutatingCalls(sim).length;
    const { run, logs } = remediate(loadEvent('sqs-remove-member.json'));
    expect((await run()).batchItemFailures).toEqual([]);
    expect(mutatingCalls(sim).length).toBe(after);
    expect(logs.lines.find((l) => l['message'] === 'record processed')).toMatchObject({
      status: 'not-a-member',
    });
  });

  it('never removes a busy server, whatever the message says', async () => {
    const { run, logs } = remediate(sqsEvent([removeMember(BUSY_INSTANCE)]));
    expect((await run()).batchItemFailures).toEqual([]);
    expect(mutatingCalls(sim)).toEqual([]);
    expect(logs.lines.find((l) => l['message'] === 'record processed')).toMatchObject({
      status: 'refused',
    });
  });

  it('refuses a removal that would break the floor', async () => {
    // sg-floor: three idle members and a floor of 3 leaves no room.
    const { run } = remediate(
      sqsEvent([removeMember('5ca1ab1e-0007-4000-8000-000000000001', 'sg-floor')]),
      {
        env: { MIN_SERVERS_PER_GROUP: '3' },
      },
    );
    expect((await run()).batchItemFailures).toEqual([]);
    expect(mutatingCalls(sim)).toEqual([]);
  });

  it('sends poison records to the dead-letter queue at once, with the validation error', async () => {
    const event = loadEvent<{ Records: { messageId: string }[] }>('sqs-mixed-batch.json');
    const { run, logs, emf } = remediate(event);
    const response = await run();
    expect(response.batchItemFailures).toEqual([]);
    expect(sqsMock).toReceiveCommandTimes(SendMessageCommand, 1);
    expect(sqsMock).toReceiveCommandWith(SendMessageCommand, {
      QueueUrl: DLQ,
      MessageAttributes: expect.objectContaining({
        kind: { DataType: 'String', StringValue: 'poison' },
        error: { DataType: 'String', StringValue: 'Records[2].body: not valid JSON' },
        sourceMessageId: { DataType: 'String', StringValue: event.Records[2]?.messageId },
      }),
    });
    // The valid record ran (sg-floor lost srv-fl-idle-a; srv-fl-idle-b is in no ECS
    // group); the busy one was refused.
    expect(sim.state.membersOf('sg-floor').map((s) => s.id)).not.toContain('srv-fl-idle-a');
    expect(sim.state.membersOf('sg-floor')).toHaveLength(3);
    expect(sim.state.getServer('srv-si-busy')?.server_group_id).toBe('sg-scale-in');
    // Loud: an ERROR line with the cause, and the metric the dead-letter alarm's dashboard shows.
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'record sent to dead-letter queue',
        error: 'Records[2].body: not valid JSON',
      }),
    );
    expect(emfValues(emf, 'DeadLettered')).toContainEqual({
      value: 1,
      dimensions: expect.objectContaining({ service: 'aps-autoscaler' }),
    });
    // The batch's evaluate-group removes two servers; one (srv-fl-idle-b) is in no ECS group.
    expect(emfValues(emf, 'Removals')).toContainEqual({
      value: 1,
      dimensions: expect.objectContaining({ Outcome: 'removed' }),
    });
    expect(emfValues(emf, 'Removals')).toContainEqual({
      value: 1,
      dimensions: expect.objectContaining({ Outcome: 'not-in-ecs-group' }),
    });
  });

  it('names the offending field of a record that fails the schema', async () => {
    const body = JSON.stringify({
      type: 'remove-member',
      projectId: sim.projectId,
      serverGroupId: 'sg-scale-in',
    });
    await remediate(sqsEvent([body])).run();
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.MessageAttributes?.['error']?.StringValue).toContain(
      'Records[0].body.instanceUuid',
    );
    expect(sent?.MessageBody).toBe(body);
  });

  it('reports a poison record as failed when the dead-letter queue refuses it, so nothing is lost', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    const event = sqsEvent(['not json']);
    const response = await remediate(event).run();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
  });

  it('keeps a poison record on the queue when no dead-letter queue is configured', async () => {
    const event = sqsEvent(['not json']);
    const response = await remediate(event, { env: { DEAD_LETTER_QUEUE_URL: '' } }).run();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(sqsMock).not.toReceiveCommand(SendMessageCommand);
  });

  it('returns only the record that failed for a transient reason', async () => {
    // The gateway throttles every call about sg-floor; the other group is fine.
    const throttling: typeof fetch = async (input, init) => {
      if (String(input).includes('sg-floor')) {
        return new Response(JSON.stringify({ error_code: 'APIGW.0308', error_msg: 'throttled' }), {
          status: 429,
          headers: { 'retry-after': '0', 'x-request-id': 'req-throttled' },
        });
      }
      return fetch(input, init);
    };
    const evaluate = (id: string) =>
      JSON.stringify({ type: 'evaluate-group', projectId: sim.projectId, serverGroupId: id });
    const event = sqsEvent([evaluate('sg-scale-in'), evaluate('sg-floor')]);
    const response = await remediate(event, { fetch: throttling }).run();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.messageId }]);
    expect(sqsMock).not.toReceiveCommand(SendMessageCommand);
    expect(sim.state.membersOf('sg-scale-in').map((s) => s.id)).not.toContain('srv-si-idle-1');
  });

  it('dead-letters a record whose processing fails permanently', async () => {
    const forbidden: typeof fetch = async () =>
      new Response(JSON.stringify({ error_code: 'WKS.0403', error_msg: 'no permission' }), {
        status: 403,
      });
    const event = sqsEvent([removeMember(IDLE_INSTANCE)]);
    const response = await remediate(event, { fetch: forbidden }).run();
    expect(response.batchItemFailures).toEqual([]);
    expect(sqsMock).toReceiveCommandWith(SendMessageCommand, {
      MessageAttributes: expect.objectContaining({
        kind: { DataType: 'String', StringValue: 'failed' },
      }),
    });
  });

  it('rejects an event that is not an SQS event, naming the field', async () => {
    await expect(remediate({ detail: {} }).run()).rejects.toThrow('Records');
    expect(sim.calls).toEqual([]);
  });
});
