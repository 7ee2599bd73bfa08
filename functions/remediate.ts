import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { PoisonMessageError } from '../lib/errors.ts';
import { assertSqsEvent } from '../lib/events.ts';
import { sendToDeadLetter } from '../lib/queue/dead-letter.ts';
import { parseQueueMessage } from '../lib/queue/parse.ts';
import { PermanentFailure, processMessage } from '../lib/sweep/remediate.ts';
import { beginInvocation, defaultDeps, type HandlerDeps } from './runtime.ts';

/**
 * The remediation consumer. Poison records (not JSON, wrong schema) and
 * permanent failures go to the dead-letter queue at once with the error
 * attached; transient failures are returned in `batchItemFailures` so SQS
 * retries only those records. Records run one after another, so two
 * messages for one group never judge its floor from the same stale data.
 */
export function createRemediateHandler(deps: HandlerDeps) {
  return async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
    assertSqsEvent(event);
    const { config, log, invocation } = beginInvocation(deps, context);
    const records = event.Records as unknown as SQSRecord[];

    const deadLetter = async (record: SQSRecord, kind: 'poison' | 'failed', error: string) => {
      if (config.deadLetterQueueUrl === undefined) {
        // Without a dead-letter queue the record must stay on the queue.
        throw new Error(`${error} (DEAD_LETTER_QUEUE_URL is not set)`);
      }
      await sendToDeadLetter(
        { messageId: record.messageId, body: record.body, kind, error },
        { sqs: await deps.sqs(), queueUrl: config.deadLetterQueueUrl },
      );
      log.warn('record sent to dead-letter queue', { messageId: record.messageId, kind, error });
      return { status: 'dead-lettered', kind, error };
    };

    const handleRecord = async (record: SQSRecord) => {
      let message: ReturnType<typeof parseQueueMessage>;
      try {
        message = parseQueueMessage(record.body, `Records[${records.indexOf(record)}].body`);
      } catch (error) {
        if (error instanceof PoisonMessageError) return deadLetter(record, 'poison', error.message);
        throw error;
      }
      try {
        const result = await processMessage(
          message,
          invocation.servicesFor(message.projectId),
          invocation.settingsFor(message.projectId, { dryRun: message.dryRun }),
          { maxRemovalsPerSweep: config.maxRemovalsPerSweep },
        );
        log.info('record processed', { messageId: record.messageId, ...summaryOf(result) });
        return result;
      } catch (error) {
        if (error instanceof PermanentFailure) return deadLetter(record, 'failed', error.message);
        // Transient: throw so the batch utility reports only this record.
        log.warn('record failed, will be retried', {
          messageId: record.messageId,
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
    };

    const response = await processPartialResponse(
      event,
      handleRecord,
      new BatchProcessor(EventType.SQS),
      {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: false,
      },
    );
    log.info('batch processed', {
      records: records.length,
      failed: response.batchItemFailures.length,
      requests: invocation.stats(),
    });
    return response;
  };
}

function summaryOf(result: Awaited<ReturnType<typeof processMessage>>): Record<string, unknown> {
  if (result.type === 'evaluate-group') {
    return {
      type: result.type,
      serverGroupId: result.serverGroupId,
      status: result.status,
      decision: result.group?.decision,
      removals: result.group?.removals.map((r) => ({ serverId: r.serverId, outcome: r.outcome })),
    };
  }
  return {
    type: result.type,
    serverGroupId: result.serverGroupId,
    instanceUuid: result.instanceUuid,
    status: result.status,
    detail: result.detail,
    outcome: result.removal?.outcome,
  };
}

const deps = defaultDeps();
export const handler = middy(createRemediateHandler(deps)).use(injectLambdaContext(deps.logger));
