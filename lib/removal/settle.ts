import type { DrainRecord } from './drain-store.ts';
import {
  type DrainDecision,
  type DrainGroupView,
  decideDrain,
  type UndoReason,
} from './recheck.ts';
import type { SessionInfo } from '../huawei/schemas.ts';
import { sessionsOfMachine } from '../scaling/idle.ts';
import type { DrainServices } from './drain.ts';
import {
  describeFailure,
  type PipelineServices,
  type PipelineSettings,
  runRemover,
} from './fetch.ts';
import type { RemovalReport } from '../sweep/report.ts';

// One drain's check and its consequence (steps 4–6 of docs/drain-lifecycle.md),
// run by lib/sweep/drain.ts while it holds the group's lease.

export function servicesOf(services: PipelineServices): DrainServices {
  if (services.drains === undefined) throw new Error('draining needs DRAIN_TABLE_NAME');
  return services.drains;
}

export function reportOf(record: DrainRecord, idleMinutes = 0): Omit<RemovalReport, 'outcome'> {
  return {
    serverId: record.serverId,
    instanceId: record.instanceId,
    machineName: record.machineName,
    idleMinutes: Math.floor(idleMinutes),
  };
}

export function audit(
  services: PipelineServices,
  settings: PipelineSettings,
  message: string,
  fields: Record<string, unknown>,
): void {
  services.log.info(message, { audit: 'drain', projectId: settings.projectId, ...fields });
}

/** One settled drain: its report, or `undefined` when nothing of ours was left to do. */
export interface Settled {
  serverId: string;
  decision: DrainDecision['kind'] | 'lease-lost' | 'taken-over' | 'failed';
  report?: RemovalReport;
}

/** The group as the drain check reads it, fresh. */
export interface FreshView {
  group: DrainGroupView;
  sessions: Map<string, readonly SessionInfo[]> | undefined;
  error: string | undefined;
}

/** Checks one drain and acts or undoes; throws when a write or call fails (the record stays). */
export async function settleOne(
  record: DrainRecord,
  view: FreshView | undefined,
  forceUndo: UndoReason | undefined,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<Settled> {
  const { store } = servicesOf(services);
  const server = await services.aps.getServer(record.serverId);
  const now = settings.now();
  const decision: DrainDecision =
    view === undefined || forceUndo !== undefined
      ? {
          kind: 'undo',
          serverId: record.serverId,
          reason: forceUndo ?? 'deadline',
          detail: 'the invocation has no time left to wait out the drain',
          unmaintain: server?.maintain_status === true && server.server_group_id === record.groupId,
        }
      : decideDrain({
          record,
          server,
          sessions:
            view.sessions === undefined
              ? { error: view.error ?? 'sessions unknown' }
              : sessionsOfMachine(view.sessions, server?.machine_name ?? record.machineName),
          group: view.group,
          now,
        });
  const base = reportOf(record, decision.kind === 'act' ? decision.idleMinutes : 0);
  const logged = (report: RemovalReport): Settled => {
    audit(services, settings, `drain ${decision.kind}`, {
      serverGroupId: record.groupId,
      serverId: record.serverId,
      owner: record.owner,
      decision: decision.kind,
      ...(decision.kind === 'undo' ? { reason: decision.reason, detail: decision.detail } : {}),
      outcome: report.outcome,
      detail: report.detail,
      requestId: report.requestId,
    });
    return { serverId: record.serverId, decision: decision.kind, report };
  };
  const drainedSeconds = Math.round((record.drainUntilMs - record.drainedAtMs) / 1_000);
  switch (decision.kind) {
    case 'act': {
      if (record.state === 'draining') {
        await store.markActing(settings.projectId, record.serverId, record.owner);
      }
      // An `act` decision is only made on a server that was read just now.
      const report = await (server === undefined
        ? Promise.reject(new Error('server vanished before acting'))
        : runRemover(
            record.groupId,
            { ...base, instanceId: decision.instanceId },
            server,
            services,
            settings,
          )
      ).catch((error: unknown) => failedReport(base, error));
      if (report.outcome === 'removed' || report.outcome === 'already-removed') {
        if (report.outcome === 'removed' && settings.removalMode !== 'release') {
          // Out of the group the server lives on: lift our maintenance, or it would
          // come back in maintenance if someone adds it to a group again. A failed
          // lift keeps the record (state acting): the next sweep lifts and forgets.
          const lifted = await services.aps
            .batchSetMaintenance([record.serverId], false)
            .then(() => true)
            .catch((error: unknown) => {
              services.log.error('maintenance not lifted after removal', {
                projectId: settings.projectId,
                serverId: record.serverId,
                error: describeFailure(error).message,
              });
              return false;
            });
          if (!lifted) {
            return logged({
              ...report,
              drainedSeconds,
              detail: 'maintenance lifted by the next sweep',
            });
          }
        }
        await store.completeDrain(settings.projectId, record.serverId, record.owner);
        return logged({ ...report, drainedSeconds });
      }
      // The action failed: lift our maintenance rather than hold the server out of service.
      const lifted = await lift(record, true, services, settings);
      return logged({ ...report, detail: `${report.detail ?? 'failed'}; ${lifted}` });
    }
    case 'undo': {
      const lifted = await lift(record, decision.unmaintain, services, settings);
      return logged({
        ...base,
        outcome: 'drain-undone',
        undoReason: decision.reason,
        detail: `${decision.reason}: ${decision.detail}; ${lifted}`,
      });
    }
    case 'forget': {
      const lifted = await lift(record, decision.unmaintain, services, settings);
      return logged({
        ...base,
        outcome: 'already-removed',
        detail: `${decision.reason}; ${lifted}`,
      });
    }
    case 'wait':
      return { serverId: record.serverId, decision: 'wait' };
    default:
      return { serverId: record.serverId, decision: decision.kind };
  }
}

// Lifts our maintenance (when asked) and clears the record; says what it did.
async function lift(
  record: DrainRecord,
  unmaintain: boolean,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<string> {
  const { store } = servicesOf(services);
  if (unmaintain) await services.aps.batchSetMaintenance([record.serverId], false);
  await store.clearDrain(settings.projectId, record.serverId, record.owner);
  return unmaintain ? 'maintenance lifted' : 'maintenance was not ours to lift';
}

function failedReport(base: Omit<RemovalReport, 'outcome'>, error: unknown): RemovalReport {
  const failure = describeFailure(error);
  return {
    ...base,
    outcome: 'failed',
    detail: failure.message,
    ...(failure.transient ? { retryable: true } : {}),
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
  };
}
