import { describeFailure } from '../../errors.ts';
import type { AppServer } from '../../huawei/schemas.ts';
import { describeReason } from '../../scaling/reasons.ts';
import type { Removal } from '../../scaling/types.ts';
import { endRemoval, removalBase } from '../ending/end-removal.ts';
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
 * The end of a server whose re-check did not say act: a drain is undone or
 * forgotten (maintenance lifted only where ours, record cleared); a planned
 * removal with no drain is skipped with what changed. `wait` and
 * `leave-alone` end nothing (no report).
 */
export async function endWithout(
  target: SettleTarget,
  record: DrainRecord,
  decision: DrainDecision,
  services: RemovalServices,
  settings: RemovalSettings,
  view: GroupView | undefined,
): Promise<Settled> {
  const serverId = record.serverId;
  if (decision.kind === 'wait' || decision.kind === 'leave-alone' || decision.kind === 'act') {
    return { serverId, decision: decision.kind };
  }
  const base = reportOf(target);
  let report: RemovalReport;
  if (target.record === undefined) {
    report = { ...base, ...skipped(decision) };
  } else {
    const lifted = await lift(record, decision.unmaintain, services, settings);
    report =
      decision.kind === 'undo'
        ? {
            ...base,
            outcome: 'drain-undone',
            undoReason: decision.reason,
            detail: `${decision.reason}: ${decision.detail}; ${lifted}`,
          }
        : { ...base, outcome: 'already-removed', detail: `${decision.reason}; ${lifted}` };
  }
  endRemoval(services, settings, view?.record ?? { id: record.groupId }, report);
  return { serverId, decision: decision.kind, report };
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
 * drain's record completed, its maintenance lifted in `remove-member` mode,
 * where the server lives on) or failed (a drain undone: maintenance lifted,
 * record cleared). A write that fails keeps the record for the next run.
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
  view: GroupView | undefined,
): Promise<Settled[]> {
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
  const done = (r: RemovalReport) => r.outcome === 'removed' || r.outcome === 'already-removed';
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
  const settled: Settled[] = [];
  for (const [i, item] of items.entries()) {
    let report = reports[i] as RemovalReport;
    const { record } = item;
    try {
      if (item.target.record !== undefined) {
        const drainedSeconds = Math.round((record.drainUntilMs - record.drainedAtMs) / 1_000);
        if (!done(report)) {
          // The action failed: lift our maintenance rather than hold the server out of service.
          const lifted = await lift(record, true, services, settings);
          report = { ...report, detail: `${report.detail ?? 'failed'}; ${lifted}` };
        } else if (unlift.has(record.serverId)) {
          // The record stays (state acting): the next run lifts and forgets.
          report = { ...report, drainedSeconds, detail: 'maintenance lifted by the next sweep' };
        } else {
          await services.drains?.store.completeDrain(
            settings.projectId,
            record.serverId,
            record.owner,
          );
          report = { ...report, drainedSeconds };
        }
      }
    } catch (error) {
      report = failedReport(reportOf(item.target), error);
    }
    endRemoval(services, settings, view?.record ?? { id: record.groupId }, report);
    settled.push({ serverId: record.serverId, decision: done(report) ? 'act' : 'failed', report });
  }
  return settled;
}

// Lifts our maintenance (when asked) and clears the record; says what it did.
async function lift(
  record: DrainRecord,
  unmaintain: boolean,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<string> {
  if (unmaintain) await services.aps.batchSetMaintenance([record.serverId], false);
  await services.drains?.store.clearDrain(settings.projectId, record.serverId, record.owner);
  return unmaintain ? 'maintenance lifted' : 'maintenance was not ours to lift';
}
