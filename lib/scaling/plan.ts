import type { Decision, SweepPlan } from './types.ts';

/** The number of removals the `scale-in` decisions among `decisions` plan, in total. */
export function countPlannedRemovals(decisions: readonly Decision[]): number {
  let planned = 0;
  for (const decision of decisions) {
    if (decision.kind === 'scale-in') planned += decision.remove.length;
  }
  return planned;
}

/**
 * The sweep guard: when the removals planned across one sweep exceed
 * `maxRemovalsPerSweep` (MAX_REMOVALS_PER_SWEEP) the whole sweep is
 * `aborted` and nothing is removed; otherwise it may `proceed`. Exactly the
 * cap proceeds. A cap that is not a finite number aborts any planned removal.
 * Count a list of decisions with {@link countPlannedRemovals}.
 */
export function planRemovals(planned: number, limits: { maxRemovalsPerSweep: number }): SweepPlan {
  const cap = limits.maxRemovalsPerSweep;
  if (planned === 0 || (Number.isFinite(cap) && planned <= cap)) {
    return { kind: 'proceed', planned };
  }
  return {
    kind: 'aborted',
    planned,
    cap,
    reason: `${planned} removals planned across the sweep exceed MAX_REMOVALS_PER_SWEEP (${cap}); nothing is removed`,
  };
}
