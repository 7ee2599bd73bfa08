import { PoisonMessageError } from '../errors.ts';
import { formatIssues } from '../validation.ts';
import { type QueueMessage, QueueMessageSchema } from './messages.ts';

/** Largest body accepted before parsing; SQS caps messages at 256 KiB anyway. */
const MAX_BODY_CHARS = 262_144;

/**
 * Parses one SQS record body into a QueueMessage. Throws PoisonMessageError
 * naming the field (prefixed with `prefix`, e.g. `Records[2].body`) when the
 * body is not JSON or does not fit the schema; the body itself is never echoed.
 */
export function parseQueueMessage(body: unknown, prefix = 'body'): QueueMessage {
  if (typeof body !== 'string') throw new PoisonMessageError(`${prefix}: expected a string`);
  if (body.length > MAX_BODY_CHARS) {
    throw new PoisonMessageError(`${prefix}: longer than ${MAX_BODY_CHARS} characters`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessageError(`${prefix}: not valid JSON`);
  }
  const parsed = QueueMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw new PoisonMessageError(formatIssues(parsed.error.issues, prefix));
  }
  return parsed.data;
}
