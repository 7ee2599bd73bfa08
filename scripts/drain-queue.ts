import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { exitWithParent } from '../sim/exit-with-parent.ts';
import { invokeLocal } from './lib/invoke-local.ts';
import { sqsEventOf } from './lib/lambda.ts';

// `npm run drain-queue`: feeds the local remediation queue (`npm run sim`) to
// `remediate` through `osls invoke local`, up to ten messages a batch, the way
// the SQS event source does: records the handler reports in
// `batchItemFailures` stay on the queue, the rest are deleted. Messages sent
// with a delay (finish-removal waits out the drain period) are waited for;
// stops when nothing is visible or delayed. Extra `-e NAME=value` pairs go to
// every invoke.
const USAGE = 'usage: npm run drain-queue -- [--queue-url URL] [-e NAME=value ...]';
const args = process.argv.slice(2);
let queueUrl = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-remediation';
const env: Record<string, string> = {};
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = args[i + 1];
  if (arg === '--queue-url' && value !== undefined) queueUrl = value;
  else if (arg === '-e' && value?.includes('=')) {
    env[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
  } else {
    console.error(USAGE);
    process.exit(2);
  }
  i++;
}
exitWithParent(() => process.exit(1));

const sqs = new SQSClient({
  region: 'eu-west-1',
  endpoint: new URL(queueUrl).origin,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
/** Messages sent with a delay that is not over yet. */
async function delayed(): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
}

let batches = 0;
let processed = 0;
let failed = 0;
let announced = 0;
for (;;) {
  let received: ReceiveMessageCommandOutput;
  try {
    received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
  } catch (error) {
    console.error(
      `ERROR cannot receive from ${queueUrl}: ${(error as Error).message} (is npm run sim running?)`,
    );
    process.exit(1);
  }
  const messages = (received.Messages ?? []).flatMap((m) =>
    m.MessageId && m.ReceiptHandle
      ? [{ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body ?? '' }]
      : [],
  );
  if (messages.length === 0) {
    const waiting = await delayed();
    if (waiting === 0) break;
    if (waiting !== announced) {
      console.log(
        `waiting for ${waiting} delayed message(s) (finish-removal after the drain period)`,
      );
      announced = waiting;
    }
    continue;
  }
  batches++;
  const run = await invokeLocal({ fn: 'remediate', event: sqsEventOf(messages), env });
  const response = run.result as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
  if (run.exitCode !== 0 || response?.batchItemFailures === undefined) {
    console.error(
      `batch ${batches}: invoke local failed (exit ${run.exitCode})\n${run.stderr.slice(-2000)}`,
    );
    process.exit(1);
  }
  const failures = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = messages.filter((m) => !failures.has(m.messageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.receiptHandle })),
      }),
    );
  }
  processed += done.length;
  failed += failures.size;
  console.log(
    `batch ${batches}: ${messages.length} message(s), ${done.length} done, ${failures.size} left for redelivery`,
  );
  for (const line of run.logs.filter((l) => l['message'] === 'record processed')) {
    console.log(`  ${JSON.stringify({ ...line, level: undefined, timestamp: undefined })}`);
  }
}
console.log(
  batches === 0
    ? `queue empty: nothing to deliver (${queueUrl})`
    : `queue drained: ${batches} batch(es), ${processed} done, ${failed} failed attempt(s)`,
);
