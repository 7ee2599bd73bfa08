import type { SQSRecord } from 'aws-lambda';
import type { RemediationResult } from '../sweep/remediation-result.ts';

/** What one remediation batch did, for its metrics (lib/metrics.ts `metricsOfBatch`). */
export interface BatchTally {
  /** Records sent to the dead-letter queue (poison or a permanent failure). */
  deadLettered: number;
  /** Records handed back to SQS for another delivery. */
  failed: number;
  /** Removal outcomes of the records processed. */
  outcomes: Record<string, number>;
}

/** A record's result: a remediation result, or the consumer's `{ status: 'dead-lettered', … }`. */
type RecordResult = RemediationResult | { status: string };

/**
 * Wraps the per-record handler (lib/queue/consumer.ts) to count, as records
 * finish, the dead-lettered ones, the ones that will be retried and every
 * removal outcome; the handler's results and errors pass through unchanged.
 */
export function tallyRecords<R extends RecordResult>(
  handle: (record: SQSRecord) => Promise<R>,
): { handle: (record: SQSRecord) => Promise<R>; tally: BatchTally } {
  const tally: BatchTally = { deadLettered: 0, failed: 0, outcomes: {} };
  const count = (outcome: string) => {
    tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1;
  };
  return {
    tally,
    async handle(record) {
      let result: R;
      try {
        result = await handle(record);
      } catch (error) {
        tally.failed += 1;
        throw error;
      }
      if (result.status === 'dead-lettered') tally.deadLettered += 1;
      const done = result as Partial<Extract<RemediationResult, { type: 'remove-member' }>> &
        Partial<Extract<RemediationResult, { type: 'evaluate-group' }>>;
      if (done.removal !== undefined) count(done.removal.outcome);
      for (const removal of done.group?.removals ?? []) count(removal.outcome);
      return result;
    },
  };
}
