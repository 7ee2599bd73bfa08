import type { SQSClient } from '@aws-sdk/client-sqs';
import { type Log, silentLog } from '../logger.ts';
import type { QueueMessage } from './messages.ts';

/** SQS accepts at most ten entries per SendMessageBatch call. */
export const SQS_BATCH_SIZE = 10;

export interface SendMessagesOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Extra tries for entries SQS rejected, and for calls that threw. */
  retries?: number;
  log?: Log;
  /** SQS `DelaySeconds` (0–900) of every entry: a finish-removal waits the drain period. */
  delaySeconds?: number;
}

export interface SendFailure {
  message: QueueMessage;
  code: string;
  error: string;
}

export interface SendResult {
  sent: number;
  failed: SendFailure[];
  calls: number;
}

/**
 * Sends messages with SendMessageBatch, ten per call. Entries that SQS
 * rejects (or whole calls that throw) are retried up to `retries` more
 * times; what still failed is returned, never dropped silently.
 */
export async function sendMessages(
  messages: readonly QueueMessage[],
  options: SendMessagesOptions,
): Promise<SendResult> {
  const { sqs, queueUrl, retries = 2, log = silentLog, delaySeconds } = options;
  // Loaded on first use: an inline sweep never pays for the SQS client at cold start.
  const { SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
  let pending = messages.map((message, index) => ({ id: `m${index}`, message }));
  const lastError = new Map<string, { code: string; error: string }>();
  let sent = 0;
  let calls = 0;
  for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
    const retry: typeof pending = [];
    for (let start = 0; start < pending.length; start += SQS_BATCH_SIZE) {
      const chunk = pending.slice(start, start + SQS_BATCH_SIZE);
      calls++;
      try {
        const response = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map(({ id, message }) => ({
              Id: id,
              MessageBody: JSON.stringify(message),
              ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
            })),
          }),
        );
        const failedIds = new Set<string>();
        for (const failure of response.Failed ?? []) {
          if (failure.Id === undefined) continue;
          failedIds.add(failure.Id);
          lastError.set(failure.Id, {
            code: failure.Code ?? 'unknown',
            error: failure.Message ?? 'rejected by SQS',
          });
        }
        for (const entry of chunk) {
          if (failedIds.has(entry.id)) retry.push(entry);
          else sent++;
        }
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const text = error instanceof Error ? error.message : String(error);
        for (const entry of chunk) lastError.set(entry.id, { code: name, error: text });
        retry.push(...chunk);
      }
    }
    if (retry.length > 0 && attempt < retries) {
      log.warn('retrying queue entries', { count: retry.length, attempt: attempt + 1 });
    }
    pending = retry;
  }
  const failed = pending.map(({ id, message }) => ({
    message,
    ...(lastError.get(id) ?? { code: 'unknown', error: 'not sent' }),
  }));
  return { sent, failed, calls };
}
