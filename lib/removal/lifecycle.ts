import type { Removal } from '../scaling/types.ts';
import { type Settled, type SettleResult, settleGroup } from './actuation/settle-group.ts';
import { admitToBudgets } from './drain/admit.ts';
import { beginDrains } from './drain/begin-drains.ts';
import { candidatesOf } from './drain/leased-start.ts';
import { endRemoval, removalBase } from './ending/end-removal.ts';
import { leaseHeldBy } from './lease/group-lease.ts';
import type { RecoveredDrain, RemovalReport } from './outcome.ts';
import { refusalsOf } from './plan/eligibility.ts';
import { viewOf } from './recheck/group-view.ts';
import type { DrainRecord } from './store/drain-store.ts';

export { drainUntil } from '../config-drain.ts';
export {
  classify,
  evaluationFate,
  fateOfError,
  leaseBusyFate,
  missingSettingFate,
  notSettledFate,
  throwIfFailed,
} from '../queue/fate.ts';
export { createEcsGroupResolver } from './actuation/ecs-groups.ts';
export { settleGroup } from './actuation/settle-group.ts';
export { type BudgetLedger, createBudgetLedger } from './budget/ledger.ts';
export { startDrainsUnderLease } from './drain/leased-start.ts';
export {
  createDrainServices,
  TABLE_SERVICES,
  type TableServices,
} from './drain-services.ts';
export { type Ending, endingOf, removalReport } from './ending/end-removal.ts';
export { underGroupLease } from './lease/group-hold.ts';
export { createGroupLease, type Lease, leaseHeldBy } from './lease/group-lease.ts';
export type { RecoveredDrain, RemovalOutcome, RemovalReport } from './outcome.ts';
export { REFUSAL_OUTCOMES } from './plan/eligibility.ts';
export { fetchAndEvaluate } from './plan/plan-group.ts';
export { createDrainStore, type DrainRecord } from './store/drain-store.ts';
export { createTableInput } from './store/drain-table.ts';
export type { DynamoClientFactory } from './store/dynamo.ts';
// The package's one entry: everything a driver (lib/sweep, functions/,
// scripts/) takes from lib/removal comes from here (biome.json
// noRestrictedImports keeps it so).
export { budgetOf, type TimeBudget } from './time-budget.ts';
export type {
  DrainServices,
  EcsGroupResolver,
  GroupEvaluation,
  RemovalServices,
  RemovalSettings,
} from './types.ts';

import type { GroupEvaluation, RemovalServices, RemovalSettings } from './types.ts';

// The one removal lifecycle (docs/drain-lifecycle.md), as its drivers call it:
// the inline sweep (lib/sweep/sweep.ts, lib/sweep/inline-drain.ts) and the queue
// messages (lib/sweep/remediate.ts). planned → eligibility → [drained →
// waited] → re-checked under the group lease → removed | undone; recover.

/**
 * Whether a run drains (DRAIN_SECONDS > 0, not a dry run): decided here only.
 * A dry run never drains; it reports what the remover would answer.
 */
export function drainingOn(settings: Pick<RemovalSettings, 'drainSeconds' | 'dryRun'>): boolean {
  return (settings.drainSeconds ?? 0) > 0 && !settings.dryRun;
}

/**
 * What a dry run reports for each planned removal: the refusal the remover
 * would answer (eligibility, read-only), else `would-remove`. Changes
 * nothing and writes no audit line: the caller ends each report once its
 * final outcome is known (an inline sweep learns only at its end whether it
 * aborts), with {@link endingOf}.
 */
export async function dryRunOutcomes(
  evaluation: Pick<GroupEvaluation, 'group' | 'servers'>,
  removals: readonly Removal[],
  services: Pick<RemovalServices, 'ecsGroupsOf' | 'log' | 'budgetLedger'>,
  settings: Pick<
    RemovalSettings,
    'removalMode' | 'projectId' | 'dryRun' | 'now' | 'budgets' | 'limits' | 'drainSeconds'
  >,
): Promise<RemovalReport[]> {
  const reports: RemovalReport[] = [];
  const candidates = candidatesOf(evaluation, removals);
  const refused = await refusalsOf(candidates, services, settings);
  const refusals = new Map(candidates.map((c, i) => [c.removal.serverId, refused[i]]));
  // The budgets as a run would apply them, reading the ledger and writing nothing.
  const eligible = candidates.filter((c) => refusals.get(c.removal.serverId) === undefined);
  const { held } = await admitToBudgets(eligible, services, settings, { readOnly: true });
  const kept = new Map(held.map((h) => [h.ask.removal.serverId, h]));
  for (const { removal, server } of candidates) {
    const hold = kept.get(removal.serverId);
    const refusal =
      refusals.get(removal.serverId) ??
      (hold === undefined ? undefined : { outcome: hold.outcome, detail: hold.detail });
    // The flavor prices a would-remove as finish-acted.ts prices a removal (lib/report/counts.ts).
    const flavorId = server?.product_info?.flavor_id;
    reports.push({
      ...removalBase(removal),
      ...(flavorId === undefined ? {} : { flavorId }),
      ...(refusal ?? { outcome: 'would-remove' }),
    } as RemovalReport);
  }
  return reports;
}

/**
 * DRAIN_SECONDS=0 (and any dry run): one group's planned removals through the
 * same re-check as a drain, on the evaluation just made and each server read
 * again, then removed together. Never throws for an API failure: it is that
 * server's `failed` outcome. One audit line per removal.
 */
export async function removeNow(
  evaluation: GroupEvaluation,
  removals: readonly Removal[],
  services: RemovalServices,
  settings: RemovalSettings,
  options: { owner?: string } = {},
): Promise<RemovalReport[]> {
  if (settings.dryRun) {
    const reports = await dryRunOutcomes(evaluation, removals, services, settings);
    return reports.map((report) => endRemoval(services, settings, evaluation.group, report));
  }
  // Disruption budgets admit before anything is removed (lib/removal/drain/admit.ts),
  // counting as the dry run does only what the remover would not refuse.
  const candidates = candidatesOf(evaluation, removals);
  const refused = await refusalsOf(candidates, services, settings);
  const eligible = candidates.filter((_, i) => refused[i] === undefined);
  const { held } = await admitToBudgets(eligible, services, settings);
  const end = (report: RemovalReport) => endRemoval(services, settings, evaluation.group, report);
  const kept = new Map(
    held.map(({ ask, outcome, detail }) => [
      ask.removal.serverId,
      end({ ...removalBase(ask.removal), outcome, detail }),
    ]),
  );
  // The refused go on to the remover, which answers (and audits) their refusal.
  const acting = removals.filter((r) => !kept.has(r.serverId));
  const result = await settleGroup(
    evaluation.group.id,
    acting.map((removal) => ({ removal })),
    options.owner ?? 'inline',
    services,
    settings,
    { view: viewOf(evaluation, settings, acting.length) },
  );
  const settled = new Map(reportsOf(result, acting, end).map((r) => [r.serverId, r]));
  return removals.map((r) => kept.get(r.serverId) ?? (settled.get(r.serverId) as RemovalReport));
}

/**
 * Steps 1–2 for the chosen servers of one project's groups: eligibility,
 * records, then maintenance in as few `batch-maint` calls as the API allows.
 * Throws when the drain table fails (nothing more is drained).
 */
export function startDrains(
  groups: readonly {
    evaluation: Pick<GroupEvaluation, 'group' | 'servers'>;
    removals: readonly Removal[];
  }[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
): ReturnType<typeof beginDrains> {
  const candidates = groups.flatMap((g) => candidatesOf(g.evaluation, g.removals));
  return beginDrains(candidates, owner, services, settings);
}

/** A drained server's report when the run ended without settling it; audited. */
export function leftDraining(
  record: Pick<DrainRecord, 'serverId' | 'instanceId' | 'machineName' | 'groupId'>,
  why: string,
  services: Pick<RemovalServices, 'log'>,
  settings: RemovalSettings,
): RemovalReport {
  return endRemoval(
    services,
    settings,
    { id: record.groupId },
    {
      ...removalBase({ ...record, idleMinutes: 0 }),
      outcome: 'skipped-changed',
      detail: `left draining (${why}): the next sweep finishes or undoes it`,
    },
  );
}

/** Every settled server's report, in target order; one not settled is named as such and ended. */
function reportsOf(
  result: SettleResult,
  removals: readonly Removal[],
  end: (report: RemovalReport) => RemovalReport,
): RemovalReport[] {
  const why = result.kind === 'lease-busy' ? leaseHeldBy(result.holder) : '';
  const settled = new Map<string, Settled>(
    result.kind === 'settled' ? result.settled.map((s) => [s.serverId, s]) : [],
  );
  return removals.map((removal) => {
    const s = settled.get(removal.serverId);
    if (s?.report !== undefined) return s.report;
    return end({
      ...removalBase(removal),
      outcome: 'skipped-changed',
      detail: why || `not acted on (${s?.decision ?? 'not settled'})`,
    });
  });
}

function byGroup(records: readonly DrainRecord[]): Map<string, DrainRecord[]> {
  const groups = new Map<string, DrainRecord[]>();
  for (const record of records) {
    groups.set(record.groupId, [...(groups.get(record.groupId) ?? []), record]);
  }
  return groups;
}

/**
 * Crash recovery, first thing in every acting sweep of a project: each drain
 * whose period is over (an invocation died between drain and action, or its
 * finish-removal message was lost) is taken over under its group's lease and
 * finished or undone. A group whose lease is held is left to its holder; a
 * group that fails keeps its records for the next sweep. Throws when the
 * drain table cannot be listed.
 */
export async function recoverDrains(
  projectId: string,
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<RecoveredDrain[]> {
  const store = services.drains?.store;
  if (store === undefined) return [];
  const now = settings.now();
  // Only a dead owner's records: a live one settles its own (docs/drain-lifecycle.md).
  const due = (await store.listDrains(projectId)).filter(
    (r) => (r.ownerUntilMs ?? r.drainUntilMs) <= now,
  );
  const recovered: RecoveredDrain[] = [];
  for (const [groupId, records] of byGroup(due)) {
    const result = await settleGroup(
      groupId,
      records.map((record) => ({ record })),
      owner,
      services,
      settings,
      { claim: true },
    ).catch((error: unknown) => {
      services.log.error('drain recovery failed', {
        audit: 'drain',
        projectId,
        serverGroupId: groupId,
        serverIds: records.map((r) => r.serverId),
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    });
    if (result?.kind !== 'settled') continue;
    for (const settled of result.settled) {
      if (settled.report !== undefined) {
        recovered.push({ ...settled.report, projectId, serverGroupId: groupId });
      }
    }
  }
  return recovered;
}
