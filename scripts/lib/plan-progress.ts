import type { PlanProgress } from './plan-run.ts';

/** Redraws at most this often. */
const EVERY_MS = 200;

/**
 * Progress on one rewritten stderr line (groups evaluated of those listed so
 * far, requests, throttled answers), only when the stream is a terminal:
 * piped or redirected output stays clean.
 */
export function progressReporter(
  stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>,
  now: () => number = Date.now,
): { update: ((p: PlanProgress) => void) | undefined; done: () => void } {
  if (stream.isTTY !== true) return { update: undefined, done: () => {} };
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      if (t - last < EVERY_MS) return;
      last = t;
      drawn = true;
      stream.write(
        `\rplan: ${p.evaluated} of ${p.listed} groups listed so far evaluated · ${p.requests} requests · ${p.throttled} throttled\x1b[K`,
      );
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
