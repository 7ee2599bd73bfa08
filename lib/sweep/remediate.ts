import { isTransient, PermanentFailureError, RetryableFailureError } from '../errors.ts';
import type { QueueMessage } from '../queue/messages.ts';
import { evaluateRemoval } from '../scaling/evaluate.ts';
import { countPlannedRemovals, planRemovals } from '../scaling/plan.ts';
import {
  fetchAndEvaluate,
  type PipelineServices,
  type PipelineSettings,
  removeMember,
} from '../removal/fetch.ts';
import {
  type DelayedEnqueue,
  type DrainRemediationResult,
  evaluateAndDrain,
  finishRemoval,
} from '../removal/queue-drain.ts';
import { type GroupReport, groupReportOf, markSecondary, type RemovalReport } from './report.ts';

export type RemediationResult =
  | DrainRemediationResult
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
 * PermanentFailureError when the work could not be done, including a removal that
 * failed (see throwIfFailed); a refusal is a result.
 */
export async function processMessage(
  message: QueueMessage,
  services: PipelineServices,
  settings: PipelineSettings,
  options: { maxRemovalsPerSweep: number; enqueue?: DelayedEnqueue | undefined },
): Promise<RemediationResult> {
  if (message.type === 'finish-removal') {
    return finishRemoval(message, services, settings).catch(rethrowUnclassified);
  }
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
  const draining = (settings.drainSeconds ?? 0) > 0 && !settings.dryRun;
  if (message.type === 'evaluate-group' && draining) {
    return evaluateAndDrain(group, services, settings, {
      maxRemovalsPerSweep: options.maxRemovalsPerSweep,
      enqueue: options.enqueue,
    }).catch(rethrowUnclassified);
  }
  const evaluation = await fetchAndEvaluate(group, services, settings, {
    forInstance: message.type === 'remove-member' ? message.instanceUuid : undefined,
  });
  if (evaluation.error !== undefined) {
    const text = `server group ${group.id}: ${evaluation.error.message}`;
    throw evaluation.error.transient
      ? new RetryableFailureError(text)
      : new PermanentFailureError(text);
  }

  if (message.type === 'evaluate-group') {
    const report = markSecondary(
      groupReportOf(settings.projectId, evaluation.decision, { includeMembers: true }),
      group,
    );
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
    throwIfFailed(report.removals);
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
  throwIfFailed([removal]);
  return { ...base, status: 'done', removal };
}

/**
 * A message is acknowledged only when every removal it attempted acted
 * (removed, already removed, not a member, skipped with a reason). Every
 * planned removal of an `evaluate-group` is attempted first; then any
 * transient failure hands the whole message back for another delivery (its
 * re-evaluation finds the done ones already removed), else any permanent
 * failure sends it to the dead-letter queue with that error.
 */
function throwIfFailed(removals: readonly RemovalReport[]): void {
  const failed = removals.filter((r) => r.outcome === 'failed');
  const first = failed.find((r) => r.retryable === true) ?? failed[0];
  if (first === undefined) return;
  const others = failed.length > 1 ? ` (and ${failed.length - 1} more failed removal(s))` : '';
  const text = `removal of ${first.serverId} failed: ${failureText(first)}${others}`;
  throw first.retryable === true
    ? new RetryableFailureError(text)
    : new PermanentFailureError(text);
}

function failureText(removal: RemovalReport): string {
  const detail = removal.detail ?? 'unknown';
  const { requestId } = removal;
  return requestId === undefined || detail.includes(requestId)
    ? detail
    : `${detail} (request id ${requestId})`;
}

// Our own failure classes pass; anything else (a drain table or API error) is classified.
function rethrowUnclassified(error: unknown): never {
  if (error instanceof RetryableFailureError || error instanceof PermanentFailureError) throw error;
  return rethrowClassified(error);
}

function rethrowClassified(error: unknown): never {
  const text = error instanceof Error ? error.message : String(error);
  throw isTransient(error)
    ? new RetryableFailureError(text, { cause: error })
    : new PermanentFailureError(text, { cause: error });
}
