import { randomUUID } from 'node:crypto';
import { groupLeaseKey } from './group-lease.ts';
import { PermanentFailureError, RetryableFailureError } from '../errors.ts';
import type { ServerGroup } from '../huawei/schemas.ts';
import type { FinishRemovalMessage, QueueMessage } from '../queue/messages.ts';
import type { SendResult } from '../queue/producer.ts';
import { countPlannedRemovals, planRemovals } from '../scaling/plan.ts';
import { beginDrains, LEASE_TTL_MS, settleGroup } from './drain.ts';
import { fetchAndEvaluate, type PipelineServices, type PipelineSettings } from './fetch.ts';
import { type GroupReport, groupReportOf, type RemovalReport } from '../sweep/report.ts';

/** Sends messages with one `DelaySeconds` for all (lib/queue/producer.ts). */
export type DelayedEnqueue = (
  messages: QueueMessage[],
  delaySeconds: number,
) => Promise<SendResult>;

export type DrainRemediationResult =
  | {
      type: 'evaluate-group';
      serverGroupId: string;
      status: 'draining' | 'aborted';
      group: GroupReport;
      /** Servers put into maintenance, each with a finish-removal message on its way. */
      draining: string[];
      abortReason?: string;
    }
  | {
      type: 'finish-removal';
      serverGroupId: string;
      serverId: string;
      /** `not-ours`: no record of this owner any more (settled, or taken over by a sweep). */
      status: 'done' | 'not-ours';
      removal?: RemovalReport;
    };

/**
 * `evaluate-group` with a drain period: under the group's lease, evaluates
 * the group on fresh data, records and drains its choices, then enqueues one
 * `finish-removal` per drained server delayed by the drain period. A lease
 * another actor holds → RetryableFailureError (SQS delivers the record again).
 */
export async function evaluateAndDrain(
  group: ServerGroup,
  services: PipelineServices,
  settings: PipelineSettings,
  options: { maxRemovalsPerSweep: number; enqueue: DelayedEnqueue | undefined },
): Promise<DrainRemediationResult> {
  const drains = services.drains;
  if (drains === undefined || options.enqueue === undefined) {
    throw new PermanentFailureError('draining needs DRAIN_TABLE_NAME and REMEDIATION_QUEUE_URL');
  }
  const owner = `remediate:${randomUUID()}`;
  const key = groupLeaseKey(settings.projectId, group.id);
  const taken = await drains.lease.acquireLease(key, owner, LEASE_TTL_MS, settings.now());
  if (!taken.acquired) {
    throw new RetryableFailureError(
      `server group ${group.id}: lease held by ${taken.holder ?? 'another actor'}`,
    );
  }
  let drained: string[] = [];
  let report: GroupReport;
  try {
    const evaluation = await fetchAndEvaluate(group, services, settings);
    if (evaluation.error !== undefined) {
      const text = `server group ${group.id}: ${evaluation.error.message}`;
      throw evaluation.error.transient
        ? new RetryableFailureError(text)
        : new PermanentFailureError(text);
    }
    report = groupReportOf(settings.projectId, evaluation.decision, { includeMembers: true });
    if (evaluation.decision.kind !== 'scale-in') {
      return {
        type: 'evaluate-group',
        serverGroupId: group.id,
        status: 'draining',
        group: report,
        draining: [],
      };
    }
    const plan = planRemovals(countPlannedRemovals([evaluation.decision]), options);
    if (plan.kind === 'aborted') {
      return {
        type: 'evaluate-group',
        serverGroupId: group.id,
        status: 'aborted',
        group: report,
        draining: [],
        abortReason: plan.reason,
      };
    }
    const candidates = evaluation.decision.remove.map((removal) => ({
      groupId: group.id,
      removal,
      server: evaluation.servers.find((s) => s.id === removal.serverId),
    }));
    const begun = await beginDrains(candidates, owner, services, settings);
    report.removals.push(...begun.notDrained.values());
    drained = begun.records.map((r) => r.serverId);
  } finally {
    await drains.lease.releaseLease(taken.lease).catch(() => false);
  }
  const messages: FinishRemovalMessage[] = drained.map((serverId) => ({
    type: 'finish-removal',
    projectId: settings.projectId,
    serverGroupId: group.id,
    serverId,
    owner,
  }));
  if (messages.length > 0) {
    const sent = await options.enqueue(messages, settings.drainSeconds ?? 0);
    if (sent.failed.length > 0) {
      // The records stay: the next sweep's recovery finishes or undoes these drains.
      services.log.error('finish-removal not enqueued; the next sweep settles the drain', {
        projectId: settings.projectId,
        serverGroupId: group.id,
        serverIds: sent.failed.map((f) => ('serverId' in f.message ? f.message.serverId : '')),
        error: sent.failed[0]?.error,
      });
    }
  }
  return {
    type: 'evaluate-group',
    serverGroupId: group.id,
    status: 'draining',
    group: report,
    draining: drained,
  };
}

/**
 * `finish-removal`: the drain check of one server under its group's lease,
 * then the action or the undo. A lease another actor holds, or a check that
 * says wait, → RetryableFailureError; a failed action → its error class.
 */
export async function finishRemoval(
  message: FinishRemovalMessage,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<DrainRemediationResult> {
  const base = {
    type: 'finish-removal' as const,
    serverGroupId: message.serverGroupId,
    serverId: message.serverId,
  };
  const drains = services.drains;
  if (drains === undefined)
    throw new PermanentFailureError('finish-removal needs DRAIN_TABLE_NAME');
  const record = await drains.store.getDrain(settings.projectId, message.serverId);
  if (record === undefined || record.owner !== message.owner)
    return { ...base, status: 'not-ours' };
  const result = await settleGroup(
    message.serverGroupId,
    [record],
    message.owner,
    services,
    settings,
  );
  if (result.kind === 'lease-busy') {
    throw new RetryableFailureError(
      `server group ${message.serverGroupId}: lease held by ${result.holder ?? 'another actor'}`,
    );
  }
  const settled = result.settled[0];
  if (settled?.report === undefined) {
    if (settled?.decision === 'taken-over' || settled?.decision === 'leave-alone') {
      return { ...base, status: 'not-ours' };
    }
    throw new RetryableFailureError(
      `server ${message.serverId}: drain not settled (${settled?.decision ?? 'nothing'})`,
    );
  }
  if (settled.report.outcome === 'failed') {
    const text = `removal of ${message.serverId} failed: ${settled.report.detail ?? 'unknown'}`;
    throw settled.report.retryable
      ? new RetryableFailureError(text)
      : new PermanentFailureError(text);
  }
  return { ...base, status: 'done', removal: settled.report };
}
