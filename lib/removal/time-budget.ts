import { planDrainWait } from './recheck/recheck.ts';
import type { RemovalSettings, TimeBudget } from './types.ts';

export type { TimeBudget } from './types.ts';

/** The budget the settings carry, else the one their `deadlineAt` and clock make. */
export function budgetOf(
  settings: Pick<RemovalSettings, 'now' | 'deadlineAt' | 'budget'>,
): TimeBudget {
  if (settings.budget !== undefined) return settings.budget;
  const deadlineAt = settings.deadlineAt ?? Number.POSITIVE_INFINITY;
  return {
    deadlineAt,
    hasTime: () => settings.now() < deadlineAt,
    waitUntil: (untilMs) =>
      planDrainWait({ now: settings.now(), drainUntilMs: untilMs, deadlineAt }),
  };
}
