import {
  isTransient,
  PermanentFailureError,
  PoisonMessageError,
  RetryableFailureError,
} from '../errors.ts';
import type { MessageFate, RemovalReport } from '../removal/outcome.ts';

// The one place an outcome or an error becomes a queue message's fate: done,
// retry (back to SQS) or dead-letter. A transient failure of any dependency
// (Huawei API, DynamoDB, SQS, S3) is a retry, never a dead letter.

/**
 * The fate of a message whose processing threw: `dead-letter` for a poison
 * body or a failure classed permanent, `retry` for everything else (a
 * transient failure, or one not classed: another delivery costs little, a
 * lost message may cost a removal).
 */
export function fateOfError(error: unknown): Exclude<MessageFate, 'done'> {
  return error instanceof PoisonMessageError || error instanceof PermanentFailureError
    ? 'dead-letter'
    : 'retry';
}

/** An error of any dependency as the class that carries its fate; ours pass unchanged. */
export function classify(error: unknown): RetryableFailureError | PermanentFailureError {
  if (error instanceof RetryableFailureError || error instanceof PermanentFailureError) {
    return error;
  }
  const text = error instanceof Error ? error.message : String(error);
  return isTransient(error)
    ? new RetryableFailureError(text, { cause: error })
    : new PermanentFailureError(text, { cause: error });
}

/**
 * Throws the fate of a message's removals: acknowledged (`done`, no throw)
 * only when every removal it attempted ended (removed, already removed,
 * skipped or refused with a reason). Every planned removal is attempted
 * first; then any transient failure hands the whole message back for another
 * delivery (its re-evaluation finds the done ones already removed), else any
 * permanent failure sends it to the dead-letter queue with that error.
 */
export function throwIfFailed(removals: readonly RemovalReport[]): void {
  const failed = removals.filter((r) => r.outcome === 'failed');
  const first = failed.find((r) => r.retryable === true) ?? failed[0];
  if (first === undefined) return;
  const others = failed.length > 1 ? ` (and ${failed.length - 1} more failed removal(s))` : '';
  const text = `removal of ${first.serverId} failed: ${failureText(first)}${others}`;
  throw first.retryable === true
    ? new RetryableFailureError(text)
    : new PermanentFailureError(text);
}

function failureText(removal: RemovalReport): string {
  const detail = removal.detail ?? 'unknown';
  const { requestId } = removal;
  return requestId === undefined || detail.includes(requestId)
    ? detail
    : `${detail} (request id ${requestId})`;
}

/** A group evaluation that could not list the group: retried when transient, else dead-lettered. */
export function evaluationFate(
  groupId: string,
  error: { message: string; transient: boolean },
): RetryableFailureError | PermanentFailureError {
  const text = `server group ${groupId}: ${error.message}`;
  return error.transient ? new RetryableFailureError(text) : new PermanentFailureError(text);
}

/** A message that needs a setting the stage lacks: no delivery can help. */
export function missingSettingFate(text: string): PermanentFailureError {
  return new PermanentFailureError(text);
}

/**
 * Another actor holds the message's group: another delivery, once it let go.
 * `heldBy` is the lease's own words (lib/removal/lease/group-lease.ts `leaseHeldBy`).
 */
export function leaseBusyFate(groupId: string, heldBy: string): RetryableFailureError {
  return new RetryableFailureError(`server group ${groupId}: ${heldBy}`);
}

/** A drained server this delivery could not settle (its period not over, its lease lost). */
export function notSettledFate(serverId: string, decision: string): RetryableFailureError {
  return new RetryableFailureError(`server ${serverId}: drain not settled (${decision})`);
}
