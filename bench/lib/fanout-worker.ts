// One remediate worker of the fanout bench, in its own process (as one Lambda
// container would be): polls the local remediation queue the way the SQS
// event source does (up to 10 messages a receive), hands each batch to the
// real remediate handler, deletes what it did not report in
// `batchItemFailures`, and stops after two empty receives. Forked by
// bench/lib/fanout.ts, which sends `go` once every worker is ready.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createRemediateHandler } from '../../functions/remediate.ts';
import { fakeContext, sqsEventOf } from '../../scripts/lib/lambda.ts';
import { benchDeps, type SimTarget } from './sweep-deps.ts';

export interface FanoutWorkerOptions {
  /** The instant the handler's clock stays at (the simulator's frozen clock): the fleet as the minimum sees it. */
  nowMs: number;
  sim: SimTarget;
  sqsEndpoint: string;
  queueUrl: string;
  env: Record<string, string>;
}

export interface FanoutWorkerResult {
  /** The `serverGroupId` of every message this worker finished and deleted. */
  done: string[];
  /** Records the handler reported as failed (left for redelivery). */
  failed: number;
  batches: number;
  /** Epoch ms at which the last batch was deleted (0 if none). */
  lastDoneAt: number;
  cpuMs: number;
}

async function work(o: FanoutWorkerOptions): Promise<FanoutWorkerResult> {
  const sqs = new SQSClient({
    endpoint: o.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deps = { ...benchDeps(o.sim, o.env), sqs: async () => sqs, now: () => o.nowMs };
  const handler = createRemediateHandler(deps);
  const result: FanoutWorkerResult = { done: [], failed: 0, batches: 0, lastDoneAt: 0, cpuMs: 0 };
  const cpu = process.cpuUsage();
  for (let empty = 0; empty < 2; ) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: o.queueUrl,
        MaxNumberOfMessages: 10,
        // Every message is on the queue before `go`: an empty receive means
        // the rest are in other workers' hands, so there is nothing to wait for.
        WaitTimeSeconds: 0,
        VisibilityTimeout: 120,
      }),
    );
    const messages = (received.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle
        ? [{ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body ?? '' }]
        : [],
    );
    if (messages.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    result.batches += 1;
    const response = await handler(
      sqsEventOf(messages),
      fakeContext({ remainingMs: 900_000 }) as never,
    );
    const failures = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failures.has(m.messageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: o.queueUrl,
          Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.receiptHandle })),
        }),
      );
    }
    for (const m of done) {
      result.done.push((JSON.parse(m.body) as { serverGroupId: string }).serverGroupId);
    }
    result.failed += failures.size;
    result.lastDoneAt = Date.now();
  }
  const used = process.cpuUsage(cpu);
  result.cpuMs = Math.round((used.user + used.system) / 1000);
  sqs.destroy();
  return result;
}

const options = JSON.parse(process.argv[2] ?? '{}') as FanoutWorkerOptions;
process.on('message', (message) => {
  if (message !== 'go') return;
  work(options).then(
    (result) => process.send?.({ type: 'result', result }, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready' });
