import type { SQSClient } from '@aws-sdk/client-sqs';

/** SQS message attribute values are capped; keep the error readable but bounded. */
const MAX_ATTRIBUTE_CHARS = 1024;

export interface DeadLetterOptions {
  sqs: SQSClient;
  queueUrl: string;
}

export interface DeadLetterRecord {
  messageId: string;
  body: string;
  /** `poison` (never processable) or `failed` (a permanent processing error). */
  kind: 'poison' | 'failed';
  error: string;
}

/**
 * Sends one record to the dead-letter queue with the error attached as
 * message attributes. Throws when SQS refuses, so the caller can report the
 * record as failed instead of losing it.
 */
export async function sendToDeadLetter(
  record: DeadLetterRecord,
  options: DeadLetterOptions,
): Promise<void> {
  // Loaded on first use, like the producer: most invocations never dead-letter.
  const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
  await options.sqs.send(
    new SendMessageCommand({
      QueueUrl: options.queueUrl,
      // SQS rejects an empty body; keep the record visibly empty instead.
      MessageBody: record.body === '' ? '(empty body)' : record.body,
      MessageAttributes: {
        error: {
          DataType: 'String',
          StringValue: record.error.slice(0, MAX_ATTRIBUTE_CHARS) || 'unknown',
        },
        kind: { DataType: 'String', StringValue: record.kind },
        sourceMessageId: { DataType: 'String', StringValue: record.messageId || 'unknown' },
      },
    }),
  );
}
