import type { SQSRecord } from 'aws-lambda';
import { describeFailure, PoisonMessageError } from '../errors.ts';
import type { Log } from '../logger.ts';
import { fateOfError } from '../removal/lifecycle.ts';
import type { RemediationResult } from '../sweep/remediation-result.ts';
import type { DeadLetterRecord } from './dead-letter.ts';
import type { QueueMessage } from './messages.ts';
import { parseQueueMessage } from './parse.ts';

export interface RecordHandlerDeps {
  /** Carries out one parsed message; throws PermanentFailureError when no redelivery can help. */
  process: (message: QueueMessage) => Promise<RemediationResult>;
  /** Sends a record to the dead-letter queue; undefined when none is configured. */
  deadLetter: ((record: DeadLetterRecord) => Promise<void>) | undefined;
  log: Log;
}

/**
 * The per-record step of the remediation consumer. Poison records (not JSON,
 * wrong schema) and permanent failures go to the dead-letter queue at once
 * with the error attached (lib/queue/fate.ts); any other failure is
 * logged as an ERROR with the message's type, group and cause, then rethrown
 * so the batch utility reports only that record and SQS delivers it again.
 */
export function createRecordHandler(records: readonly SQSRecord[], deps: RecordHandlerDeps) {
  const { log } = deps;
  const deadLetter = async (record: SQSRecord, kind: 'poison' | 'failed', error: string) => {
    if (deps.deadLetter === undefined) {
      // Without a dead-letter queue the record must stay on the queue.
      throw new Error(`${error} (DEAD_LETTER_QUEUE_URL is not set)`);
    }
    await deps.deadLetter({ messageId: record.messageId, body: record.body, kind, error });
    log.error('record sent to dead-letter queue', { messageId: record.messageId, kind, error });
    return { status: 'dead-lettered', kind, error };
  };

  const handle = async (record: SQSRecord, seen: { message?: QueueMessage }) => {
    let message: QueueMessage;
    try {
      message = parseQueueMessage(record.body, `Records[${records.indexOf(record)}].body`);
    } catch (error) {
      if (error instanceof PoisonMessageError) return deadLetter(record, 'poison', error.message);
      throw error;
    }
    seen.message = message;
    try {
      const result = await deps.process(message);
      log.info('record processed', { messageId: record.messageId, ...summaryOf(result) });
      return result;
    } catch (error) {
      if (fateOfError(error) !== 'dead-letter') throw error;
      return deadLetter(record, 'failed', describeFailure(error).message);
    }
  };

  return async (record: SQSRecord) => {
    const seen: { message?: QueueMessage } = {};
    try {
      return await handle(record, seen);
    } catch (error) {
      // Back to SQS (a retry, or a dead letter that could not be sent): one
      // ERROR line per record, then throw so the batch utility reports only it.
      const failure = describeFailure(error);
      log.error('record failed, will be retried', {
        messageId: record.messageId,
        type: seen.message?.type,
        projectId: seen.message?.projectId,
        serverGroupId: seen.message?.serverGroupId,
        error: failure.message,
        requestId: failure.requestId,
        cause: causeOf(error),
      });
      throw error;
    }
  };
}

// The first cause under our own classification: the SDK or network error.
function causeOf(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  return `${cause.name}${typeof code === 'string' ? ` ${code}` : ''}: ${cause.message}`;
}

/** The fields of a remediation result worth one log line. */
export function summaryOf(result: RemediationResult): Record<string, unknown> {
  if (result.type === 'evaluate-group') {
    return {
      type: result.type,
      serverGroupId: result.serverGroupId,
      status: result.status,
      decision: result.group?.decision,
      removals: result.group?.removals.map((r) => ({ serverId: r.serverId, outcome: r.outcome })),
      ...(result.draining === undefined ? {} : { draining: result.draining }),
    };
  }
  if (result.type === 'finish-removal') {
    return {
      type: result.type,
      serverGroupId: result.serverGroupId,
      serverId: result.serverId,
      status: result.status,
      outcome: result.removal?.outcome,
      detail: result.removal?.detail,
    };
  }
  return {
    type: result.type,
    serverGroupId: result.serverGroupId,
    instanceUuid: result.instanceUuid,
    status: result.status,
    detail: result.detail,
    outcome: result.removal?.outcome,
    ...(result.draining === undefined ? {} : { draining: result.draining }),
  };
}
