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

/** Draining keeps its records in a table: without one, only DRAIN_SECONDS=0 runs. */
export function drainProblems(drainSeconds: number, present: Record<string, string>): string[] {
  return drainSeconds > 0 && present.DRAIN_TABLE_NAME === undefined
    ? ['DRAIN_TABLE_NAME: is required when DRAIN_SECONDS > 0 (the default is 120)']
    : [];
}

/** The instant before which a server drained at `drainedAtMs` must not be acted on; epoch ms. */
export function drainUntil(drainedAtMs: number, drainSeconds: number): number {
  return drainedAtMs + drainSeconds * 1_000;
}

/**
 * Seconds the drain period keeps beyond LOGOFF_DELAY_SECONDS. The log-off is
 * sent after the record write and the `batch-maint` call (a few seconds at
 * the default HTTP_TIMEOUT_MS), and the session listing shows a session
 * ended only once APS has signed it out; a minute covers both. Too short a
 * margin is safe, only wasteful: the re-check still sees the session and undoes.
 */
export const LOGOFF_MARGIN_SECONDS = 60;

/**
 * With LOGOFF_DISCONNECTED_AFTER_MINUTES set, the re-check must come after
 * the log-off took effect: DRAIN_SECONDS ≥ LOGOFF_DELAY_SECONDS +
 * LOGOFF_MARGIN_SECONDS (so never 0). The problems, naming the variables.
 */
export function logoffDrainProblems(env: {
  LOGOFF_DISCONNECTED_AFTER_MINUTES?: number | undefined;
  DRAIN_SECONDS: number;
  LOGOFF_DELAY_SECONDS: number;
}): string[] {
  const needed = env.LOGOFF_DELAY_SECONDS + LOGOFF_MARGIN_SECONDS;
  if (env.LOGOFF_DISCONNECTED_AFTER_MINUTES === undefined || env.DRAIN_SECONDS >= needed) {
    return [];
  }
  const cap =
    needed > MAX_DRAIN_SECONDS
      ? `; it is at most ${MAX_DRAIN_SECONDS}, so LOGOFF_DELAY_SECONDS must be at most ${MAX_DRAIN_SECONDS - LOGOFF_MARGIN_SECONDS}`
      : '';
  return [
    `DRAIN_SECONDS: must be at least LOGOFF_DELAY_SECONDS + ${LOGOFF_MARGIN_SECONDS} (${needed}) when LOGOFF_DISCONNECTED_AFTER_MINUTES is set, so the re-check follows the log-off${cap}`,
  ];
}
