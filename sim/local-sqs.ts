import type { AddressInfo } from 'node:net';
import {
  DeleteMessageBatchCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

export const LOCAL_SQS_ACCOUNT = '000000000000';
export const REMEDIATION_QUEUE = 'aps-autoscaler-remediation';
export const DEAD_LETTER_QUEUE = 'aps-autoscaler-dlq';

/** A real SQS-protocol server on 127.0.0.1 with the remediation queue and its dead-letter queue. */
export interface LocalSqs {
  endpoint: string;
  remediationQueueUrl: string;
  deadLetterQueueUrl: string;
  client: SQSClient;
  /** Receives up to `max` messages (visibility `visibilitySeconds`), without deleting them. */
  receive(queueUrl: string, max?: number, visibilitySeconds?: number): Promise<ReceivedMessage[]>;
  /** Receives everything on a queue and deletes it. */
  drain(queueUrl: string): Promise<ReceivedMessage[]>;
  delete(queueUrl: string, receiptHandles: readonly string[]): Promise<void>;
  purge(): Promise<void>;
  close(): Promise<void>;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
}

/**
 * Starts `local-aws-sqs` on a free loopback port (or `port`). The SDK client
 * it returns uses dummy credentials: the server does not check them.
 */
export async function startLocalSqs(options: { port?: number } = {}): Promise<LocalSqs> {
  const server = await createSqsServer({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    accountId: LOCAL_SQS_ACCOUNT,
    emulateQueueCreationLifecycle: false,
    queues: [
      { QueueName: DEAD_LETTER_QUEUE },
      {
        QueueName: REMEDIATION_QUEUE,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:us-east-1:${LOCAL_SQS_ACCOUNT}:${DEAD_LETTER_QUEUE}`,
            maxReceiveCount: 5,
          }),
        },
      },
    ],
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const queueUrl = (name: string) => `${endpoint}/${LOCAL_SQS_ACCOUNT}/${name}`;

  const receive = async (
    url: string,
    max = 10,
    visibilitySeconds = 30,
  ): Promise<ReceivedMessage[]> => {
    const response = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, max),
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    return (response.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
      ),
    }));
  };
  const remove = async (url: string, handles: readonly string[]) => {
    for (let i = 0; i < handles.length; i += 10) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: handles.slice(i, i + 10).map((h, j) => ({ Id: `d${j}`, ReceiptHandle: h })),
        }),
      );
    }
  };

  return {
    endpoint,
    remediationQueueUrl: queueUrl(REMEDIATION_QUEUE),
    deadLetterQueueUrl: queueUrl(DEAD_LETTER_QUEUE),
    client,
    receive,
    async drain(url) {
      const all: ReceivedMessage[] = [];
      for (;;) {
        const batch = await receive(url, 10, 300);
        if (batch.length === 0) return all;
        all.push(...batch);
        await remove(
          url,
          batch.map((m) => m.receiptHandle),
        );
      }
    },
    delete: remove,
    async purge() {
      for (const url of [queueUrl(REMEDIATION_QUEUE), queueUrl(DEAD_LETTER_QUEUE)]) {
        await client.send(new PurgeQueueCommand({ QueueUrl: url }));
      }
    },
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
