import { describeFailure } from '../../errors.ts';
import type { AppServer } from '../../huawei/schemas.ts';
import { endAdmissions } from '../drain/admit.ts';
import { auditDrain } from '../ending/audit.ts';
import { endRemoval } from '../ending/end-removal.ts';
import { releaseGroup, renewGroup, takeGroup } from '../lease/group-hold.ts';
import { LEASE_TTL_MS } from '../lease/group-lease.ts';
import { freshView, type GroupView } from '../recheck/group-view.ts';
import { type DrainDecision, decideDrain, type UndoReason } from '../recheck/recheck.ts';
import type { DrainRecord } from '../store/drain-store.ts';
import { DrainConflictError } from '../store/store-errors.ts';
import { budgetOf } from '../time-budget.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';
import { createEcsGroupResolver } from './ecs-groups.ts';
import {
  endWithout,
  failedReport,
  finishActed,
  reportOf,
  type Settled,
  type SettleTarget,
} from './finish-acted.ts';
import { removeServers } from './remover.ts';

export type { Settled, SettleTarget } from './finish-acted.ts';

export type SettleResult =
  | { kind: 'settled'; settled: Settled[] }
  | { kind: 'lease-busy'; holder: string | undefined };

export interface SettleOptions {
  /** Take over records another owner left (crash recovery). */
  claim?: boolean;
  /** End every drain with this reason instead of checking it (no time left to wait). */
  forceUndo?: UndoReason;
  /** The group as just evaluated, when that read is fresh (DRAIN_SECONDS=0); else read now. */
  view?: GroupView;
}

interface Acting {
  target: SettleTarget;
  record: DrainRecord;
  server: AppServer;
  idleMinutes: number;
}

/**
 * Steps 4–6 of docs/drain-lifecycle.md for one group, under the group's lease
 * when a drain table is configured: re-reads the group (or takes `view`) and
 * each server, runs the one re-check (`decideDrain`), then removes every
 * server that passed in one remover call (release batches them, ≤ 20 per
 * batch-delete) or undoes each that did not (maintenance lifted only where
 * ours, record cleared). Each ending writes one audit line. Returns
 * `lease-busy` without touching anything when another actor holds the group;
 * throws only when the lease or the group's re-read fails.
 */
export async function settleGroup(
  groupId: string,
  targets: readonly SettleTarget[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  options: SettleOptions = {},
): Promise<SettleResult> {
  const drains = services.drains;
  const hold = await takeGroup(groupId, owner, services, settings);
  if (!hold.held) return { kind: 'lease-busy', holder: hold.holder };
  let lease = hold.lease;
  // Renews the lease before each step; false once another actor holds the group.
  const stillHeld = async (): Promise<boolean> => {
    if (lease === undefined) return true;
    lease = await renewGroup(lease, services, settings);
    return lease !== undefined;
  };
  try {
    const view =
      options.forceUndo !== undefined
        ? undefined
        : (options.view ?? (await freshView(groupId, services, settings)));
    const settled: Settled[] = [];
    const acting: Acting[] = [];
    for (const target of targets) {
      const serverId = target.record?.serverId ?? target.removal?.serverId ?? '';
      if (!(await stillHeld())) {
        settled.push({ serverId, decision: 'lease-lost' });
        continue;
      }
      if (target.removal !== undefined && !budgetOf(settings).hasTime()) {
        const report = endRemoval(services, settings, view?.record ?? { id: groupId }, {
          ...reportOf(target),
          outcome: 'skipped-deadline',
          detail: 'the invocation ran out of time',
        });
        settled.push({ serverId, decision: 'deadline', report });
        continue;
      }
      const record = await ownRecord(target, groupId, owner, services, settings, options.claim);
      if (record === undefined) {
        settled.push({ serverId, decision: 'taken-over' });
        continue;
      }
      try {
        const server = await services.aps.getServer(serverId);
        const decision = decide(target, record, server, view, options.forceUndo, settings);
        if (decision.kind === 'act' && server !== undefined) {
          if (target.record !== undefined && record.state === 'draining') {
            await drains?.store.markActing(settings.projectId, serverId, record.owner);
          }
          acting.push({ target, record, server, idleMinutes: decision.idleMinutes });
          continue;
        }
        settled.push(await endWithout(target, record, decision, services, settings, view));
      } catch (error) {
        settled.push(failed(target, record, error, services, settings));
      }
    }
    if (acting.length > 0 && (await stillHeld())) {
      settled.push(...(await act(groupId, acting, services, settings, view)));
    } else {
      for (const a of acting) settled.push({ serverId: a.server.id, decision: 'lease-lost' });
    }
    const order = new Map(targets.map((t, i) => [t.record?.serverId ?? t.removal?.serverId, i]));
    settled.sort((a, b) => (order.get(a.serverId) ?? 0) - (order.get(b.serverId) ?? 0));
    // Each ended removal ends its budget admission, in one ledger write (lib/removal/drain/admit.ts).
    const ends = settled.flatMap((s) =>
      s.report ? [[s.serverId, s.report.outcome] as const] : [],
    );
    await endAdmissions(new Map(ends), services, settings);
    return { kind: 'settled', settled };
  } finally {
    await releaseGroup(lease, services, settings);
  }
}

// The target's record as ours: a planned removal stands as a record of its own
// (no drain), another owner's record is claimed when asked, else undefined.
async function ownRecord(
  target: SettleTarget,
  groupId: string,
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  claim = false,
): Promise<DrainRecord | undefined> {
  if (target.record === undefined) {
    const now = settings.now();
    const { removal } = target;
    return {
      projectId: settings.projectId,
      serverId: removal.serverId,
      groupId,
      owner,
      state: 'draining',
      drainedAtMs: now,
      drainUntilMs: now,
      ...(removal.instanceId ? { instanceId: removal.instanceId } : {}),
      ...(removal.machineName ? { machineName: removal.machineName } : {}),
    };
  }
  const record = target.record;
  if (record.owner === owner) return record;
  const store = services.drains?.store;
  if (!claim || store === undefined) return undefined;
  try {
    const now = settings.now();
    const claimed = await store.claimDrain(settings.projectId, record.serverId, {
      fromOwner: record.owner,
      toOwner: owner,
      now,
      ownerUntilMs: now + LEASE_TTL_MS,
    });
    auditDrain(services, settings, 'drain taken over', {
      serverId: record.serverId,
      from: record.owner,
      owner,
    });
    return claimed;
  } catch (error) {
    if (error instanceof DrainConflictError) return undefined;
    throw error;
  }
}

function decide(
  target: SettleTarget,
  record: DrainRecord,
  server: AppServer | undefined,
  view: GroupView | undefined,
  forceUndo: UndoReason | undefined,
  settings: RemovalSettings,
): DrainDecision {
  if (view === undefined || forceUndo !== undefined) {
    return {
      kind: 'undo',
      serverId: record.serverId,
      reason: forceUndo ?? 'deadline',
      detail: 'the invocation has no time left to wait out the drain',
      unmaintain: server?.maintain_status === true && server.server_group_id === record.groupId,
    };
  }
  return decideDrain({
    record,
    server,
    sessions: server === undefined ? { error: 'server gone' } : view.sessionsOf(server),
    group: view.group,
    now: settings.now(),
    drained: target.record !== undefined,
  });
}

// Every server that passed its re-check, removed in one remover call: release
// mode then batch-deletes up to 20 a call, remove-member takes one after another.
async function act(
  groupId: string,
  acting: readonly Acting[],
  services: RemovalServices,
  settings: RemovalSettings,
  view: GroupView | undefined,
): Promise<Settled[]> {
  const results = await removeServers(
    acting.map((a) => a.server),
    {
      ...services,
      // Without the invocation's shared resolver, this group looks ECS up on its own.
      ecsGroupsOf: services.ecsGroupsOf ?? createEcsGroupResolver(services.ecs),
      projectId: settings.projectId,
      serverGroupId: groupId,
      removalMode: settings.removalMode,
      now: settings.now,
      sleep: settings.sleep,
      deadlineAt: settings.deadlineAt,
    },
  );
  return finishActed(
    acting.map((a, i) => ({ ...a, result: results[i] })),
    services,
    settings,
    view,
  );
}

function failed(
  target: SettleTarget,
  record: DrainRecord,
  error: unknown,
  services: RemovalServices,
  settings: RemovalSettings,
): Settled {
  // The record stays (a failed read or write): the next run's recovery retries it.
  const report = failedReport(reportOf(target), error);
  const failure = describeFailure(error);
  services.log.error('removal could not be settled', {
    projectId: settings.projectId,
    serverGroupId: record.groupId,
    serverId: record.serverId,
    error: failure.message,
    requestId: failure.requestId,
  });
  endRemoval(services, settings, { id: record.groupId }, report);
  return { serverId: record.serverId, decision: 'failed', report };
}
