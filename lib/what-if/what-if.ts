import { admitInto, type LedgerEntry } from '../budgets/allowance.ts';
import { type Budget, reasonOf } from '../budgets/budget.ts';
import { parseApiTime } from '../huawei/api-time.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import { FREED_HOURS_PER_REMOVAL } from '../savings.ts';
import { evaluateGroup } from '../scaling/evaluate.ts';
import { indexSessionsByMachine, sessionsOfMachine } from '../scaling/idle.ts';
import type { Schedules } from '../scaling/schedule.ts';
import type { Decision, EvaluationLimits, Removal } from '../scaling/types.ts';
import type { WhatIfOverrides, WhatIfSet } from './overrides.ts';
import { hourlyPrice, type PriceTable } from './prices.ts';

const HOUR_MS = 3_600_000;
/** Changed groups and risky servers listed per set; the counts are always exact. */
export const WHAT_IF_LISTED = 200;

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

/** The group with its session policy values replaced; groups without a session policy stay as they are. */
function withPolicy(group: ServerGroup, overrides: WhatIfOverrides): ServerGroup {
  const { shrinkMinutes, thresholdPercent } = overrides;
  if (shrinkMinutes === undefined && thresholdPercent === undefined) return group;
  const policy = group.scaling_policy;
  const bySession = policy?.scaling_policy_by_session;
  if (policy == null || bySession == null || typeof bySession !== 'object') return group;
  return {
    ...group,
    scaling_policy: {
      ...policy,
      scaling_policy_by_session: {
        ...bySession,
        ...(shrinkMinutes === undefined
          ? {}
          : { shrink_after_session_idle_minutes: shrinkMinutes }),
        ...(thresholdPercent === undefined ? {} : { session_usage_threshold: thresholdPercent }),
      },
    },
  };
}

function limitsOf(base: EvaluationLimits, overrides: WhatIfOverrides): EvaluationLimits {
  return {
    ...base,
    minServersPerGroup: overrides.minServersPerGroup ?? base.minServersPerGroup,
    maxRemovalsPerGroup: overrides.maxRemovalsPerGroup ?? base.maxRemovalsPerGroup,
  };
}

/** The latest activity among sessions (end, else last update, else start time), epoch ms. */
function latestSession(sessions: readonly SessionInfo[]): number | undefined {
  let latest: number | undefined;
  for (const session of sessions) {
    const at = parseApiTime(
      session.end_time ?? session.last_update_status_time ?? session.start_time,
    );
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}

function removalsOf(decision: Decision): readonly Removal[] {
  return decision.kind === 'scale-in' ? decision.remove : [];
}

function sameRemovals(a: readonly Removal[], b: readonly Removal[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((r) => r.serverId));
  return b.every((r) => ids.has(r.serverId));
}

interface Tally {
  outcome: WhatIfOutcome;
  /** Planned removals the remover would carry out (not refused). */
  acting: number;
  /** The set's removals admitted so far, and the members of the groups seen: its budgets' ledger. */
  book: LedgerEntry[];
  members: number;
  hourlyPriced: number;
  unpricedRemovals: number;
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

function emptyTally(label: string, overrides: WhatIfOverrides): Tally {
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
      for (const removal of removals) {
        const last = latestSession(sessionsOf(removal.machineName));
        if (last === undefined || last < riskSince) continue;
        outcome.riskyCount++;
        if (outcome.risky.length < WHAT_IF_LISTED) {
          outcome.risky.push({
            projectId: fetched.projectId,
            serverGroupId: fetched.group.id,
            serverGroupName: fetched.group.name,
            serverId: removal.serverId,
            machineName: removal.machineName,
            lastSessionAt: new Date(last).toISOString(),
          });
        }
      }
    });
  }

  const outcomes = tallies.map((tally) => {
    const outcome = tally.outcome;
    const cap = outcome.overrides.maxRemovalsPerSweep ?? options.maxRemovalsPerSweep;
    outcome.aborted = outcome.plannedRemovals > 0 && !(outcome.plannedRemovals <= cap);
    outcome.removals = outcome.aborted ? 0 : tally.acting;
    outcome.serverHoursFreed = outcome.removals * horizonHours;
    if (options.prices !== undefined) {
      const share = outcome.aborted ? 0 : 1;
      outcome.saving = {
        amount: round2(tally.hourlyPriced * horizonHours * share),
        currency: options.prices.currency,
        unpricedServerHours: tally.unpricedRemovals * horizonHours * share,
      };
    }
    return outcome;
  });
  const [baseline, ...rest] = outcomes as [WhatIfOutcome, ...WhatIfOutcome[]];
  return { horizonHours, riskHours, baseline, sets: rest };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
