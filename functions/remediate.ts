import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { assertSqsEvent } from '../lib/events.ts';
import { BatchHistory, withLearnedFloor } from '../lib/history/batch-history.ts';
import { metricsOfBatch, publishMetrics } from '../lib/metrics.ts';
import { tallyRecords } from '../lib/queue/batch-tally.ts';
import { createRecordHandler } from '../lib/queue/consumer.ts';
import { sendToDeadLetter } from '../lib/queue/dead-letter.ts';
import { sendMessages } from '../lib/queue/producer.ts';
import { TABLE_SERVICES } from '../lib/removal/lifecycle.ts';
import { processMessage } from '../lib/sweep/remediate.ts';
import type { DelayedEnqueue } from '../lib/sweep/remediation-result.ts';
import { beginInvocation, defaultDeps, type HandlerDeps } from './runtime.ts';

/**
 * The remediation consumer: each record through lib/queue/consumer.ts, one
 * after another, so two messages for one group never judge its floor from
 * the same stale data; only transient failures go back to SQS.
 */
export function createRemediateHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
    assertSqsEvent(event);
    const { config, log, invocation } = await beginInvocation(deps, context, TABLE_SERVICES);
    const records = event.Records as unknown as SQSRecord[];
    const queueUrl = config.deadLetterQueueUrl;
    const remediationQueueUrl = config.remediationQueueUrl;
    const history = new BatchHistory({
      bucket: config.reportBucket,
      historyWeeks: config.historyWeeks,
      s3: deps.s3,
      log,
      now: deps.now ?? Date.now,
    });
    // finish-removal messages go back onto this queue, delayed by the drain period.
    const enqueue: DelayedEnqueue | undefined = remediationQueueUrl
      ? async (messages, delaySeconds) =>
          sendMessages(messages, {
            sqs: await deps.sqs(),
            queueUrl: remediationQueueUrl,
            log,
            delaySeconds,
          })
      : undefined;
    const { handle, tally } = tallyRecords(
      createRecordHandler(records, {
        log,
        process: (message) =>
          history.recording(message, (onEvaluated) =>
            processMessage(
              message,
              invocation.servicesFor(message.projectId),
              withLearnedFloor(
                invocation.settingsFor(message.projectId, {
                  dryRun: 'dryRun' in message ? message.dryRun : undefined,
                }),
                message,
              ),
              { maxRemovalsPerSweep: config.maxRemovalsPerSweep, enqueue, onEvaluated },
            ),
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
    const kept = await history.keep(context.awsRequestId);
    const failed = response.batchItemFailures.length;
    log[failed > 0 || tally.deadLettered > 0 ? 'warn' : 'info']('batch processed', {
      records: records.length,
      failed,
      deadLettered: tally.deadLettered,
      outcomes: tally.outcomes,
      requests: invocation.stats(),
      ...(kept === undefined ? {} : { history: kept }),
    });
    const metrics = deps.metrics?.();
    if (metrics !== undefined) publishMetrics(metrics, metricsOfBatch({ ...tally, history: kept }));
    return response;
  };
}

const deps = defaultDeps();
export const handler = middy(createRemediateHandler(deps)).use(injectLambdaContext(deps.logger));
