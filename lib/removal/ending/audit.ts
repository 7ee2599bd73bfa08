import type { RemovalReport } from '../outcome.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';

/** The group a removal line names: its id and, when read, its idle policy. */
export interface AuditGroup {
  id: string;
  scaling_policy?:
    | {
        scaling_policy_by_session?:
          | {
              shrink_after_session_idle_minutes?: number | null | undefined;
              session_usage_threshold?: number | null | undefined;
            }
          | null
          | undefined;
      }
    | null
    | undefined;
}

/**
 * The one audit line of a planned removal's end, whatever the trigger:
 * ERROR for `failed`, else INFO, with the outcome, its cause and request id.
 */
export function auditRemoval(
  services: Pick<RemovalServices, 'log'>,
  settings: Pick<RemovalSettings, 'projectId' | 'removalMode' | 'dryRun'>,
  group: AuditGroup,
  report: RemovalReport,
  extra: Record<string, unknown> = {},
): void {
  const policy = group.scaling_policy?.scaling_policy_by_session;
  services.log[report.outcome === 'failed' ? 'error' : 'info'](`removal ${report.outcome}`, {
    audit: 'removal',
    projectId: settings.projectId,
    serverGroupId: group.id,
    serverId: report.serverId,
    instanceId: report.instanceId,
    machineName: report.machineName,
    idleMinutes: Math.floor(report.idleMinutes),
    ...(policy == null
      ? {}
      : {
          policy: {
            shrinkAfterSessionIdleMinutes: policy.shrink_after_session_idle_minutes,
            sessionUsageThreshold: policy.session_usage_threshold,
          },
        }),
    removalMode: settings.removalMode,
    outcome: report.outcome,
    detail: report.detail,
    undoReason: report.undoReason,
    requestId: report.requestId,
    dryRun: settings.dryRun,
    ...extra,
  });
}

/** An audit line of a drain step (started, taken over) with its group and owner. */
export function auditDrain(
  services: Pick<RemovalServices, 'log'>,
  settings: Pick<RemovalSettings, 'projectId'>,
  message: string,
  fields: Record<string, unknown>,
): void {
  services.log.info(message, { audit: 'drain', projectId: settings.projectId, ...fields });
}
