/**
 * Milliseconds to wait from a `Retry-After` value: delta seconds (`120`,
 * `1.5`) or an HTTP date relative to `nowMs`. Undefined when absent or
 * unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface BackoffOptions {
  /** First backoff ceiling in ms; doubles per retry. */
  baseDelayMs: number;
  /** Backoff ceiling in ms. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this (ms) ends the retries at once. */
  maxRetryAfterMs: number;
  random: () => number;
}

/**
 * Milliseconds to wait before retry `attemptNumber` (1-based): the server's
 * `Retry-After` when it gave one, else exponential backoff with full jitter.
 * Undefined when the server asks for more patience than `maxRetryAfterMs`.
 */
export function backoffDelay(
  retryAfterMs: number | undefined,
  attemptNumber: number,
  options: BackoffOptions,
): number | undefined {
  const { baseDelayMs, maxDelayMs, maxRetryAfterMs, random } = options;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > maxRetryAfterMs) return undefined;
    // Never sooner than asked, plus up to a fifth more (at most 1 s), so
    // requests throttled together do not all come back in the same instant.
    return retryAfterMs + Math.floor(random() * Math.min(retryAfterMs / 5, 1_000));
  }
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attemptNumber - 1));
  return Math.floor(random() * ceiling);
}
