import { describeFailure } from '../../errors.ts';
import { logoffRequestOf } from '../../scaling/logoff.ts';
import { failedReport } from '../actuation/finish-acted.ts';
import { auditDrain } from '../ending/audit.ts';
import { endRemoval } from '../ending/end-removal.ts';
import type { RemovalReport } from '../outcome.ts';
import type { DrainRecord } from '../store/drain-store.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';

// Step 2b of docs/drain-lifecycle.md: the log-off of a drained server's
// abandoned sessions (README "Log-off of abandoned sessions"). The drain
// period covers LOGOFF_DELAY_SECONDS (lib/config.ts), so the re-check comes
// after the log-off took effect; it then removes the server only with no
// session at all (`assessAfterLogoff` in lib/scaling/logoff.ts).

/**
 * Sends `POST /session/logoff` for every record that names sessions and whose
 * server is in maintenance (`maintained`): a server not in maintenance is
 * undone by the re-check, so its users are never logged off. A failed call
 * (or no LOGOFF settings) undoes that drain at once — maintenance lifted,
 * record cleared, a `failed` report (retryable when the cause is transient)
 * and its ERROR line. Never throws.
 * @returns the records still draining, and the reports of the drains undone.
 */
export async function logOffDrained(
  records: readonly DrainRecord[],
  maintained: ReadonlySet<string>,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<{ records: DrainRecord[]; undone: RemovalReport[] }> {
  const kept: DrainRecord[] = [];
  const undone: RemovalReport[] = [];
  for (const record of records) {
    const sessionIds = record.logoffSessionIds;
    if (sessionIds === undefined || !maintained.has(record.serverId)) {
      kept.push(record);
      continue;
    }
    try {
      if (settings.logoff === undefined) {
        throw new Error('sessions to log off, but LOGOFF_DISCONNECTED_AFTER_MINUTES is not set');
      }
      const request = logoffRequestOf(record, settings.logoff);
      if (request === undefined) throw new Error('no session to log off');
      const { requestId } = await services.aps.logoffSessions(request);
      auditDrain(services, settings, 'sessions logged off', {
        serverId: record.serverId,
        serverGroupId: record.groupId,
        sessionIds,
        delaySeconds: request.delaySeconds,
        requestId,
      });
      kept.push(record);
    } catch (error) {
      const report = await undoAfterFailure(record, error, services, settings);
      if (report === undefined) kept.push(record);
      else undone.push(report);
    }
  }
  return { records: kept, undone };
}

// Lifts our maintenance and clears the record; undefined when that fails too,
// and the record stays for the re-check, which finds the session and undoes.
async function undoAfterFailure(
  record: DrainRecord,
  error: unknown,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<RemovalReport | undefined> {
  const cause = describeFailure(error).message;
  const base = {
    serverId: record.serverId,
    instanceId: record.instanceId,
    machineName: record.machineName,
    idleMinutes: 0,
  };
  try {
    await services.aps.batchSetMaintenance([record.serverId], false);
    const ended = await services.drains?.store.endDrains(record.owner, { cleared: [record] });
    if (ended?.conflicts[0] !== undefined) throw ended.conflicts[0];
  } catch (undoError) {
    services.log.error('log-off failed and the drain could not be undone; the re-check ends it', {
      projectId: settings.projectId,
      serverGroupId: record.groupId,
      serverId: record.serverId,
      error: cause,
      undoError: describeFailure(undoError).message,
    });
    return undefined;
  }
  const failed = failedReport(base, error);
  const report = {
    ...failed,
    detail: `log-off failed: ${cause}; drain undone, maintenance lifted`,
  };
  return endRemoval(services, settings, { id: record.groupId }, report);
}
