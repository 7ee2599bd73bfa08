import type { DrainRecord, Lease, RemovalReport, RemovalSettings } from '../removal/lifecycle.ts';
import {
  budgetOf,
  drainUntil,
  leftDraining,
  settleGroup,
  startDrainsUnderLease,
} from '../removal/lifecycle.ts';
import type { GroupLines } from './group-lines.ts';
import { recordAll } from './guard.ts';
import type { HeldGroup } from './held.ts';
import { forEachConcurrent } from './pool.ts';

/** A drain-table failure met while acting: named in the report as such, never as a listing error. */
export interface DrainStoreFailure {
  projectId: string;
  error: unknown;
}

/**
 * The act phase of an inline sweep with DRAIN_SECONDS > 0: every held
 * group's chosen servers are recorded and put into maintenance, the sweep
 * waits once for the drain period (only when it ends before the time budget,
 * `deadlineAt`; else nothing is drained and each is `skipped-deadline`), then
 * each group is settled under its lease: removed, or its drain undone. A
 * project whose drain table fails drains nothing more; each of its removals
 * not drained is `failed` and the failure is returned.
 */
export async function drainThenAct(
  pending: readonly HeldGroup[],
  settingsOf: (projectId: string) => RemovalSettings,
  concurrency: number,
  lines: GroupLines,
  owner: string,
): Promise<DrainStoreFailure[]> {
  if (pending.length === 0) return [];
  const first = settingsOf(pending[0]?.projectId ?? '');
  const budget = budgetOf(first);
  const now = first.now();
  const fits = budget.waitUntil(drainUntil(now, first.drainSeconds ?? 0));
  if (fits.kind === 'undo') {
    for (const group of pending) {
      recordAll(
        lines,
        group.report,
        group.evaluation.decision.remove,
        'skipped-deadline',
        'the drain period does not fit in the time the invocation has left',
      );
    }
    return [];
  }

  const failures: DrainStoreFailure[] = [];
  const records = new Map<HeldGroup, DrainRecord[]>();
  const leases = new Map<HeldGroup, Lease | undefined>();
  const byProject = new Map<string, HeldGroup[]>();
  for (const group of pending) {
    byProject.set(group.projectId, [...(byProject.get(group.projectId) ?? []), group]);
  }
  for (const [projectId, groups] of byProject) {
    try {
      // One project's chosen servers together, each group re-planned under its
      // lease (held until it is settled): one batch-maint call per 20 servers.
      const begun = await startDrainsUnderLease(
        groups.map((g) => ({ evaluation: g.evaluation, removals: g.evaluation.decision.remove })),
        owner,
        groups[0]?.services as HeldGroup['services'],
        settingsOf(projectId),
      );
      for (const group of groups) {
        for (const removal of group.evaluation.decision.remove) {
          const report = begun.notDrained.get(removal.serverId);
          if (report !== undefined) lines.record(group.report, report);
        }
        const id = group.evaluation.group.id;
        leases.set(group, begun.leases?.get(id));
        records.set(
          group,
          begun.records.filter((r) => r.groupId === id),
        );
      }
    } catch (error) {
      // The drain table failed: this project drains nothing (records already
      // written are settled by the next sweep's recovery).
      failures.push({ projectId, error });
      for (const group of groups) {
        const detail = `drain table failed: ${error instanceof Error ? error.message : String(error)}`;
        recordAll(lines, group.report, group.evaluation.decision.remove, 'failed', detail);
      }
    }
  }

  const latest = Math.max(...[...records.values()].flat().map((r) => r.drainUntilMs), now);
  const wait = budget.waitUntil(latest);
  if (wait.kind === 'wait' && wait.ms > 0) await first.sleep(wait.ms);

  await forEachConcurrent(pending, concurrency, async (group) => {
    const mine = records.get(group) ?? [];
    if (mine.length === 0) return;
    const settings = settingsOf(group.projectId);
    const result = await settleGroup(
      group.evaluation.group.id,
      mine.map((record) => ({ record })),
      owner,
      group.services,
      settings,
      { held: leases.get(group), ...(wait.kind === 'undo' ? { forceUndo: 'deadline' } : {}) },
    ).catch((error: unknown) => ({ kind: 'error' as const, error }));
    const recordOf = new Map(mine.map((r) => [r.serverId, r]));
    const reports: RemovalReport[] =
      result.kind === 'settled'
        ? result.settled.map(
            (s) =>
              s.report ??
              leftDraining(
                recordOf.get(s.serverId) ?? {
                  serverId: s.serverId,
                  groupId: group.evaluation.group.id,
                },
                s.decision,
                group.services,
                settings,
              ),
          )
        : mine.map((record) =>
            leftDraining(
              record,
              result.kind === 'lease-busy'
                ? `group lease held by ${result.holder ?? 'another actor'}`
                : String(result.error instanceof Error ? result.error.message : result.error),
              group.services,
              settings,
            ),
          );
    for (const report of reports) lines.record(group.report, report);
  });
  return failures;
}
