import { describeFailure } from '../../errors.ts';
import type { AppServer } from '../../huawei/schemas.ts';
import { describeReason } from '../../scaling/reasons.ts';
import type { Removal } from '../../scaling/types.ts';
import type { AuditGroup } from '../ending/audit.ts';
import { endRemoval, removalBase } from '../ending/end-removal.ts';
import type { Lease } from '../lease/group-lease.ts';
import type { RemovalReport } from '../outcome.ts';
import type { GroupView } from '../recheck/group-view.ts';
import { chunkForMaintenance, type DrainDecision } from '../recheck/recheck.ts';
import type { DrainRecord } from '../store/drain-store.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';
import type { ServerRemoval } from './remover.ts';

/**
 * One server to settle: a drain record (the server was drained and waited
 * out), or a planned removal (DRAIN_SECONDS=0: no record, no maintenance).
 */
export type SettleTarget =
  | { record: DrainRecord; removal?: undefined }
  | { removal: Removal; record?: undefined };

/** One settled server: its report, or none when nothing of ours was left to do. */
export interface Settled {
  serverId: string;
  decision: DrainDecision['kind'] | 'lease-lost' | 'taken-over' | 'failed' | 'deadline';
  report?: RemovalReport;
}

// How each settled server ends (the two exits of docs/drain-lifecycle.md):
// removed, with the record completed, or undone, with the reason. Each ending
// writes the one audit line of lib/removal/audit.ts.

/** The report fields of a target before its outcome is known. */
export function reportOf(
  target: SettleTarget,
  idleMinutes?: number,
): Omit<RemovalReport, 'outcome'> {
  const { record, removal } = target;
  return removalBase({
    serverId: record?.serverId ?? removal?.serverId ?? '',
    instanceId: record?.instanceId ?? removal?.instanceId,
    machineName: record?.machineName ?? removal?.machineName,
    idleMinutes: idleMinutes ?? removal?.idleMinutes ?? 0,
  });
}

/** A failure as a `failed` report: its message, whether it is transient, its request id. */
export function failedReport(base: Omit<RemovalReport, 'outcome'>, error: unknown): RemovalReport {
  const failure = describeFailure(error);
  return {
    ...base,
    outcome: 'failed',
    detail: failure.message,
    ...(failure.transient ? { retryable: true } : {}),
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
  };
}

/**
 * A settled server whose ending is not yet written: its report (audited by
 * {@link closeDrains}) and, for a drain, its record to complete (the action
 * succeeded) or clear (undone) in the group's one closing write.
 */
export interface Ending extends Settled {
  end?: { record: DrainRecord; complete: boolean };
}

/**
 * The end of a server whose re-check did not say act: a drain is undone or
 * forgotten (maintenance lifted only where ours, the record to clear); a
 * planned removal with no drain is skipped with what changed. `wait` and
 * `leave-alone` end nothing (no report).
 */
export async function endWithout(
  target: SettleTarget,
  record: DrainRecord,
  decision: DrainDecision,
  services: RemovalServices,
): Promise<Ending> {
  const serverId = record.serverId;
  if (decision.kind === 'wait' || decision.kind === 'leave-alone' || decision.kind === 'act') {
    return { serverId, decision: decision.kind };
  }
  const base = reportOf(target);
  if (target.record === undefined) {
    return { serverId, decision: decision.kind, report: { ...base, ...skipped(decision) } };
  }
  const lifted = await lift(record, decision.unmaintain, services);
  const report: RemovalReport =
    decision.kind === 'undo'
      ? {
          ...base,
          outcome: 'drain-undone',
          undoReason: decision.reason,
          detail: `${decision.reason}: ${decision.detail}; ${lifted}`,
        }
      : { ...base, outcome: 'already-removed', detail: `${decision.reason}; ${lifted}` };
  return { serverId, decision: decision.kind, report, end: { record, complete: false } };
}

// A planned removal (no drain) that the re-check stopped: what changed since the plan.
function skipped(
  decision: Extract<DrainDecision, { kind: 'undo' | 'forget' }>,
): Pick<RemovalReport, 'outcome' | 'detail'> {
  if (decision.kind === 'forget') {
    return { outcome: 'already-removed', detail: 'server no longer exists' };
  }
  if (decision.reason === 'not-a-member') {
    return { outcome: 'already-removed', detail: 'no longer a member of the group' };
  }
  const { assessed } = decision;
  if (assessed?.kind === 'busy') {
    return {
      outcome: 'skipped-busy',
      detail: `${assessed.sessionCount} session(s) since evaluation`,
    };
  }
  return {
    outcome: 'skipped-changed',
    detail: assessed === undefined ? decision.detail : `now ${describeReason(assessed)}`,
  };
}

/**
 * The end of the servers the remover was called for, in order: removed (a
 * drain's record to complete, its maintenance lifted in `remove-member`
 * mode, where the server lives on) or failed (a drain undone: maintenance
 * lifted, the record to clear). A lift that fails keeps the record.
 */
export async function finishActed(
  items: readonly {
    target: SettleTarget;
    record: DrainRecord;
    server: AppServer;
    idleMinutes: number;
    result: ServerRemoval | undefined;
  }[],
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<Ending[]> {
  const reports = items.map(({ target, server, idleMinutes, result }) => {
    const base = reportOf(target, target.record === undefined ? undefined : idleMinutes);
    const flavorId = server.product_info?.flavor_id;
    if (result === undefined) return failedReport(base, new Error('no answer from the remover'));
    const { serverId: _, instanceId, ...rest } = result;
    return {
      ...base,
      ...(flavorId === undefined ? {} : { flavorId }),
      instanceId: instanceId ?? base.instanceId,
      ...rest,
    } as RemovalReport;
  });
  // Out of the group the server lives on (remove-member): lift our maintenance in
  // batches, or it would come back in maintenance if someone adds it to a group again.
  const unlift = new Set<string>();
  if (settings.removalMode !== 'release') {
    const ids = items
      .filter((item, i) => item.target.record !== undefined && reports[i]?.outcome === 'removed')
      .map((item) => item.record.serverId);
    for (const chunk of chunkForMaintenance(ids)) {
      await services.aps.batchSetMaintenance(chunk, false).catch((error: unknown) => {
        services.log.error('maintenance not lifted after removal', {
          projectId: settings.projectId,
          serverIds: chunk,
          error: describeFailure(error).message,
        });
        for (const id of chunk) unlift.add(id);
      });
    }
  }
  const endings: Ending[] = [];
  for (const [i, item] of items.entries()) {
    let report = reports[i] as RemovalReport;
    const { record } = item;
    const serverId = record.serverId;
    const decision = done(report) ? ('act' as const) : ('failed' as const);
    if (item.target.record === undefined) {
      endings.push({ serverId, decision, report });
      continue;
    }
    const drainedSeconds = Math.round((record.drainUntilMs - record.drainedAtMs) / 1_000);
    if (!done(report)) {
      try {
        // The action failed: lift our maintenance rather than hold the server out of service.
        const lifted = await lift(record, true, services);
        report = { ...report, detail: `${report.detail ?? 'failed'}; ${lifted}` };
        endings.push({ serverId, decision, report, end: { record, complete: false } });
      } catch (error) {
        endings.push({ serverId, decision, report: failedReport(reportOf(item.target), error) });
      }
    } else if (unlift.has(serverId)) {
      // The record stays (state acting): the next run lifts and forgets.
      report = { ...report, drainedSeconds, detail: 'maintenance lifted by the next sweep' };
      endings.push({ serverId, decision, report });
    } else {
      report = { ...report, drainedSeconds };
      endings.push({ serverId, decision, report, end: { record, complete: true } });
    }
  }
  return endings;
}

/**
 * Writes every ending of one settle: the records of the drains that ended,
 * completed or cleared in one request per group (lib/removal/store/drain-store.ts
 * `endDrains`), then one audit line each. A record the write refused, or a
 * write that failed, turns that ending into `failed` (an ERROR line); the
 * record stays for the next run. With `lease` (the group's, held by this
 * settle, whose last change to the group this is) the same write releases it
 * (`released`; else the caller releases it).
 */
export async function closeDrains(
  endings: readonly Ending[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  view: GroupView | undefined,
  lease?: Lease,
): Promise<{ settled: Settled[]; released: boolean }> {
  const records = endings.flatMap((e) => (e.end === undefined ? [] : [e.end]));
  const errors = new Map<string, unknown>();
  const store = services.drains?.store;
  let released = false;
  if (records.length > 0 && store !== undefined) {
    try {
      const written = await store.endDrains(
        owner,
        {
          completed: records.filter((r) => r.complete).map((r) => r.record),
          cleared: records.filter((r) => !r.complete).map((r) => r.record),
        },
        lease && { lease, now: settings.now() },
      );
      released = written.released;
      for (const conflict of written.conflicts) errors.set(conflict.serverId, conflict);
    } catch (error) {
      for (const { record } of records) errors.set(record.serverId, error);
    }
  }
  const settled = endings.map(({ end, ...ending }) => {
    const error = errors.get(ending.serverId);
    const groupId = end?.record.groupId ?? view?.record?.id ?? '';
    if (error === undefined || ending.report === undefined) {
      if (ending.report !== undefined) {
        endRemoval(services, settings, view?.record ?? { id: groupId }, ending.report);
      }
      return ending;
    }
    return notSettled(
      removalBase(ending.report),
      view?.record ?? { id: groupId },
      error,
      services,
      settings,
    );
  });
  return { settled, released };
}

/**
 * A server whose settle failed (a read or a write): `failed`, one ERROR line
 * with the cause, its audit line; the record stays and the next run's
 * recovery retries it.
 */
export function notSettled(
  base: Omit<RemovalReport, 'outcome'>,
  group: AuditGroup,
  error: unknown,
  services: RemovalServices,
  settings: RemovalSettings,
): Settled {
  const report = failedReport(base, error);
  const failure = describeFailure(error);
  services.log.error('removal could not be settled', {
    projectId: settings.projectId,
    serverGroupId: group.id,
    serverId: base.serverId,
    error: failure.message,
    requestId: failure.requestId,
  });
  endRemoval(services, settings, group, report);
  return { serverId: base.serverId, decision: 'failed', report };
}

const done = (r: RemovalReport) => r.outcome === 'removed' || r.outcome === 'already-removed';

// Lifts our maintenance (when asked; the record is cleared by closeDrains); says what it did.
async function lift(
  record: DrainRecord,
  unmaintain: boolean,
  services: RemovalServices,
): Promise<string> {
  if (unmaintain) await services.aps.batchSetMaintenance([record.serverId], false);
  return unmaintain ? 'maintenance lifted' : 'maintenance was not ours to lift';
}
