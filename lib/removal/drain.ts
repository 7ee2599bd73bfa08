import type { DrainRecord, DrainStore } from './drain-store.ts';
import { DrainConflictError, LeaseLostError } from './store-errors.ts';
import { type GroupLease, groupLeaseKey, type Lease } from './group-lease.ts';
import { chunkForMaintenance, type UndoReason } from './recheck.ts';
import { drainUntil } from './drain-settings.ts';
import type { AppServer } from '../huawei/schemas.ts';
import { indexSessionsByMachine } from '../scaling/idle.ts';
import type { Removal } from '../scaling/types.ts';
import {
  audit,
  type FreshView,
  reportOf,
  type Settled,
  servicesOf,
  settleOne,
} from './settle.ts';
import {
  describeFailure,
  fetchAndEvaluate,
  type PipelineServices,
  type PipelineSettings,
} from './fetch.ts';
import { releaseRefusal } from './remover.ts';
import type { RemovalReport } from '../sweep/report.ts';

export type { Settled } from './settle.ts';

/** Where drains are kept and groups are leased (lib/drain/). */
export interface DrainServices {
  store: Pick<
    DrainStore,
    | 'recordDrain'
    | 'getDrain'
    | 'listDrains'
    | 'markActing'
    | 'claimDrain'
    | 'completeDrain'
    | 'clearDrain'
  >;
  lease: Pick<GroupLease, 'acquireLease' | 'renewLease' | 'releaseLease'>;
}

/**
 * How long one actor holds a group: longer than its slowest act step (a
 * re-read and a removal, each bounded by HTTP_TIMEOUT_MS and retries) plus
 * the clock skew between invocations; renewed before every server.
 */
export const LEASE_TTL_MS = 120_000;

/** One chosen server to drain, with the group it was chosen from. */
export interface DrainCandidate {
  groupId: string;
  removal: Removal;
  /** The server as the evaluation listed it, when kept: lets a removal that could only be refused skip the drain. */
  server?: AppServer | undefined;
}

/**
 * Steps 1–2 of docs/drain-lifecycle.md for one project's chosen servers:
 * writes each record first (conditional), then asks for maintenance in
 * chunks of at most 20. A server another actor already drains is reported
 * `skipped-changed`; a failed record write `failed`. A failed `batch-maint`
 * keeps the records: the drain check finds maintenance not set and undoes.
 * @returns the records written, and the reports of candidates not drained.
 */
export async function beginDrains(
  candidates: readonly DrainCandidate[],
  owner: string,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<{ records: DrainRecord[]; notDrained: Map<string, RemovalReport> }> {
  const drains = servicesOf(services);
  const records: DrainRecord[] = [];
  const notDrained = new Map<string, RemovalReport>();
  for (const { groupId, removal, server } of candidates) {
    const now = settings.now();
    const base = {
      serverId: removal.serverId,
      instanceId: removal.instanceId,
      machineName: removal.machineName,
      idleMinutes: Math.floor(removal.idleMinutes),
    };
    // A server the remover could only refuse is never drained: it would refuse
    // new sessions for the drain period on every sweep for nothing.
    const refusal =
      settings.removalMode === 'release' && server !== undefined
        ? releaseRefusal(server)
        : undefined;
    if (refusal !== undefined) {
      notDrained.set(removal.serverId, { ...base, ...refusal });
      continue;
    }
    if (await inNoEcsGroup(removal, services, settings)) {
      notDrained.set(removal.serverId, {
        ...base,
        outcome: 'not-in-ecs-group',
        detail: 'the instance is in no ECS server group: nothing to remove it from, not drained',
      });
      continue;
    }
    try {
      records.push(
        await drains.store.recordDrain({
          projectId: settings.projectId,
          serverId: removal.serverId,
          groupId,
          ...(removal.instanceId ? { instanceId: removal.instanceId } : {}),
          ...(removal.machineName ? { machineName: removal.machineName } : {}),
          owner,
          drainedAtMs: now,
          drainUntilMs: drainUntil(now, settings.drainSeconds ?? 0),
        }),
      );
    } catch (error) {
      const conflict = error instanceof DrainConflictError;
      notDrained.set(removal.serverId, {
        ...base,
        outcome: conflict ? 'skipped-changed' : 'failed',
        detail: conflict
          ? `already drained by ${error.currentOwner ?? 'another actor'}`
          : describeFailure(error).message,
      });
    }
  }
  for (const chunk of chunkForMaintenance(records.map((r) => r.serverId))) {
    try {
      const { requestId } = await services.aps.batchSetMaintenance(chunk, true);
      audit(services, settings, 'drain started', { serverIds: chunk, owner, requestId });
    } catch (error) {
      // The records stay: the drain check sees maintenance not set and ends each drain.
      const failure = describeFailure(error);
      services.log.error('maintenance could not be set', {
        projectId: settings.projectId,
        serverIds: chunk,
        error: failure.message,
        requestId: failure.requestId,
      });
    }
  }
  return { records, notDrained };
}

export type SettleResult =
  | { kind: 'settled'; settled: Settled[] }
  | { kind: 'lease-busy'; holder: string | undefined };

/**
 * Steps 4–6 for one group's drains, holding the group's lease: re-reads the
 * group (policy, members in service, the session listing) and each server,
 * runs `decideDrain`, then acts (`markActing` → remover → `completeDrain`)
 * or undoes (maintenance lifted only where `unmaintain`, then `clearDrain`).
 * `claim`: take over records another owner left (crash recovery).
 * `forceUndo`: end every drain with this reason instead (the deadline).
 * Returns `lease-busy` without touching anything when another actor holds the group.
 */
export async function settleGroup(
  groupId: string,
  records: readonly DrainRecord[],
  owner: string,
  services: PipelineServices,
  settings: PipelineSettings,
  options: { claim?: boolean; forceUndo?: UndoReason } = {},
): Promise<SettleResult> {
  const drains = servicesOf(services);
  const key = groupLeaseKey(settings.projectId, groupId);
  const taken = await drains.lease.acquireLease(key, owner, LEASE_TTL_MS, settings.now());
  if (!taken.acquired) return { kind: 'lease-busy', holder: taken.holder };
  let lease: Lease = taken.lease;
  try {
    const view = options.forceUndo ? undefined : await freshView(groupId, services, settings);
    const settled: Settled[] = [];
    for (const original of records) {
      try {
        lease = await drains.lease.renewLease(lease, LEASE_TTL_MS, settings.now());
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        settled.push({ serverId: original.serverId, decision: 'lease-lost' });
        continue;
      }
      let record = original;
      if (record.owner !== owner) {
        if (!options.claim) {
          settled.push({ serverId: record.serverId, decision: 'taken-over' });
          continue;
        }
        try {
          record = await drains.store.claimDrain(
            settings.projectId,
            record.serverId,
            record.owner,
            owner,
          );
          audit(services, settings, 'drain taken over', {
            serverId: record.serverId,
            from: original.owner,
            owner,
          });
        } catch (error) {
          if (!(error instanceof DrainConflictError)) throw error;
          settled.push({ serverId: record.serverId, decision: 'taken-over' });
          continue;
        }
      }
      try {
        settled.push(await settleOne(record, view, options.forceUndo, services, settings));
      } catch (error) {
        // The record stays (a failed write or batch-maint): the next sweep's recovery retries.
        const failure = describeFailure(error);
        services.log.error('drain could not be settled', {
          audit: 'drain',
          projectId: settings.projectId,
          serverGroupId: groupId,
          serverId: record.serverId,
          error: failure.message,
          requestId: failure.requestId,
        });
        const report = { ...reportOf(record), outcome: 'failed' as const, detail: failure.message };
        settled.push({ serverId: record.serverId, decision: 'failed', report });
      }
    }
    return { kind: 'settled', settled };
  } finally {
    await drains.lease.releaseLease(lease).catch(() => false);
  }
}

// The group as it is now: its policy, members in service, the session listing.
async function freshView(
  groupId: string,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<FreshView> {
  const group = await services.aps.getServerGroup(groupId);
  const base = {
    groupId,
    protectTagKey: settings.limits.protectTagKey,
    minServersPerGroup: settings.limits.minServersPerGroup,
  };
  if (group === undefined) {
    return {
      group: { ...base, scaleInAllowed: false, idleThresholdMinutes: 0, inService: 0 },
      sessions: undefined,
      error: 'the group no longer exists',
    };
  }
  const evaluation = await fetchAndEvaluate(group, services, settings);
  const { decision } = evaluation;
  const threshold =
    group.scaling_policy?.scaling_policy_by_session?.shrink_after_session_idle_minutes;
  const skipped = decision.kind === 'skip' && decision.reason !== 'incomplete-data';
  return {
    group: {
      ...base,
      scaleInAllowed: !skipped && threshold !== undefined,
      idleThresholdMinutes: threshold ?? 0,
      inService: decision.inService,
    },
    sessions:
      evaluation.sessions === undefined ? undefined : indexSessionsByMachine(evaluation.sessions),
    error: evaluation.error?.message,
  };
}

/**
 * True when `remove-member` could only answer `not-in-ecs-group` for this
 * server: it is then never drained, or it would refuse new sessions for the
 * drain period on every sweep for nothing. Unknown (a failed listing) is false:
 * the remover reports that failure after the drain.
 */
async function inNoEcsGroup(
  removal: Removal,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<boolean> {
  if (settings.removalMode !== 'remove-member' || services.ecsGroupsOf === undefined) return false;
  if (removal.instanceId === undefined || removal.instanceId === '') return false;
  const groups = await services.ecsGroupsOf(removal.instanceId).catch(() => undefined);
  return groups !== undefined && groups.length === 0;
}
