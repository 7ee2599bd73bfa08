import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sendToDeadLetter } from '../../../lib/queue/dead-letter.ts';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import { sendMessages } from '../../../lib/queue/producer.ts';

const sqsMock = mockClient(SQSClient);
const queueUrl = 'http://127.0.0.1:9324/000000000000/remediation';

const messages = (count: number): QueueMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'evaluate-group' as const,
    projectId: 'p1',
    serverGroupId: `sg-${i}`,
  }));

describe('sendMessages', () => {
  beforeEach(() => sqsMock.reset());

  it('sends ten entries per SendMessageBatch call', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const result = await sendMessages(messages(25), { sqs: new SQSClient({}), queueUrl });
    expect(result).toEqual({ sent: 25, failed: [], calls: 3 });
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 3);
    const sizes = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 5]);
    expect(sqsMock).toReceiveCommandWith(SendMessageBatchCommand, {
      QueueUrl: queueUrl,
      Entries: expect.arrayContaining([{ Id: 'm0', MessageBody: JSON.stringify(messages(1)[0]) }]),
    });
  });

  it('retries only the entries SQS rejected', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [{ Id: 'm3', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
      })
      .resolves({ Failed: [] });
    const result = await sendMessages(messages(5), { sqs: new SQSClient({}), queueUrl });
    expect(result.sent).toBe(5);
    expect(result.failed).toEqual([]);
    const second = sqsMock.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries;
    expect(second?.map((e) => e.Id)).toEqual(['m3']);
  });

  it('reports entries that still fail after the retries, with the last error', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('connection refused'));
    const result = await sendMessages(messages(2), {
      sqs: new SQSClient({}),
      queueUrl,
      retries: 1,
    });
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.message)).toEqual(messages(2));
    expect(result.failed[0]?.error).toBe('connection refused');
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 2);
  });
});

describe('sendToDeadLetter', () => {
  beforeEach(() => sqsMock.reset());

  it('attaches the error and the source message id as attributes', async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    await sendToDeadLetter(
      { messageId: 'abc', body: '{"type":"nope"}', kind: 'poison', error: 'body.type: invalid' },
      { sqs: new SQSClient({}), queueUrl },
    );
    expect(sqsMock).toReceiveCommandWith(SendMessageCommand, {
      QueueUrl: queueUrl,
      MessageBody: '{"type":"nope"}',
      MessageAttributes: {
        error: { DataType: 'String', StringValue: 'body.type: invalid' },
        kind: { DataType: 'String', StringValue: 'poison' },
        sourceMessageId: { DataType: 'String', StringValue: 'abc' },
      },
    });
  });

  it('throws when SQS refuses, so the caller can keep the record', async () => {
    sqsMock.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    await expect(
      sendToDeadLetter(
        { messageId: 'abc', body: 'x', kind: 'poison', error: 'bad' },
        { sqs: new SQSClient({}), queueUrl },
      ),
    ).rejects.toThrow('AccessDenied');
  });
});
