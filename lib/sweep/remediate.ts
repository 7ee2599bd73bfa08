import { isTransient, PermanentFailureError, RetryableFailureError } from '../errors.ts';
import type { QueueMessage } from '../queue/messages.ts';
import { evaluateRemoval } from '../scaling/evaluate.ts';
import { countPlannedRemovals, planRemovals } from '../scaling/plan.ts';
import {
  fetchAndEvaluate,
  type PipelineServices,
  type PipelineSettings,
  removeMember,
} from './pipeline.ts';
import { type GroupReport, groupReportOf, type RemovalReport } from './report.ts';

export type RemediationResult =
  | {
      type: 'evaluate-group';
      serverGroupId: string;
      status: 'done' | 'aborted' | 'group-not-found';
      group?: GroupReport;
      abortReason?: string;
    }
  | {
      type: 'remove-member';
      serverGroupId: string;
      instanceUuid: string;
      status: 'done' | 'refused' | 'not-a-member' | 'group-not-found';
      detail?: string;
      removal?: RemovalReport;
    };

/**
 * Carries out one queue message against fresh data. `evaluate-group` runs the
 * whole pipeline for the group (the sweep cap applies to it alone);
 * `remove-member` removes that one member only if the group's policy, the
 * floor and the member's own state still allow it, so a stale or replayed
 * message never removes a busy server. Throws RetryableFailureError or
 * PermanentFailureError when the work could not be done; a refusal is a result.
 */
export async function processMessage(
  message: QueueMessage,
  services: PipelineServices,
  settings: PipelineSettings,
  options: { maxRemovalsPerSweep: number },
): Promise<RemediationResult> {
  const group = await services.aps.getServerGroup(message.serverGroupId).catch(rethrowClassified);
  if (group === undefined) {
    services.log.warn('server group not found', {
      projectId: settings.projectId,
      serverGroupId: message.serverGroupId,
    });
    if (message.type === 'evaluate-group') {
      return {
        type: message.type,
        serverGroupId: message.serverGroupId,
        status: 'group-not-found',
      };
    }
    return {
      type: message.type,
      serverGroupId: message.serverGroupId,
      instanceUuid: message.instanceUuid,
      status: 'group-not-found',
    };
  }
  const evaluation = await fetchAndEvaluate(
    group,
    services,
    settings,
    message.type === 'remove-member' ? message.instanceUuid : undefined,
  );
  if (evaluation.error !== undefined) {
    const text = `server group ${group.id}: ${evaluation.error.message}`;
    throw evaluation.error.transient
      ? new RetryableFailureError(text)
      : new PermanentFailureError(text);
  }

  if (message.type === 'evaluate-group') {
    const report = groupReportOf(settings.projectId, evaluation.decision, { includeMembers: true });
    if (evaluation.decision.kind !== 'scale-in')
      return { type: message.type, serverGroupId: group.id, status: 'done', group: report };
    const plan = planRemovals(countPlannedRemovals([evaluation.decision]), options);
    if (plan.kind === 'aborted') {
      return {
        type: message.type,
        serverGroupId: group.id,
        status: 'aborted',
        group: report,
        abortReason: plan.reason,
      };
    }
    for (const removal of evaluation.decision.remove) {
      report.removals.push(await removeMember(evaluation, removal, services, settings));
    }
    throwIfRetryable(report.removals);
    return { type: message.type, serverGroupId: group.id, status: 'done', group: report };
  }

  const base = { type: message.type, serverGroupId: group.id, instanceUuid: message.instanceUuid };
  const server = evaluation.servers.find((s) => s.instance_id === message.instanceUuid);
  if (server === undefined) {
    return {
      ...base,
      status: 'not-a-member',
      detail: 'no member of the group has this instance id',
    };
  }
  const verdict = evaluateRemoval({
    group,
    servers: evaluation.servers,
    sessions: evaluation.sessions ?? { error: 'sessions unknown' },
    now: settings.now(),
    limits: settings.limits,
    serverId: server.id,
  });
  if (!verdict.allowed) {
    services.log.info('removal refused', {
      audit: 'removal',
      projectId: settings.projectId,
      serverGroupId: group.id,
      serverId: server.id,
      instanceId: message.instanceUuid,
      outcome: 'refused',
      detail: verdict.reason,
      requestReason: message.reason,
    });
    return { ...base, status: 'refused', detail: verdict.reason };
  }
  const removal = await removeMember(evaluation, verdict.removal, services, settings);
  throwIfRetryable([removal]);
  return { ...base, status: 'done', removal };
}

function throwIfRetryable(removals: readonly RemovalReport[]): void {
  const retryable = removals.find((r) => r.outcome === 'failed' && r.retryable === true);
  if (retryable !== undefined) {
    throw new RetryableFailureError(
      `removal of ${retryable.serverId} failed: ${retryable.detail ?? 'unknown'}`,
    );
  }
}

function rethrowClassified(error: unknown): never {
  const text = error instanceof Error ? error.message : String(error);
  throw isTransient(error)
    ? new RetryableFailureError(text, { cause: error })
    : new PermanentFailureError(text, { cause: error });
}
