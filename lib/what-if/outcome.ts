import type { LedgerEntry } from '../budgets/allowance.ts';
import type { Decision } from '../scaling/types.ts';
import type { WhatIfOverrides } from './overrides.ts';

/** Changed groups and risky servers listed per set; the counts are always exact. */
export const WHAT_IF_LISTED = 200;

export interface ChangedGroup {
  projectId: string;
  serverGroupId: string;
  serverGroupName: string;
  from: Decision['kind'];
  to: Decision['kind'];
  removalsFrom: number;
  removalsTo: number;
}

export interface RiskyServer {
  projectId: string;
  serverGroupId: string;
  serverGroupName: string;
  serverId: string;
  machineName: string | undefined;
  /** ISO instant of the server's latest session activity. */
  lastSessionAt: string;
}

/** What one policy (the baseline or an override set) does with the fetched data. */
export interface WhatIfOutcome {
  label: string;
  overrides: WhatIfOverrides;
  decisions: Record<Decision['kind'], number>;
  /** Removals the evaluation plans, before the sweep cap. */
  plannedRemovals: number;
  /** The planned removals exceed the sweep cap: a sweep would remove nothing. */
  aborted: boolean;
  /** Removals a sweep would carry out: `plannedRemovals`, or 0 when aborted. */
  removals: number;
  /** `removals × horizonHours`. */
  serverHoursFreed: number;
  /** Set when a price table is given. */
  saving?: { amount: number; currency: string; unpricedServerHours: number };
  /** Groups whose decision kind or removed servers differ from the baseline's (0 for the baseline). */
  changedCount: number;
  changed: ChangedGroup[];
  /** Servers removed although a session of theirs ended within `riskHours`. */
  riskyCount: number;
  risky: RiskyServer[];
}

export interface WhatIfComparison {
  horizonHours: number;
  riskHours: number;
  baseline: WhatIfOutcome;
  sets: WhatIfOutcome[];
}

/** One policy's running totals while the groups are compared; finished by `finishOutcome`. */
export interface Tally {
  outcome: WhatIfOutcome;
  /** Planned removals the remover would carry out (not refused). */
  acting: number;
  /** The set's removals admitted so far, and the members of the groups seen: its budgets' ledger. */
  book: LedgerEntry[];
  members: number;
  hourlyPriced: number;
  unpricedRemovals: number;
}

/** A tally with nothing counted yet, for the set `label`. */
export function emptyTally(label: string, overrides: WhatIfOverrides): Tally {
  return {
    acting: 0,
    book: [],
    members: 0,
    outcome: {
      label,
      overrides,
      decisions: { skip: 0, 'scale-out': 0, 'scale-in': 0, steady: 0 },
      plannedRemovals: 0,
      aborted: false,
      removals: 0,
      serverHoursFreed: 0,
      changedCount: 0,
      changed: [],
      riskyCount: 0,
      risky: [],
    },
    hourlyPriced: 0,
    unpricedRemovals: 0,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * A tally's outcome once every group is counted: aborted when its planned
 * removals exceed the sweep cap (its own, else `maxRemovalsPerSweep`), then
 * nothing is removed or saved; server-hours and the saving over `horizonHours`.
 */
export function finishOutcome(
  tally: Tally,
  options: { maxRemovalsPerSweep: number; horizonHours: number; currency?: string | undefined },
): WhatIfOutcome {
  const { outcome } = tally;
  const cap = outcome.overrides.maxRemovalsPerSweep ?? options.maxRemovalsPerSweep;
  outcome.aborted = outcome.plannedRemovals > 0 && !(outcome.plannedRemovals <= cap);
  outcome.removals = outcome.aborted ? 0 : tally.acting;
  outcome.serverHoursFreed = outcome.removals * options.horizonHours;
  if (options.currency !== undefined) {
    const share = outcome.aborted ? 0 : 1;
    outcome.saving = {
      amount: round2(tally.hourlyPriced * options.horizonHours * share),
      currency: options.currency,
      unpricedServerHours: tally.unpricedRemovals * options.horizonHours * share,
    };
  }
  return outcome;
}
