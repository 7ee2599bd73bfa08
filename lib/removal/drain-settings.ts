import * as z from 'zod';

/** SQS `DelaySeconds` tops out at 900, and a `finish-removal` message waits the drain period. */
export const MAX_DRAIN_SECONDS = 900;

/** The drain period when DRAIN_SECONDS is not set. */
export const DEFAULT_DRAIN_SECONDS = 120;

/**
 * DRAIN_SECONDS, for `lib/config.ts`: whole seconds 0–900, default 120.
 * 0 acts without draining — today's behaviour, unsafe for `release`. An
 * empty value counts as unset (120), not as 0.
 */
export const DrainSecondsSchema = z.preprocess(
  // An empty variable means "not set", never 0: 0 turns draining off.
  (value) => (value === '' ? undefined : value),
  z.coerce.number().int().min(0).max(MAX_DRAIN_SECONDS).default(DEFAULT_DRAIN_SECONDS),
);

/** DRAIN_TABLE_NAME, for `lib/config.ts`: the DynamoDB table of drains and leases. */
export const DrainTableNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/);

/** The instant before which a server drained at `drainedAtMs` must not be acted on; epoch ms. */
export function drainUntil(drainedAtMs: number, drainSeconds: number): number {
  return drainedAtMs + drainSeconds * 1_000;
}
