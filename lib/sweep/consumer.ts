import type { SQSRecord } from 'aws-lambda';
import { describeFailure, PoisonMessageError } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { DeadLetterRecord } from '../queue/dead-letter.ts';
import type { QueueMessage } from '../queue/messages.ts';
import { parseQueueMessage } from '../queue/parse.ts';
import { fateOfError } from '../removal/fate.ts';
import type { RemediationResult } from './remediation-result.ts';

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
 * with the error attached (lib/removal/fate.ts); any other failure is
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

  return async (record: SQSRecord) => {
    let message: QueueMessage;
    try {
      message = parseQueueMessage(record.body, `Records[${records.indexOf(record)}].body`);
    } catch (error) {
      if (error instanceof PoisonMessageError) return deadLetter(record, 'poison', error.message);
      throw error;
    }
    try {
      const result = await deps.process(message);
      log.info('record processed', { messageId: record.messageId, ...summaryOf(result) });
      return result;
    } catch (error) {
      const failure = describeFailure(error);
      if (fateOfError(error) === 'dead-letter') {
        return deadLetter(record, 'failed', failure.message);
      }
      // Back to SQS: throw so the batch utility reports only this record.
      log.error('record failed, will be retried', {
        messageId: record.messageId,
        type: message.type,
        projectId: message.projectId,
        serverGroupId: message.serverGroupId,
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
