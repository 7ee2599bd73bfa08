import { admitInto } from '../budgets/allowance.ts';
import { type Budget, reasonOf } from '../budgets/budget.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import { FREED_HOURS_PER_REMOVAL } from '../savings.ts';
import { evaluateGroup } from '../scaling/evaluate.ts';
import { indexSessionsByMachine, sessionsOfMachine } from '../scaling/idle.ts';
import type { Schedules } from '../scaling/schedule.ts';
import type { Decision, EvaluationLimits, Removal } from '../scaling/types.ts';
import {
  emptyTally,
  finishOutcome,
  type Tally,
  WHAT_IF_LISTED,
  type WhatIfComparison,
  type WhatIfOutcome,
} from './outcome.ts';
import { limitsOf, type WhatIfSet, withPolicy } from './overrides.ts';
import { hourlyPrice, type PriceTable } from './prices.ts';
import { countRisky } from './risk.ts';

// The results' shapes are outcome.ts's; their readers import them from here.
export type { WhatIfComparison, WhatIfOutcome } from './outcome.ts';

const HOUR_MS = 3_600_000;

/** One group's data as the pipeline fetched it (see lib/sweep/group.ts). */
export interface FetchedGroup {
  projectId: string;
  group: ServerGroup;
  /** Every member (all pages); empty when the listing failed. */
  servers: readonly AppServer[];
  /** The look-back window's sessions; undefined when the session query failed. */
  sessions: readonly SessionInfo[] | undefined;
  /** Set when the member listing failed or came back incomplete (the error text). */
  incomplete?: string | undefined;
}

export interface WhatIfOptions {
  /** Evaluation time, epoch milliseconds: the sweep's `now`. */
  now: number;
  /** The baseline limits (from the configuration). */
  limits: EvaluationLimits;
  /** The baseline MAX_REMOVALS_PER_SWEEP. */
  maxRemovalsPerSweep: number;
  /** Hours a removed server would otherwise have kept running; default FREED_HOURS_PER_REMOVAL (24). */
  horizonHours?: number;
  /** A removed server with a session that ended within these hours is risky; default 2. */
  riskHours?: number;
  /** Hourly prices; without it no saving is estimated. */
  prices?: PriceTable | undefined;
  /**
   * Servers the remover would refuse (lib/removal/plan/eligibility.ts: in no ECS
   * group, prepaid, unknown charging mode), as the dry run found them: planned
   * and counted against the cap, but never removed, so they free nothing.
   */
  refused?: ReadonlySet<string>;
  /** BUDGETS and the schedules they name: each set's removals admitted as a run would, on an empty ledger. */
  budgets?: { budgets: readonly Budget[]; schedules: Schedules } | undefined;
}

function removalsOf(decision: Decision): readonly Removal[] {
  return decision.kind === 'scale-in' ? decision.remove : [];
}

function sameRemovals(a: readonly Removal[], b: readonly Removal[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((r) => r.serverId));
  return b.every((r) => ids.has(r.serverId));
}

// How many of a group's acting removals the budgets admit, as a run would (lib/removal/drain/admit.ts).
function admitted(
  tally: Tally,
  fetched: FetchedGroup,
  removals: readonly Removal[],
  options: Pick<WhatIfOptions, 'budgets' | 'now'>,
): number {
  tally.members += fetched.servers.length;
  if (options.budgets === undefined || options.budgets.budgets.length === 0) return removals.length;
  const asks = removals.map((r) => ({
    serverId: r.serverId,
    groupId: fetched.group.id,
    projectId: fetched.projectId,
    reason: reasonOf(r),
    groupMembers: fetched.servers.length,
    projectMembers: tally.members,
  }));
  const { budgets, schedules } = options.budgets;
  return admitInto(tally.book, budgets, asks, options.now, schedules).length;
}

/**
 * Re-evaluates the same fetched data under the baseline limits and under each
 * override set with `evaluateGroup` (pure: no I/O, no clock) and compares
 * them. Per set: decisions, planned removals and whether the sweep cap
 * would abort them, server-hours freed (`removals × horizonHours`: the hours
 * each removed server would otherwise have kept running; an estimate that
 * assumes no replacement is started), the saving at the price table's
 * hourly prices, the groups whose decision kind or removed servers differ
 * from the baseline, and the risky removals: servers with a session whose
 * latest time (end, else last update, else start) is within `riskHours` of
 * `now`.
 */
export function compareWhatIf(
  groups: Iterable<FetchedGroup>,
  sets: readonly WhatIfSet[],
  options: WhatIfOptions,
): WhatIfComparison {
  const horizonHours = options.horizonHours ?? FREED_HOURS_PER_REMOVAL;
  const riskHours = options.riskHours ?? 2;
  const riskSince = options.now - riskHours * HOUR_MS;
  const tallies = [
    emptyTally('baseline', {}),
    ...sets.map((s) => emptyTally(s.label, s.overrides)),
  ];
  const allOverrides = tallies.map((t) => t.outcome.overrides);

  for (const fetched of groups) {
    let index: Map<string, SessionInfo[]> | undefined;
    const sessionsOf = (machineName: string | undefined): readonly SessionInfo[] => {
      if (fetched.sessions === undefined) return [];
      index ??= indexSessionsByMachine(fetched.sessions);
      return sessionsOfMachine(index, machineName);
    };
    const price =
      options.prices === undefined ? undefined : hourlyPrice(options.prices, fetched.group);
    let baseline: Decision | undefined;
    allOverrides.forEach((overrides, i) => {
      const tally = tallies[i] as Tally;
      const decision = evaluateGroup({
        group: withPolicy(fetched.group, overrides),
        servers: fetched.servers,
        sessions: fetched.sessions ?? { error: 'session query failed' },
        now: options.now,
        limits: limitsOf(options.limits, overrides),
        incomplete: fetched.incomplete,
      });
      baseline ??= decision;
      const outcome = tally.outcome;
      const removals = removalsOf(decision);
      outcome.decisions[decision.kind]++;
      outcome.plannedRemovals += removals.length;
      const acting = admitted(
        tally,
        fetched,
        removals.filter((r) => options.refused?.has(r.serverId) !== true),
        options,
      );
      tally.acting += acting;
      if (price === undefined) tally.unpricedRemovals += acting;
      else tally.hourlyPriced += price * acting;
      const before = removalsOf(baseline);
      if (decision.kind !== baseline.kind || !sameRemovals(before, removals)) {
        outcome.changedCount++;
        if (outcome.changed.length < WHAT_IF_LISTED) {
          outcome.changed.push({
            projectId: fetched.projectId,
            serverGroupId: fetched.group.id,
            serverGroupName: fetched.group.name,
            from: baseline.kind,
            to: decision.kind,
            removalsFrom: before.length,
            removalsTo: removals.length,
          });
        }
      }
      countRisky(outcome, fetched, removals, sessionsOf, riskSince);
    });
  }

  const outcomes = tallies.map((tally) =>
    finishOutcome(tally, {
      maxRemovalsPerSweep: options.maxRemovalsPerSweep,
      horizonHours,
      currency: options.prices?.currency,
    }),
  );
  const [baseline, ...rest] = outcomes as [WhatIfOutcome, ...WhatIfOutcome[]];
  return { horizonHours, riskHours, baseline, sets: rest };
}
