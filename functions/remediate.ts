import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { assertSqsEvent } from '../lib/events.ts';
import { metricsOfBatch, publishMetrics } from '../lib/metrics.ts';
import { tallyRecords } from '../lib/queue/batch-tally.ts';
import { createRecordHandler } from '../lib/queue/consumer.ts';
import { sendToDeadLetter } from '../lib/queue/dead-letter.ts';
import { sendMessages } from '../lib/queue/producer.ts';
import { createDrainServices } from '../lib/removal/lifecycle.ts';
import { processMessage } from '../lib/sweep/remediate.ts';
import { beginInvocation, defaultDeps, type HandlerDeps } from './runtime.ts';

/**
 * The remediation consumer: each record through lib/queue/consumer.ts, one
 * after another, so two messages for one group never judge its floor from
 * the same stale data; only transient failures go back to SQS.
 */
export function createRemediateHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
    assertSqsEvent(event);
    const { config, log, invocation } = await beginInvocation(deps, context, createDrainServices);
    const records = event.Records as unknown as SQSRecord[];
    const queueUrl = config.deadLetterQueueUrl;
    const remediationQueueUrl = config.remediationQueueUrl;
    const { handle, tally } = tallyRecords(
      createRecordHandler(records, {
        log,
        process: (message) =>
          processMessage(
            message,
            invocation.servicesFor(message.projectId),
            invocation.settingsFor(message.projectId, {
              dryRun: 'dryRun' in message ? message.dryRun : undefined,
            }),
            {
              maxRemovalsPerSweep: config.maxRemovalsPerSweep,
              // finish-removal messages go back onto this queue, delayed by the drain period.
              ...(remediationQueueUrl
                ? {
                    enqueue: async (messages, delaySeconds) =>
                      sendMessages(messages, {
                        sqs: await deps.sqs(),
                        queueUrl: remediationQueueUrl,
                        log,
                        delaySeconds,
                      }),
                  }
                : {}),
            },
          ),
        deadLetter:
          queueUrl !== undefined
            ? async (record) => sendToDeadLetter(record, { sqs: await deps.sqs(), queueUrl })
            : undefined,
      }),
    );
    const response = await processPartialResponse(
      event,
      handle,
      new BatchProcessor(EventType.SQS),
      {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: false,
      },
    );
    const failed = response.batchItemFailures.length;
    log[failed > 0 || tally.deadLettered > 0 ? 'warn' : 'info']('batch processed', {
      records: records.length,
      failed,
      deadLettered: tally.deadLettered,
      outcomes: tally.outcomes,
      requests: invocation.stats(),
    });
    const metrics = deps.metrics?.();
    if (metrics !== undefined) publishMetrics(metrics, metricsOfBatch(tally));
    return response;
  };
}

const deps = defaultDeps();
export const handler = middy(createRemediateHandler(deps)).use(injectLambdaContext(deps.logger));
