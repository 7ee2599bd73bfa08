import type { AppServer } from '../../huawei/schemas.ts';
import { endAdmissions } from '../drain/admit.ts';
import { auditDrain } from '../ending/audit.ts';
import { endRemoval } from '../ending/end-removal.ts';
import { releaseGroup, renewGroup, takeGroup } from '../lease/group-hold.ts';
import { LEASE_TTL_MS, type Lease } from '../lease/group-lease.ts';
import { freshView, type GroupView } from '../recheck/group-view.ts';
import { type DrainDecision, decideDrain, type UndoReason } from '../recheck/recheck.ts';
import type { DrainRecord } from '../store/drain-store.ts';
import { budgetOf } from '../time-budget.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';
import { createEcsGroupResolver } from './ecs-groups.ts';
import {
  closeDrains,
  type Ending,
  endWithout,
  finishActed,
  notSettled,
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
  /** The group's lease, held since the drain start (lib/removal/drain/leased-start.ts): not taken again. */
  held?: Lease | undefined;
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
  // A lease held since the drain start is used while it has half a period left; else taken again.
  const held = options.held;
  const hold =
    held !== undefined && held.expiresAtMs - settings.now() > LEASE_TTL_MS / 2
      ? { held: true as const, lease: held }
      : await takeGroup(groupId, owner, services, settings);
  if (!hold.held) return { kind: 'lease-busy', holder: hold.holder };
  let lease = hold.lease;
  // Before each step: false once another actor may hold the group. The lease is
  // renewed only when half of it is spent, so a settle costs no request a server.
  const stillHeld = async (): Promise<boolean> => {
    if (lease === undefined) return true;
    if (lease.expiresAtMs - settings.now() > LEASE_TTL_MS / 2) return true;
    lease = await renewGroup(lease, services, settings);
    return lease !== undefined;
  };
  try {
    const view =
      options.forceUndo !== undefined
        ? undefined
        : (options.view ?? (await freshView(groupId, services, settings)));
    const records = await ownRecords(targets, groupId, owner, services, settings, options.claim);
    const settled: Settled[] = [];
    const acting: Acting[] = [];
    const ends: Ending[] = [];
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
      const record = records.get(serverId);
      if (record === undefined) {
        settled.push({ serverId, decision: 'taken-over' });
        continue;
      }
      try {
        const server = await services.aps.getServer(serverId);
        const decision = decide(target, record, server, view, options.forceUndo, settings);
        if (decision.kind === 'act' && server !== undefined) {
          acting.push({ target, record, server, idleMinutes: decision.idleMinutes });
          continue;
        }
        const ending = await endWithout(target, record, decision, services);
        if (ending.report === undefined) settled.push(ending);
        else ends.push(ending);
      } catch (error) {
        settled.push(failed(target, record, error, services, settings));
      }
    }
    if (acting.length > 0 && (await stillHeld())) {
      const marked = await markActing(acting, owner, services, settings);
      settled.push(...marked.failed);
      ends.push(...(await act(groupId, marked.acting, services, settings)));
    } else {
      for (const a of acting) settled.push({ serverId: a.server.id, decision: 'lease-lost' });
    }
    // The last change to the group: its write releases the lease too (one request).
    const closed = await closeDrains(ends, owner, services, settings, view, lease);
    if (closed.released) lease = undefined;
    settled.push(...closed.settled);
    const order = new Map(targets.map((t, i) => [t.record?.serverId ?? t.removal?.serverId, i]));
    settled.sort((a, b) => (order.get(a.serverId) ?? 0) - (order.get(b.serverId) ?? 0));
    // Each ended removal ends its budget admission, in one ledger write (lib/removal/drain/admit.ts).
    const admissions = settled.flatMap((s) =>
      s.report ? [[s.serverId, s.report.outcome] as const] : [],
    );
    await endAdmissions(new Map(admissions), services, settings);
    return { kind: 'settled', settled };
  } finally {
    await releaseGroup(lease, services, settings);
  }
}

// Each target's record as ours, by server id: a planned removal stands as a
// record of its own (no drain); another owner's records are claimed, all in
// one write, when asked; a record neither ours nor claimed is left out.
async function ownRecords(
  targets: readonly SettleTarget[],
  groupId: string,
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  claim = false,
): Promise<Map<string, DrainRecord>> {
  const now = settings.now();
  const records = new Map<string, DrainRecord>();
  const others: DrainRecord[] = [];
  for (const { record, removal } of targets) {
    if (record === undefined) {
      records.set(removal.serverId, {
        projectId: settings.projectId,
        serverId: removal.serverId,
        groupId,
        owner,
        state: 'draining',
        drainedAtMs: now,
        drainUntilMs: now,
        ...(removal.instanceId ? { instanceId: removal.instanceId } : {}),
        ...(removal.machineName ? { machineName: removal.machineName } : {}),
      });
    } else if (record.owner === owner) records.set(record.serverId, record);
    else others.push(record);
  }
  const store = services.drains?.store;
  if (!claim || store === undefined || others.length === 0) return records;
  const claimed = await store.claimDrains(others, {
    toOwner: owner,
    now,
    ownerUntilMs: now + LEASE_TTL_MS,
  });
  const from = new Map(others.map((r) => [r.serverId, r.owner]));
  for (const record of claimed.records) {
    records.set(record.serverId, record);
    auditDrain(services, settings, 'drain taken over', {
      serverId: record.serverId,
      from: from.get(record.serverId),
      owner,
    });
  }
  return records;
}

// `draining` → `acting` for the drained servers about to be removed, in one
// write: a server whose record is no longer ours in that state is not removed.
async function markActing(
  acting: readonly Acting[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<{ acting: Acting[]; failed: Settled[] }> {
  const drained = acting.filter(
    (a) => a.target.record !== undefined && a.record.state === 'draining',
  );
  const store = services.drains?.store;
  if (drained.length === 0 || store === undefined) return { acting: [...acting], failed: [] };
  try {
    const { conflicts } = await store.markActing(
      drained.map((a) => a.record),
      owner,
    );
    const refused = new Map(conflicts.map((c) => [c.serverId, c]));
    return {
      acting: acting.filter((a) => !refused.has(a.server.id)),
      failed: acting
        .filter((a) => refused.has(a.server.id))
        .map((a) => failed(a.target, a.record, refused.get(a.server.id), services, settings)),
    };
  } catch (error) {
    return {
      acting: [],
      failed: acting.map((a) => failed(a.target, a.record, error, services, settings)),
    };
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
): Promise<Ending[]> {
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
  );
}

function failed(
  target: SettleTarget,
  record: DrainRecord,
  error: unknown,
  services: RemovalServices,
  settings: RemovalSettings,
): Settled {
  return notSettled(reportOf(target), { id: record.groupId }, error, services, settings);
}
