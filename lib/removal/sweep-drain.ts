import type { DrainRecord } from './drain-store.ts';
import { planDrainWait } from './recheck.ts';
import { drainUntil } from './drain-settings.ts';
import { beginDrains, type Settled, settleGroup } from './drain.ts';
import type { GroupLines } from '../sweep/group-lines.ts';
import type { HeldGroup } from '../sweep/guard.ts';
import { recordAll } from '../sweep/guard.ts';
import type { PipelineServices, PipelineSettings } from './fetch.ts';
import { forEachConcurrent } from '../sweep/pool.ts';
import type { GroupReport, RemovalReport } from '../sweep/report.ts';

/** What an inline sweep needs to drain: who it is, how it waits, when it must end. */
export interface DrainRun {
  /** The sweep's owner id in drain records and leases. */
  owner: string;
  /** Waits `ms` on the sweep's clock (tests pass a virtual one). */
  sleep: (ms: number) => Promise<void>;
  /** Epoch ms after which no request may be in flight. */
  deadlineAt: number;
  /** Kept back before the deadline for the re-read, the action and the report. */
  reserveMs: number;
}

/** A drain the sweep settled on the way (crash recovery), with its group. */
export type RecoveredDrain = RemovalReport & { projectId: string; serverGroupId: string };

function byGroup(records: readonly DrainRecord[]): Map<string, DrainRecord[]> {
  const groups = new Map<string, DrainRecord[]>();
  for (const record of records) {
    const list = groups.get(record.groupId) ?? [];
    list.push(record);
    groups.set(record.groupId, list);
  }
  return groups;
}

// A settled drain left without a report: say what became of it.
function leftDraining(settled: Settled, record: DrainRecord | undefined): RemovalReport {
  return {
    serverId: settled.serverId,
    instanceId: record?.instanceId,
    machineName: record?.machineName,
    idleMinutes: 0,
    outcome: 'skipped-changed',
    detail: `left draining (${settled.decision}): the next sweep finishes or undoes it`,
  };
}

/**
 * The act phase of an inline sweep with DRAIN_SECONDS > 0: every held
 * group's chosen servers are recorded and put into maintenance, the sweep
 * waits once for the drain period (only when it ends before the deadline
 * less the reserve; else nothing is drained and each is `skipped-deadline`),
 * then each group is settled under its lease: acted on, or its drain undone.
 */
export async function drainThenAct(
  pending: readonly HeldGroup[],
  settingsOf: (projectId: string) => PipelineSettings,
  concurrency: number,
  lines: GroupLines,
  run: DrainRun,
): Promise<void> {
  if (pending.length === 0) return;
  const first = settingsOf(pending[0]?.projectId ?? '');
  const now = first.now();
  const fits = planDrainWait({
    now,
    drainUntilMs: drainUntil(now, first.drainSeconds ?? 0),
    deadlineAt: run.deadlineAt,
    reserveMs: run.reserveMs,
  });
  if (fits.kind === 'undo') {
    for (const group of pending) {
      recordAll(
        lines,
        group.report,
        group.evaluation.decision.remove,
        'skipped-deadline',
        'the drain period does not fit in the time the invocation has left',
      );
    }
    return;
  }

  const records = new Map<HeldGroup, DrainRecord[]>();
  const byProject = new Map<string, HeldGroup[]>();
  for (const group of pending) {
    byProject.set(group.projectId, [...(byProject.get(group.projectId) ?? []), group]);
  }
  for (const [projectId, groups] of byProject) {
    const services = groups[0]?.services as PipelineServices;
    const candidates = groups.flatMap((g) =>
      g.evaluation.decision.remove.map((removal) => ({
        groupId: g.evaluation.group.id,
        removal,
        server: g.evaluation.servers.find((s) => s.id === removal.serverId),
      })),
    );
    const begun = await beginDrains(candidates, run.owner, services, settingsOf(projectId));
    for (const group of groups) {
      for (const removal of group.evaluation.decision.remove) {
        const failed = begun.notDrained.get(removal.serverId);
        if (failed !== undefined) lines.record(group.report, failed);
      }
      records.set(
        group,
        begun.records.filter((r) => r.groupId === group.evaluation.group.id),
      );
    }
  }

  const latest = Math.max(...[...records.values()].flat().map((r) => r.drainUntilMs), now);
  const wait = planDrainWait({
    now: first.now(),
    drainUntilMs: latest,
    deadlineAt: run.deadlineAt,
    reserveMs: run.reserveMs,
  });
  if (wait.kind === 'wait') await run.sleep(wait.ms);

  await forEachConcurrent(pending, concurrency, async (group) => {
    const mine = records.get(group) ?? [];
    if (mine.length === 0) return;
    const settings = settingsOf(group.projectId);
    await settleInto(group.report, group.evaluation.group.id, mine, group.services, settings, {
      lines,
      owner: run.owner,
      ...(wait.kind === 'undo' ? { forceUndo: 'deadline' as const } : {}),
    });
  });
}

async function settleInto(
  line: GroupReport,
  groupId: string,
  records: readonly DrainRecord[],
  services: PipelineServices,
  settings: PipelineSettings,
  options: { lines: GroupLines; owner: string; forceUndo?: 'deadline' },
): Promise<void> {
  const result = await settleGroup(groupId, records, options.owner, services, settings, {
    ...(options.forceUndo ? { forceUndo: options.forceUndo } : {}),
  }).catch((error: unknown) => ({ kind: 'error' as const, error }));
  const recordOf = new Map(records.map((r) => [r.serverId, r]));
  if (result.kind !== 'settled') {
    const why =
      result.kind === 'lease-busy'
        ? `group lease held by ${result.holder ?? 'another actor'}`
        : String(result.error instanceof Error ? result.error.message : result.error);
    for (const record of records) {
      options.lines.record(line, {
        ...leftDraining({ serverId: record.serverId, decision: 'wait' }, record),
        detail: `left draining (${why}): the next sweep finishes or undoes it`,
      });
    }
    return;
  }
  for (const settled of result.settled) {
    options.lines.record(
      line,
      settled.report ?? leftDraining(settled, recordOf.get(settled.serverId)),
    );
  }
}

/**
 * Crash recovery, first thing in every sweep of a project: each drain whose
 * period is over (an invocation died between drain and action, or its
 * finish-removal message was lost) is taken over under its group's lease
 * and finished or undone. A group whose lease is held is left to its holder.
 */
export async function recoverDrains(
  projectId: string,
  owner: string,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<RecoveredDrain[]> {
  const store = services.drains?.store;
  if (store === undefined) return [];
  const now = settings.now();
  const due = (await store.listDrains(projectId)).filter((r) => r.drainUntilMs <= now);
  const recovered: RecoveredDrain[] = [];
  for (const [groupId, records] of byGroup(due)) {
    const result = await settleGroup(groupId, records, owner, services, settings, {
      claim: true,
    }).catch((error: unknown) => {
      // The records stay for the next sweep; this sweep goes on with the rest.
      services.log.error('drain recovery failed', {
        audit: 'drain',
        projectId,
        serverGroupId: groupId,
        serverIds: records.map((r) => r.serverId),
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    });
    if (result?.kind !== 'settled') continue;
    for (const settled of result.settled) {
      if (settled.report !== undefined) {
        recovered.push({ ...settled.report, projectId, serverGroupId: groupId });
      }
    }
  }
  return recovered;
}
