import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';

/** A Lambda context whose remaining time counts down from `remainingMs` on the given clock. */
export function fakeContext(
  options: { remainingMs?: number; now?: () => number; functionName?: string } = {},
): Context {
  const now = options.now ?? Date.now;
  const start = now();
  const budget = options.remainingMs ?? 60_000;
  const functionName = options.functionName ?? 'aps-autoscaler-test';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/28/[$LATEST]test',
    getRemainingTimeInMillis: () => Math.max(0, budget - (now() - start)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Reads a replayable event from `events/` (the same files `invoke local` uses). */
export function loadEvent<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as T;
}

/** An SQS event with one record per body, as Lambda delivers it. */
export function sqsEvent(bodies: readonly string[]) {
  return sqsEventOf(
    bodies.map((body, i) => ({
      messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      receiptHandle: `handle-${i}`,
      body,
    })),
  );
}

/** An SQS event carrying these messages (ids, receipt handles, bodies), as Lambda delivers it. */
export function sqsEventOf(
  messages: readonly { messageId: string; receiptHandle: string; body: string }[],
) {
  return {
    Records: messages.map(({ messageId, receiptHandle, body }) => ({
      messageId,
      receiptHandle,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1767268800000',
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: '1767268800000',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:aps-autoscaler-local-remediation',
      awsRegion: 'eu-west-1',
    })),
  };
}
