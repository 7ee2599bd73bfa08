import { drainUntil } from '../../config-drain.ts';
import { describeFailure } from '../../errors.ts';
import type { AppServer } from '../../huawei/schemas.ts';
import type { Removal } from '../../scaling/types.ts';
import { type AuditGroup, auditDrain } from '../ending/audit.ts';
import { endRemoval, removalBase } from '../ending/end-removal.ts';
import { LEASE_TTL_MS } from '../lease/group-lease.ts';
import type { RemovalReport } from '../outcome.ts';
import { refusalsOf } from '../plan/eligibility.ts';
import { chunkForMaintenance } from '../recheck/recheck.ts';
import type { DrainRecord, DrainWrite } from '../store/drain-store.ts';
import type { DrainServices, RemovalServices, RemovalSettings } from '../types.ts';
import { admitToBudgets, endAdmissions } from './admit.ts';
import { logOffDrained } from './logoff-sessions.ts';

/** Group record writes in flight at once (docs/performance.md, "Memory while draining"). */
const WRITES_AT_ONCE = 16;

/** A record about to be written (its state is `draining`). */
type NewRecord = Omit<DrainRecord, 'state'>;

/** One chosen server to drain, with the group it was chosen from. */
export interface DrainCandidate {
  groupId: string;
  removal: Removal;
  /** The server as the evaluation listed it, when kept: its charging mode decides eligibility. */
  server?: Pick<AppServer, 'metadata'> | undefined;
  /** The group's record, when read: its policy goes into an ending's audit line. */
  group?: AuditGroup | undefined;
  /** The group's members as listed: the base of a budget's percentage (lib/removal/drain/admit.ts). */
  groupMembers?: number;
}

/**
 * Writes one group's new records (state `draining`): the written and the
 * refused ones, or undefined when the write was refused as a whole and
 * wrote nothing (the candidates are handed back, `refused`).
 */
export type RecordGroup = (
  list: readonly NewRecord[],
) => Promise<Pick<DrainWrite, 'records' | 'conflicts'> | undefined>;

/** The records written, the reports of candidates not drained, and those whose write was refused whole. */
export interface BegunDrains {
  records: DrainRecord[];
  notDrained: Map<string, RemovalReport>;
  /** Admitted, then their group's write refused: nothing drained, their admissions ended. */
  refused: DrainCandidate[];
}

/** Where the drain table is: an error naming the setting when it is not configured. */
export function drainsOf(services: RemovalServices): DrainServices {
  if (services.drains === undefined) throw new Error('draining needs DRAIN_TABLE_NAME');
  return services.drains;
}

/**
 * Steps 1–2 of docs/drain-lifecycle.md for one project's chosen servers:
 * each passes eligibility (lib/removal/plan/eligibility.ts) or ends with the
 * remover's refusal, undrained; then disruption budgets admit it or hold it
 * back (lib/removal/drain/admit.ts); then its record is written, one
 * conditional write per group (with the sessions its removal logs off, at
 * most WRITES_AT_ONCE groups in flight), then maintenance is asked for in
 * chunks of at most 20, then the abandoned sessions of each server now in
 * maintenance are logged off (lib/removal/drain/logoff-sessions.ts; a failed log-off
 * undoes that drain, reported `failed`). A server another actor already
 * drains is `skipped-changed`. A failed `batch-maint` keeps the records: the
 * re-check finds maintenance not set and undoes. A failed record write
 * throws (the drain table is down: nothing is drained).
 * @returns the records written, and the reports of candidates not drained.
 */
export async function beginDrains(
  candidates: readonly DrainCandidate[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
  options: { record?: RecordGroup } = {},
): Promise<BegunDrains> {
  const drains = drainsOf(services);
  const record = options.record ?? ((list) => drains.store.recordDrains(list));
  const notDrained = new Map<string, RemovalReport>();
  const endOf = (c: DrainCandidate) => (report: RemovalReport) =>
    notDrained.set(
      c.removal.serverId,
      endRemoval(services, settings, c.group ?? { id: c.groupId }, report),
    );
  const eligible: (DrainCandidate & { groupMembers: number })[] = [];
  const refusals = await refusalsOf(candidates, services, settings);
  for (const [i, candidate] of candidates.entries()) {
    const refusal = refusals[i];
    // Refused while draining is audited as with DRAIN_SECONDS=0 (lib/removal/ending/end-removal.ts).
    if (refusal !== undefined) endOf(candidate)({ ...removalBase(candidate.removal), ...refusal });
    else eligible.push({ ...candidate, groupMembers: candidate.groupMembers ?? 0 });
  }
  // Disruption budgets admit (and record) before anything is drained (lib/removal/drain/admit.ts).
  const { admitted, held } = await admitToBudgets(eligible, services, settings);
  for (const { ask, outcome, detail } of held) {
    endOf(ask)({ ...removalBase(ask.removal), outcome, detail });
  }
  const chosen = new Map<string, DrainCandidate>();
  // One write per group (lib/removal/store/drain-store.ts), the groups at once.
  const byGroup = new Map<string, NewRecord[]>();
  for (const candidate of admitted) {
    const { groupId, removal } = candidate;
    const now = settings.now();
    chosen.set(removal.serverId, candidate);
    const list = byGroup.get(groupId) ?? [];
    byGroup.set(groupId, list);
    list.push({
      projectId: settings.projectId,
      serverId: removal.serverId,
      groupId,
      ...(removal.instanceId ? { instanceId: removal.instanceId } : {}),
      ...(removal.machineName ? { machineName: removal.machineName } : {}),
      owner,
      drainedAtMs: now,
      ...timesFrom(now, settings.drainSeconds ?? 0),
      ...(removal.logoffSessionIds?.length ? { logoffSessionIds: removal.logoffSessionIds } : {}),
    });
  }
  // A bounded number of group writes in flight: thousands of pending SDK
  // commands at once were a large sweep's peak memory. A failed slice stops
  // the writing (the drain table is down: nothing more is drained).
  const lists = [...byGroup.values()];
  const writes: PromiseSettledResult<Pick<DrainWrite, 'records' | 'conflicts'>>[] = [];
  const refused: DrainCandidate[] = [];
  const write = async (list: readonly NewRecord[]) => {
    const written = await record(list);
    if (written !== undefined) return written;
    refused.push(...list.map((r) => chosen.get(r.serverId) as DrainCandidate));
    return { records: [], conflicts: [] };
  };
  for (let i = 0; i < lists.length; i += WRITES_AT_ONCE) {
    const slice = lists.slice(i, i + WRITES_AT_ONCE);
    writes.push(...(await Promise.allSettled(slice.map(write))));
    if (writes.some((w) => w.status === 'rejected')) break;
  }
  // A refused group drains nothing here: its admissions end now (the caller may start it again).
  const ends = new Map(refused.map((c) => [c.removal.serverId, 'skipped-changed' as const]));
  await endAdmissions(ends, services, settings);
  const others = admitted.filter((c) => !ends.has(c.removal.serverId));
  const records = writes.flatMap((w) => (w.status === 'fulfilled' ? w.value.records : []));
  for (const conflict of writes.flatMap((w) =>
    w.status === 'fulfilled' ? w.value.conflicts : [],
  )) {
    const candidate = chosen.get(conflict.serverId) as DrainCandidate;
    endOf(candidate)({
      ...removalBase(candidate.removal),
      outcome: 'skipped-changed',
      detail: `already drained by ${conflict.currentOwner ?? 'another actor'}`,
    });
  }
  const failure = writes.find((w) => w.status === 'rejected');
  if (failure !== undefined) {
    // Records already written stay: maintenance is asked for them, and the
    // re-check (or the next run's recovery) finishes or undoes each.
    await askMaintenance(records, owner, services, settings);
    await endAdmissions(outcomesOf(others, records, notDrained, 'failed'), services, settings);
    throw failure.reason;
  }
  const maintained = await askMaintenance(records, owner, services, settings);
  const loggedOff = await logOffDrained(
    records.map((r) => maintained.get(r.serverId) ?? r),
    new Set(maintained.keys()),
    services,
    settings,
  );
  for (const report of loggedOff.undone) notDrained.set(report.serverId, report);
  // An admission that drained nothing ends now; a drain's ends when it settles.
  await endAdmissions(outcomesOf(others, loggedOff.records, notDrained), services, settings);
  return { records: loggedOff.records, notDrained, refused };
}

// The outcome of each admitted candidate that has no drain record (`fallback` when none is known).
function outcomesOf(
  admitted: readonly DrainCandidate[],
  records: readonly DrainRecord[],
  notDrained: ReadonlyMap<string, RemovalReport>,
  fallback?: RemovalReport['outcome'],
): Map<string, RemovalReport['outcome']> {
  const drained = new Set(records.map((r) => r.serverId));
  const ends = new Map<string, RemovalReport['outcome']>();
  for (const { removal } of admitted) {
    const outcome = notDrained.get(removal.serverId)?.outcome ?? fallback;
    if (!drained.has(removal.serverId) && outcome !== undefined)
      ends.set(removal.serverId, outcome);
  }
  return ends;
}

// Maintenance on, in chunks; returns each server whose call succeeded, by id,
// its record's period counted from the confirmation (docs/drain-lifecycle.md).
async function askMaintenance(
  records: readonly DrainRecord[],
  owner: string,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<Map<string, DrainRecord>> {
  const maintained = new Map<string, DrainRecord>();
  const byId = new Map(records.map((r) => [r.serverId, r]));
  for (const chunk of chunkForMaintenance(records.map((r) => r.serverId))) {
    try {
      const { requestId } = await services.aps.batchSetMaintenance(chunk, true);
      auditDrain(services, settings, 'drain started', { serverIds: chunk, owner, requestId });
    } catch (error) {
      // The records stay: the re-check sees maintenance not set and ends each drain.
      const failure = describeFailure(error);
      services.log.error('maintenance could not be set', {
        projectId: settings.projectId,
        serverIds: chunk,
        error: failure.message,
        requestId: failure.requestId,
      });
      continue;
    }
    const times = timesFrom(settings.now(), settings.drainSeconds ?? 0);
    const confirmed = chunk.map((serverId) => ({
      ...(byId.get(serverId) as DrainRecord),
      ...times,
    }));
    for (const record of confirmed) maintained.set(record.serverId, record);
    // One write per group of the chunk. This invocation still waits the full period
    // from the confirmation; only a recovery after its death would count from the record write.
    const notRecorded = (serverIds: readonly string[], error: unknown) =>
      services.log.error('maintenance start not recorded', {
        projectId: settings.projectId,
        serverIds,
        error: describeFailure(error).message,
      });
    await drainsOf(services)
      .store.confirmMaintenance(confirmed, owner, times)
      .then((written) => {
        for (const conflict of written.conflicts) notRecorded([conflict.serverId], conflict);
      })
      .catch((error: unknown) => notRecorded(chunk, error));
  }
  return maintained;
}

/** A drain's period and its owner's promise, counted from `fromMs`. */
function timesFrom(fromMs: number, drainSeconds: number) {
  const drainUntilMs = drainUntil(fromMs, drainSeconds);
  return { drainUntilMs, ownerUntilMs: drainUntilMs + LEASE_TTL_MS };
}
