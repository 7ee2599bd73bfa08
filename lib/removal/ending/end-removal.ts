import type { RemovalReport } from '../outcome.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';
import { type AuditGroup, auditRemoval } from './audit.ts';

// Every planned removal ends here (removed, undone, refused, a dry run's
// would-remove, skipped, failed), whatever the trigger: one audit line, and
// the report line the caller records (its metrics are counted from the
// report: lib/metrics.ts). The same ending gives the same line.

/** What a report names of a planned removal (a Removal, or a drain record with its idle minutes). */
export interface Planned {
  serverId: string;
  instanceId?: string | undefined;
  machineName?: string | undefined;
  idleMinutes: number;
}

/** The report skeleton of a planned removal, before its outcome is known. */
export function removalBase(removal: Planned): Omit<RemovalReport, 'outcome'> {
  return {
    serverId: removal.serverId,
    instanceId: removal.instanceId,
    machineName: removal.machineName,
    idleMinutes: Math.floor(removal.idleMinutes),
  };
}

/** A planned removal's report with its outcome (and the detail, when given). */
export function removalReport(
  removal: Planned,
  outcome: RemovalReport['outcome'],
  detail?: string,
): RemovalReport {
  return { ...removalBase(removal), outcome, ...(detail === undefined ? {} : { detail }) };
}

/**
 * Ends one planned removal: writes its one audit line (lib/removal/ending/audit.ts)
 * and returns the report line for the caller to record.
 */
export function endRemoval(
  services: Pick<RemovalServices, 'log'>,
  settings: Pick<RemovalSettings, 'projectId' | 'removalMode' | 'dryRun'>,
  group: AuditGroup,
  report: RemovalReport,
): RemovalReport {
  auditRemoval(services, settings, group, report);
  return report;
}

/** How one group's planned removals end: {@link endRemoval} bound to its group, services and settings. */
export type Ending = (report: RemovalReport) => RemovalReport;

/**
 * The {@link Ending} of one group's removals, for a driver that learns their
 * outcome later (an aborted sweep, a deadline, a failed drain table). Keeps
 * only what the audit line reads of the group, not the listing.
 */
export function endingOf(
  services: Pick<RemovalServices, 'log'>,
  settings: Pick<RemovalSettings, 'projectId' | 'removalMode' | 'dryRun'>,
  group: AuditGroup,
): Ending {
  const policy = group.scaling_policy?.scaling_policy_by_session;
  const kept: AuditGroup = {
    id: group.id,
    ...(policy == null
      ? {}
      : {
          scaling_policy: {
            scaling_policy_by_session: {
              shrink_after_session_idle_minutes: policy.shrink_after_session_idle_minutes,
              session_usage_threshold: policy.session_usage_threshold,
            },
          },
        }),
  };
  const { projectId, removalMode, dryRun } = settings;
  return (report) => endRemoval(services, { projectId, removalMode, dryRun }, kept, report);
}
