import type { DrainRecord, Lease, RemovalReport, RemovalSettings } from '../removal/lifecycle.ts';
import {
  budgetOf,
  drainUntil,
  leftDraining,
  settleGroup,
  startDrainsUnderLease,
} from '../removal/lifecycle.ts';
import type { GroupLines } from './group-lines.ts';
import { endAll } from './guard.ts';
import type { HeldGroup } from './held.ts';
import { forEachConcurrent } from './pool.ts';

/**
 * Held groups whose drains start together. The drain start holds a few
 * objects per chosen server until it is done (candidates, records, the
 * maintenance map); for every group of a 10,000-group project at once that
 * was the acting sweep's peak (docs/performance.md, "Memory"). A slice of
 * groups lets the next start from nothing, and its held groups go once
 * started. It costs at most one part-filled batch-maint call per slice.
 */
export const DRAIN_START_GROUPS = 1_000;

/** A group whose drain started: what its settle needs, and no more. */
interface Draining {
  projectId: string;
  services: HeldGroup['services'];
  report: HeldGroup['report'];
  groupId: string;
  records: DrainRecord[];
  lease: Lease | undefined;
}

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
 * each group is settled under its lease: removed, or its drain undone. The
 * drains start `groupsAtOnce` groups of a project at a time. A project
 * whose drain table fails drains nothing more; each of its removals not
 * drained is `failed` and the failure is returned (groups whose drains
 * started before are settled as any other).
 */
export async function drainThenAct(
  pending: (HeldGroup | undefined)[],
  settingsOf: (projectId: string) => RemovalSettings,
  concurrency: number,
  lines: GroupLines,
  owner: string,
  groupsAtOnce = DRAIN_START_GROUPS,
): Promise<DrainStoreFailure[]> {
  const [head] = pending;
  if (head === undefined) return [];
  const first = settingsOf(head.projectId);
  const budget = budgetOf(first);
  const now = first.now();
  const fits = budget.waitUntil(drainUntil(now, first.drainSeconds ?? 0));
  if (fits.kind === 'undo') {
    for (const group of pending) {
      if (group === undefined) continue;
      endAll(
        lines,
        group.report,
        group.evaluation.decision.remove,
        group.end,
        'skipped-deadline',
        'the drain period does not fit in the time the invocation has left',
      );
    }
    return [];
  }

  const failures: DrainStoreFailure[] = [];
  // What a group's settle needs, once its drain started: the evaluation, its
  // servers and sessions are let go (the settle reads the group again under its lease).
  const draining: Draining[] = [];
  const byProject = new Map<string, number[]>();
  pending.forEach((group, i) => {
    if (group === undefined) return;
    const indexes = byProject.get(group.projectId);
    if (indexes === undefined) byProject.set(group.projectId, [i]);
    else indexes.push(i);
  });
  const slices = [...byProject].flatMap(([projectId, indexes]) =>
    Array.from({ length: Math.ceil(indexes.length / groupsAtOnce) }, (_, k) => ({
      projectId,
      indexes: indexes.slice(k * groupsAtOnce, (k + 1) * groupsAtOnce),
    })),
  );
  const failed = new Map<string, string>();
  for (const { projectId, indexes } of slices) {
    const groups = indexes.map((i) => pending[i] as HeldGroup);
    const earlier = failed.get(projectId);
    if (earlier !== undefined) {
      for (const group of groups) {
        endAll(lines, group.report, group.evaluation.decision.remove, group.end, 'failed', earlier);
      }
      for (const i of indexes) pending[i] = undefined;
      continue;
    }
    try {
      // A slice of one project's chosen servers together, each group re-planned
      // under its lease (held until it is settled): one batch-maint call per 20 servers.
      const begun = await startDrainsUnderLease(
        groups.map((g) => ({ evaluation: g.evaluation, removals: g.evaluation.decision.remove })),
        owner,
        groups[0]?.services as HeldGroup['services'],
        settingsOf(projectId),
        { each: (items, worker) => forEachConcurrent(items, 2 * concurrency, worker) },
      );
      const recordsOf = new Map<string, DrainRecord[]>();
      for (const record of begun.records) {
        recordsOf.set(record.groupId, [...(recordsOf.get(record.groupId) ?? []), record]);
      }
      for (const group of groups) {
        for (const removal of group.evaluation.decision.remove) {
          const report = begun.notDrained.get(removal.serverId);
          if (report !== undefined) lines.record(group.report, report);
        }
        const id = group.evaluation.group.id;
        const records = recordsOf.get(id);
        if (records === undefined) continue;
        const { services, report } = group;
        draining.push({
          projectId,
          services,
          report,
          groupId: id,
          records,
          lease: begun.leases?.get(id),
        });
      }
    } catch (error) {
      // The drain table failed: this project drains nothing (records already
      // written are settled by the next sweep's recovery).
      failures.push({ projectId, error });
      const detail = `drain table failed: ${error instanceof Error ? error.message : String(error)}`;
      failed.set(projectId, detail);
      for (const group of groups) {
        endAll(lines, group.report, group.evaluation.decision.remove, group.end, 'failed', detail);
      }
    }
    for (const i of indexes) pending[i] = undefined;
  }

  let latest = now;
  for (const r of draining.flatMap((g) => g.records)) latest = Math.max(latest, r.drainUntilMs);
  const wait = budget.waitUntil(latest);
  if (wait.kind === 'wait' && wait.ms > 0) await first.sleep(wait.ms);

  // Two groups per request slot, as in evaluation (lib/sweep/sweep.ts): a
  // settle spends part of its time in DynamoDB and on CPU between its serial
  // Huawei calls, so with one group a slot the request limiter sat idle.
  await forEachConcurrent(draining, 2 * concurrency, async (group) => {
    const mine = group.records;
    const settings = settingsOf(group.projectId);
    const result = await settleGroup(
      group.groupId,
      mine.map((record) => ({ record })),
      owner,
      group.services,
      settings,
      { held: group.lease, ...(wait.kind === 'undo' ? { forceUndo: 'deadline' } : {}) },
    ).catch((error: unknown) => ({ kind: 'error' as const, error }));
    const recordOf = new Map(mine.map((r) => [r.serverId, r]));
    const reports: RemovalReport[] =
      result.kind === 'settled'
        ? result.settled.map(
            (s) =>
              s.report ??
              leftDraining(
                recordOf.get(s.serverId) ?? { serverId: s.serverId, groupId: group.groupId },
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
