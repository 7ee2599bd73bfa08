import type { Ending, RemovalOutcome, RemovalReport } from '../removal/lifecycle.ts';
import { REFUSAL_OUTCOMES, removalReport } from '../removal/lifecycle.ts';
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
   * already known (`skipped-aborted` over the cap, ended with `end` at once;
   * in a dry run `planned`, the outcomes lib/removal/lifecycle.ts
   * `dryRunOutcomes` found, recorded now and ended by `conclude` once the
   * sweep knows whether it aborts). Crossing the cap lets go of every group
   * held so far as `skipped-aborted`.
   */
  admit(
    line: GroupReport,
    removals: readonly Removal[],
    end: Ending,
    planned?: readonly RemovalReport[],
  ): boolean;
  hold(group: HeldGroup): void;
  /**
   * The final plan; ends a dry run's removals, each once, with its final
   * outcome (`skipped-aborted` when the sweep aborts). Hands the held groups
   * over: the guard keeps none, so the caller can let go of each once acted on.
   */
  conclude(): { plan: SweepPlan; held: HeldGroup[] };
}

/**
 * Owns the sweep-wide cap and what follows from crossing it, so the sweep's
 * per-group step reads evaluate → guard → hold. Counts come from the report
 * lines, which hold the planned removals of every group seen; every removal
 * it settles ends through the lifecycle's ending (one audit line each).
 */
export function createSweepGuard(
  lines: GroupLines,
  options: { maxRemovalsPerSweep: number; dryRun: boolean },
): SweepGuard {
  const held: HeldGroup[] = [];
  // A dry run's reports, ended once the sweep knows whether it aborts.
  const dryRun: { reports: readonly RemovalReport[]; end: Ending }[] = [];
  return {
    admit(line, removals, end, planned) {
      const overCap = planRemovals(lines.totals.plannedRemovals, options).kind === 'aborted';
      if (overCap && held.length > 0) {
        // The sweep will abort: let go of everything held for acting.
        for (const group of held.splice(0)) {
          const { report, evaluation } = group;
          endAll(lines, report, evaluation.decision.remove, group.end, 'skipped-aborted');
        }
      }
      if (overCap || options.dryRun) {
        // Nothing will be done for this group: its outcome is known now.
        if (!overCap && planned !== undefined) {
          for (const report of planned) lines.record(line, report);
          dryRun.push({ reports: planned, end });
        } else {
          endAll(lines, line, removals, end, overCap ? 'skipped-aborted' : 'would-remove');
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
      const aborted = plan.kind === 'aborted';
      // A dry run recorded what it would remove before it knew the sweep aborts.
      if (aborted)
        for (const outcome of DRY_RUN_OUTCOMES) lines.relabel(outcome, 'skipped-aborted');
      for (const { reports, end } of dryRun.splice(0)) {
        for (const report of reports) {
          if (aborted && DRY_RUN_OUTCOMES.includes(report.outcome)) {
            report.outcome = 'skipped-aborted';
          }
          end(report);
        }
      }
      return { plan, held: held.splice(0) };
    },
  };
}

/** Ends each of a group's planned removals with one outcome (its audit line) and records it. */
export function endAll(
  lines: GroupLines,
  line: GroupReport,
  removals: readonly Removal[],
  end: Ending,
  outcome: 'would-remove' | 'skipped-aborted' | 'skipped-deadline' | 'failed',
  detail?: string,
): void {
  for (const removal of removals) lines.record(line, end(removalReport(removal, outcome, detail)));
}
