import type { RemovalOutcome, RemovalReport } from '../removal/lifecycle.ts';
import { REFUSAL_OUTCOMES } from '../removal/lifecycle.ts';
import { planRemovals } from '../scaling/plan.ts';
import type { Removal, SweepPlan } from '../scaling/types.ts';
import type { GroupLines } from './group-lines.ts';
import type { HeldGroup } from './held.ts';
import type { GroupReport } from './report.ts';

/** What a dry run records before it knows whether the sweep aborts. */
const DRY_RUN_OUTCOMES: readonly RemovalOutcome[] = ['would-remove', ...REFUSAL_OUTCOMES];

/** The sweep-wide guard of one inline sweep; see {@link createSweepGuard}. */
export interface SweepGuard {
  /**
   * Counts a scale-in group's planned removals against MAX_REMOVALS_PER_SWEEP.
   * True when the group may be held for acting; false when its outcome is
   * already known (`skipped-aborted` over the cap; in a dry run `planned`,
   * the outcomes lib/removal/lifecycle.ts `dryRunReports` found, else
   * `would-remove`) and written to its report line. Crossing the cap lets go
   * of every group held so far as `skipped-aborted`.
   */
  admit(
    line: GroupReport,
    removals: readonly Removal[],
    planned?: readonly RemovalReport[],
  ): boolean;
  hold(group: HeldGroup): void;
  /**
   * The final plan; an aborted sweep relabels a dry run's `would-remove` as
   * `skipped-aborted`. Hands the held groups over: the guard keeps none, so
   * the caller can let go of each once acted on.
   */
  conclude(): { plan: SweepPlan; held: HeldGroup[] };
}

/**
 * Owns the sweep-wide cap and what follows from crossing it, so the sweep's
 * per-group step reads evaluate → guard → hold. Counts come from the report
 * lines, which hold the planned removals of every group seen.
 */
export function createSweepGuard(
  lines: GroupLines,
  options: { maxRemovalsPerSweep: number; dryRun: boolean },
): SweepGuard {
  const held: HeldGroup[] = [];
  return {
    admit(line, removals, planned) {
      const overCap = planRemovals(lines.totals.plannedRemovals, options).kind === 'aborted';
      if (overCap && held.length > 0) {
        // The sweep will abort: let go of everything held for acting.
        for (const group of held.splice(0)) {
          recordAll(lines, group.report, group.evaluation.decision.remove, 'skipped-aborted');
        }
      }
      if (overCap || options.dryRun) {
        // Nothing will be done for this group: its outcome is known now.
        if (!overCap && planned !== undefined) {
          for (const report of planned) lines.record(line, report);
        } else {
          recordAll(lines, line, removals, overCap ? 'skipped-aborted' : 'would-remove');
        }
        return false;
      }
      return true;
    },
    hold(group) {
      held.push(group);
    },
    conclude() {
      const plan = planRemovals(lines.totals.plannedRemovals, options);
      // A dry run recorded what it would remove before it knew the sweep aborts.
      if (plan.kind === 'aborted') {
        for (const outcome of DRY_RUN_OUTCOMES) lines.relabel(outcome, 'skipped-aborted');
      }
      return { plan, held: held.splice(0) };
    },
  };
}

/** Writes one outcome for each of a group's planned removals. */
export function recordAll(
  lines: GroupLines,
  line: GroupReport,
  removals: readonly Removal[],
  outcome: 'would-remove' | 'skipped-aborted' | 'skipped-deadline' | 'failed',
  detail?: string,
): void {
  for (const removal of removals) {
    lines.record(line, {
      serverId: removal.serverId,
      instanceId: removal.instanceId,
      machineName: removal.machineName,
      idleMinutes: Math.floor(removal.idleMinutes),
      outcome,
      ...(detail === undefined ? {} : { detail }),
    });
  }
}
