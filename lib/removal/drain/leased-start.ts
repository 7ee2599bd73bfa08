import { describeFailure } from '../../errors.ts';
import type { Removal } from '../../scaling/types.ts';
import { endRemoval, removalReport } from '../ending/end-removal.ts';
import { releaseGroup, takeGroup } from '../lease/group-hold.ts';
import { groupLeaseKey, LEASE_TTL_MS, type Lease, leaseHeldBy } from '../lease/group-lease.ts';
import { planStillGood, stillGoodBounds } from '../lease/plan-still-good.ts';
import type { RemovalReport } from '../outcome.ts';
import { fetchAndEvaluate } from '../plan/plan-group.ts';
import type { DrainRecord } from '../store/drain-store.ts';
import type { GroupEvaluation, RemovalServices, RemovalSettings } from '../types.ts';
import {
  type BegunDrains,
  beginDrains,
  type DrainCandidate,
  type RecordGroup,
} from './begin-drains.ts';

/** One group's planned removals, as planned before its lease was taken. */
export interface PlannedGroup {
  evaluation: Pick<GroupEvaluation, 'group' | 'servers' | 'listed'>;
  removals: readonly Removal[];
}

/** What a drain start under the leases gave: records written, reports of the rest. */
export interface StartedDrains {
  records: DrainRecord[];
  notDrained: Map<string, RemovalReport>;
  /** The lease of each group with a drain, held for its settle (`settleGroup`'s `held`). */
  leases?: Map<string, Lease>;
}

/**
 * How long a drain start holds its group: the drain period, then one lease
 * period for the settle (which renews it), so an overlapping actor or
 * recovery meets a held group for the whole drain, never a free one.
 */
export function drainHoldMs(drainSeconds: number): number {
  return drainSeconds * 1_000 + LEASE_TTL_MS;
}

/**
 * Steps 1–2 of docs/drain-lifecycle.md for groups planned without their
 * lease (the inline sweep). First every group with a listing time takes the
 * fast path: its planned servers pass eligibility and budgets
 * (`beginDrains`), then ONE conditional write per group takes its lease for
 * {@link drainHoldMs} and writes its records together, only when no actor
 * held the group after the plan's listing began (`stillGoodBounds`, the
 * `planStillGood` test in the write's condition) and the group holds no
 * record; a group nothing is admitted for takes no lease at all. A group
 * whose write is refused drained nothing (its admissions ended) and takes
 * the path every group took before: its lease is taken (the item as it was
 * comes back); when another actor held the group after the listing began,
 * the group is read and planned again under it and only servers both plans
 * chose are drained; then eligibility, budgets and the record write. So a
 * plan made before another actor drained the group never drains it below
 * its floor, and correctness never rests on the fast path. A group held by
 * another actor drains nothing (`skipped-changed`). The lease of a group
 * with a drain stays held for its settle; every other is released. Throws
 * when the drain table fails (every lease released).
 */
export async function startDrainsUnderLease(
  groups: readonly PlannedGroup[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  options: {
    /** Runs the re-plan of each group; the caller's pool bounds how many are read at once. */
    each?: <T>(items: readonly T[], worker: (item: T) => Promise<void>) => Promise<void>;
  } = {},
): Promise<StartedDrains> {
  const drains = services.drains;
  if (drains === undefined) throw new Error('draining needs DRAIN_TABLE_NAME');
  const leases = new Map<string, Lease | undefined>();
  const listedAt = new Map(groups.map((g) => [g.evaluation.group.id, g.evaluation.listed?.atMs]));
  const ttl = drainHoldMs(settings.drainSeconds ?? 0);
  const takeWithRecords: RecordGroup = async (list) => {
    const [first] = list;
    const listed = first && listedAt.get(first.groupId);
    if (first === undefined || listed === undefined) return undefined;
    const now = settings.now();
    const taken = await drains.store.takeAndRecord(list, {
      owner,
      expiresAtMs: now + ttl,
      ...stillGoodBounds(listed, now),
    });
    if (taken === undefined) return undefined;
    const groupKey = groupLeaseKey(settings.projectId, first.groupId);
    leases.set(first.groupId, { groupKey, owner, expiresAtMs: now + ttl, fence: taken.fence });
    return { records: taken.records, conflicts: [] };
  };
  let fast: BegunDrains | undefined;
  let slow: StartedDrains | undefined;
  try {
    const known = groups.filter((g) => g.evaluation.listed?.atMs !== undefined);
    const candidates = known.flatMap((g) => candidatesOf(g.evaluation, g.removals));
    fast = await beginDrains(candidates, owner, services, settings, { record: takeWithRecords });
    const refused = new Set(fast.refused.map((c) => c.groupId));
    const rest = groups.filter(
      (g) => g.evaluation.listed?.atMs === undefined || refused.has(g.evaluation.group.id),
    );
    slow = await startUnderTakenLeases(rest, owner, services, settings, leases, options.each);
    for (const [id, report] of slow.notDrained) fast.notDrained.set(id, report);
    const records = [...fast.records, ...slow.records];
    const held = new Set(records.map((r) => r.groupId));
    const kept = [...leases].filter(([groupId]) => held.has(groupId));
    return {
      records,
      notDrained: fast.notDrained,
      leases: new Map(kept.flatMap(([id, l]) => (l ? [[id, l]] : []))),
    };
  } finally {
    const held = new Set(
      [...(fast?.records ?? []), ...(slow?.records ?? [])].map((r) => r.groupId),
    );
    await Promise.all(
      [...leases]
        .filter(([groupId]) => !held.has(groupId))
        .map(([, lease]) => releaseGroup(lease, services, settings)),
    );
  }
}

// The groups the fast path did not start, as every group started before it:
// the lease taken (into `leases`), the group planned again when another actor
// held it after the listing began, then `beginDrains` with today's record write.
async function startUnderTakenLeases(
  groups: readonly PlannedGroup[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  leases: Map<string, Lease | undefined>,
  each: <T>(items: readonly T[], worker: (item: T) => Promise<void>) => Promise<void> = async (
    items,
    worker,
  ) => void (await Promise.all(items.map(worker))),
): Promise<StartedDrains> {
  const notDrained = new Map<string, RemovalReport>();
  if (groups.length === 0) return { records: [], notDrained };
  const notAll = (group: PlannedGroup, outcome: RemovalReport['outcome'], detail: string) => {
    for (const r of group.removals) {
      const report = removalReport(r, outcome, detail);
      notDrained.set(r.serverId, endRemoval(services, settings, group.evaluation.group, report));
    }
  };
  const replanned: DrainCandidate[] = [];
  await each(groups, async (planned) => {
    const groupId = planned.evaluation.group.id;
    try {
      const ttl = drainHoldMs(settings.drainSeconds ?? 0);
      const hold = await takeGroup(groupId, owner, services, settings, ttl);
      if (!hold.held) {
        notAll(planned, 'skipped-changed', leaseHeldBy(hold.holder));
        return;
      }
      leases.set(groupId, hold.lease);
      if (planStillGood(hold, planned.evaluation.listed?.atMs, settings.now())) {
        // The plan as made: nobody acted on the group since its listing began.
        replanned.push(...candidatesOf(planned.evaluation, planned.removals));
        return;
      }
      replanned.push(...(await replan(planned, services, settings, notDrained)));
    } catch (error) {
      notAll(planned, 'failed', `group re-read failed: ${describeFailure(error).message}`);
    }
  });
  const started = await beginDrains(replanned, owner, services, settings);
  for (const [id, report] of notDrained) started.notDrained.set(id, report);
  return started;
}

/**
 * Each planned removal of an evaluation as a drain candidate, with the
 * server as listed when it was kept and the group's member count as listed
 * (`listed.members`: a held evaluation keeps only its chosen servers).
 */
export function candidatesOf(
  evaluation: Pick<GroupEvaluation, 'group' | 'servers' | 'listed'>,
  removals: readonly Removal[],
): (DrainCandidate & {
  server: (typeof evaluation.servers)[number] | undefined;
  groupMembers: number;
})[] {
  const listed = new Map(evaluation.servers.map((s) => [s.id, s]));
  return removals.map((removal) => ({
    groupId: evaluation.group.id,
    group: evaluation.group,
    removal,
    server: listed.get(removal.serverId),
    groupMembers: evaluation.listed?.members ?? evaluation.servers.length,
  }));
}

// The group read and evaluated again under its lease: the planned removals
// the fresh plan still makes, as it makes them; the others are not drained.
async function replan(
  planned: PlannedGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  notDrained: Map<string, RemovalReport>,
): Promise<DrainCandidate[]> {
  const groupId = planned.evaluation.group.id;
  const group = await services.aps.getServerGroup(groupId);
  const fresh = group === undefined ? undefined : await fetchAndEvaluate(group, services, settings);
  const now = new Map(
    fresh?.decision.kind === 'scale-in' ? fresh.decision.remove.map((r) => [r.serverId, r]) : [],
  );
  const servers = new Map(fresh?.servers.map((s) => [s.id, s]) ?? []);
  const candidates: DrainCandidate[] = [];
  for (const removal of planned.removals) {
    const again = now.get(removal.serverId);
    if (again === undefined) {
      const detail = 'no longer planned when the group was read again under its lease';
      const report = removalReport(removal, 'skipped-changed', detail);
      notDrained.set(removal.serverId, endRemoval(services, settings, { id: groupId }, report));
      continue;
    }
    // Only what eligibility, budgets and the audit lines read: the fresh lists are let go.
    const server = servers.get(again.serverId);
    candidates.push({
      groupId,
      group: group && { id: group.id, scaling_policy: group.scaling_policy },
      removal: again,
      server: server && { metadata: server.metadata },
      groupMembers: servers.size,
    });
  }
  return candidates;
}
