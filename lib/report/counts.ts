import type { RemovalOutcome, RemovalReport } from '../removal/outcome.ts';
import { FREED_HOURS_PER_REMOVAL, type RemovedServer, savingsOf } from '../savings.ts';
import type { SweepReport } from '../sweep/report.ts';

/** Where each outcome is counted; typed so a new outcome cannot go uncounted. */
const BUCKET_OF: Readonly<
  Record<RemovalOutcome, 'removed' | 'wouldRemove' | 'refused' | 'undone' | 'failed'>
> = {
  removed: 'removed',
  'would-remove': 'wouldRemove',
  failed: 'failed',
  // The remover refuses these before any call (lib/removal/plan/eligibility.ts).
  'not-in-ecs-group': 'refused',
  prepaid: 'refused',
  'unknown-charging-mode': 'refused',
  'drain-undone': 'undone',
  'already-removed': 'undone',
  'skipped-busy': 'undone',
  'skipped-changed': 'undone',
  'skipped-deadline': 'undone',
  'skipped-aborted': 'undone',
  // Kept by a disruption budget (BUDGETS): not removed this run, like a skip.
  budget: 'undone',
};

/** Which count an outcome adds to; an outcome this version does not know counts as undone. */
export function bucketOf(outcome: string): (typeof BUCKET_OF)[RemovalOutcome] {
  return Object.hasOwn(BUCKET_OF, outcome) ? BUCKET_OF[outcome as RemovalOutcome] : 'undone';
}

/** The outcomes counted as refused by the remover, in vocabulary order. */
export const REFUSED_OUTCOMES = (Object.keys(BUCKET_OF) as RemovalOutcome[]).filter(
  (outcome) => BUCKET_OF[outcome] === 'refused',
);

/** The hint every page and line shows when no price table was given. */
export const NO_PRICES = 'no prices given: set HOURLY_PRICE_BY_FLAVOR';

/** The estimated saving and the prices it was computed with, or why there is none. */
export type SavingCount =
  | { priced: false; note: string }
  | {
      priced: true;
      amount: number;
      /** What the amount covers: `a month` (HOURLY_PRICE_BY_FLAVOR) or `24 h` (plan `--prices`). */
      per: string;
      currency: string | undefined;
      /** The setting or option the prices came from. */
      source: string;
      /** The price table as given: flavor or product → price per server-hour. */
      prices: Record<string, number>;
      /** Servers (or server-hours) counted but without a price, in words; empty when none. */
      unpriced: string;
    };

/**
 * The one set of counts of a sweep or plan: every page, line and table reads
 * these. `planned` = removed + wouldRemove + Σ refused + Σ undone + failed.
 */
export interface ReportCounts {
  dryRun: boolean;
  groups: number;
  /** Every removal this run planned or finished (each has one outcome). */
  planned: number;
  removed: number;
  wouldRemove: number;
  /** The remover refused them (no call made), by outcome. */
  refused: Record<string, number>;
  /** Drained then undone (by undo reason), or skipped at the re-check, cap or deadline (by outcome). */
  undone: Record<string, number>;
  failed: number;
  /** Servers kept, by verdict, over the listed groups. */
  kept: Record<string, number>;
  /** Set when the report lists only some groups: `kept` covers those only. */
  keptListedOnly: boolean;
  /** (removed + wouldRemove) × FREED_HOURS_PER_REMOVAL: freed, or in a dry run would be freed. */
  serverHoursFreed: number;
  /** Hours each removal is counted as freeing. */
  hoursPerRemoval: number;
  saving: SavingCount;
}

function add(into: Record<string, number>, key: string, n = 1): void {
  if (n > 0) into[key] = (into[key] ?? 0) + n;
}

/** The listed and recovered removal lines: the only ones that carry names, flavors and undo reasons. */
function listedRemovals(report: SweepReport): RemovalReport[] {
  return [...report.groups.flatMap((g) => g.removals), ...(report.recovered ?? [])];
}

/** Undone drains by their reason; any the report does not list are counted under `drain-undone`. */
function undoneOf(report: SweepReport, lines: readonly RemovalReport[]): Record<string, number> {
  const undone: Record<string, number> = {};
  const outcomes = report.totals.outcomes as Partial<Record<string, number>>;
  let reasoned = 0;
  for (const line of lines) {
    if (line.outcome === 'drain-undone' && line.undoReason !== undefined) {
      add(undone, line.undoReason);
      reasoned++;
    }
  }
  for (const [outcome, n] of Object.entries(outcomes)) {
    if (bucketOf(outcome) !== 'undone') continue;
    add(undone, outcome, outcome === 'drain-undone' ? (n ?? 0) - reasoned : (n ?? 0));
  }
  return undone;
}

/** The freeing servers with their flavors, padded with unknown ones for unlisted groups. */
function freeingServers(lines: readonly RemovalReport[], freeing: number): RemovedServer[] {
  const listed = lines
    .filter((line) => line.outcome === 'removed' || line.outcome === 'would-remove')
    .map((line) => ({ flavorId: line.flavorId }));
  const unlisted = Math.max(0, freeing - listed.length);
  return [...listed, ...Array.from({ length: unlisted }, () => ({}))];
}

/**
 * The saving at HOURLY_PRICE_BY_FLAVOR (a monthly estimate over the servers
 * removed, or in a dry run those that would be), or the hint to set it.
 */
function flavorSaving(
  servers: readonly RemovedServer[],
  prices: Readonly<Record<string, number>> | undefined,
): SavingCount {
  const savings = savingsOf(servers, prices);
  if (prices === undefined || savings.estimatedMonthlySaving === undefined) {
    return { priced: false, note: NO_PRICES };
  }
  const unpriced = servers.filter(
    (s) => !Object.hasOwn(prices, s.flavorId ?? '(unknown flavor)'),
  ).length;
  return {
    priced: true,
    amount: savings.estimatedMonthlySaving,
    per: 'a month',
    currency: undefined,
    source: 'HOURLY_PRICE_BY_FLAVOR',
    prices: { ...prices },
    unpriced:
      unpriced === 0
        ? ''
        : `${unpriced} server${unpriced === 1 ? '' : 's'} without a price (flavor ${savings.unpricedFlavors.join(', ')})`,
  };
}

export interface CountOptions {
  /** HOURLY_PRICE_BY_FLAVOR: prices the saving when no `saving` is given. */
  hourlyPriceByFlavor?: Readonly<Record<string, number>> | undefined;
  /** A saving computed elsewhere from the same removals (plan `--prices`: the what-if baseline's). */
  saving?: SavingCount | undefined;
}

/**
 * Counts a report once, from its outcomes: the totals (every group) for each
 * outcome, the listed removal lines for undo reasons and flavors, the listed
 * groups' member verdicts for what was kept and why.
 */
export function countsOf(report: SweepReport, options: CountOptions = {}): ReportCounts {
  const buckets = { removed: 0, wouldRemove: 0, failed: 0 };
  const refused: Record<string, number> = {};
  let planned = 0;
  for (const [outcome, n = 0] of Object.entries(
    report.totals.outcomes as Partial<Record<string, number>>,
  )) {
    const bucket = bucketOf(outcome);
    planned += n;
    if (bucket === 'refused') add(refused, outcome, n);
    else if (bucket !== 'undone') buckets[bucket] += n;
  }
  const lines = listedRemovals(report);
  const kept: Record<string, number> = {};
  for (const group of report.groups) {
    for (const [kind, n] of Object.entries(group.memberReasons))
      if (kind !== 'idle') add(kept, kind, n);
  }
  const freeing = buckets.removed + buckets.wouldRemove;
  return {
    dryRun: report.dryRun,
    groups: report.totals.groups,
    planned,
    ...buckets,
    refused,
    undone: undoneOf(report, lines),
    kept,
    keptListedOnly: report.groups.length < report.totals.groups,
    serverHoursFreed: freeing * FREED_HOURS_PER_REMOVAL,
    hoursPerRemoval: FREED_HOURS_PER_REMOVAL,
    saving:
      options.saving ?? flavorSaving(freeingServers(lines, freeing), options.hourlyPriceByFlavor),
  };
}

/** The sum of a by-reason count. */
export function total(byReason: Readonly<Record<string, number>>): number {
  return Object.values(byReason).reduce((sum, n) => sum + n, 0);
}

/** `busy 3, floor 2`: reasons by count (highest first, then by name), at most `limit`. */
export function topReasons(
  byReason: Readonly<Record<string, number>>,
  limit = Number.POSITIVE_INFINITY,
  label: (reason: string) => string = (reason) => reason,
): string {
  return Object.entries(byReason)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .slice(0, limit)
    .map(([reason, n]) => `${label(reason)} ${n}`)
    .join(', ');
}
