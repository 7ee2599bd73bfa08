import { randomUUID } from 'node:crypto';
import type { ServerGroup } from '../huawei/schemas.ts';
import type { FinishRemovalMessage, QueueMessage } from '../queue/messages.ts';
import type {
  GroupEvaluation,
  RemovalReport,
  RemovalServices,
  RemovalSettings,
} from '../removal/lifecycle.ts';
import {
  classify,
  drainingOn,
  evaluationFate,
  fetchAndEvaluate,
  leaseBusyFate,
  leaseHeldBy,
  missingSettingFate,
  notSettledFate,
  removeNow,
  settleGroup,
  startDrains,
  throwIfFailed,
  underGroupLease,
} from '../removal/lifecycle.ts';
import { type Choice, chooseForMessage } from './remediate-choice.ts';
import type { RemediationOptions, RemediationResult } from './remediation-result.ts';

export type { RemediationResult } from './remediation-result.ts';

/**
 * Carries out one queue message against fresh data, through the one removal
 * lifecycle (lib/removal/lifecycle.ts). `evaluate-group` plans the group (the
 * sweep cap applies to it alone); `remove-member` plans that one member only
 * if the group's policy, the floor and the member's own state still allow it,
 * so a stale or replayed message never removes a busy server. With a drain
 * period both drain under the group's lease and enqueue a delayed
 * `finish-removal` per drained server, which re-checks and acts or undoes.
 * Throws RetryableFailureError or PermanentFailureError (lib/queue/fate.ts)
 * when the work could not be done; a refusal is a result.
 */
export async function processMessage(
  message: QueueMessage,
  services: RemovalServices,
  settings: RemovalSettings,
  options: RemediationOptions,
): Promise<RemediationResult> {
  try {
    if (message.type === 'finish-removal') return await finishRemoval(message, services, settings);
    const group = await services.aps.getServerGroup(message.serverGroupId);
    if (group === undefined) {
      services.log.warn('server group not found', {
        projectId: settings.projectId,
        serverGroupId: message.serverGroupId,
      });
      return message.type === 'evaluate-group'
        ? { type: message.type, serverGroupId: message.serverGroupId, status: 'group-not-found' }
        : {
            type: message.type,
            serverGroupId: message.serverGroupId,
            instanceUuid: message.instanceUuid,
            status: 'group-not-found',
          };
    }
    return await (drainingOn(settings)
      ? drainUnderLease(message, group, services, settings, options)
      : removeAtOnce(message, group, services, settings, options));
  } catch (error) {
    throw classify(error);
  }
}

async function evaluated(
  message: Exclude<QueueMessage, FinishRemovalMessage>,
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  options: RemediationOptions,
): Promise<GroupEvaluation> {
  const evaluation = await fetchAndEvaluate(group, services, settings, {
    forInstance: message.type === 'remove-member' ? message.instanceUuid : undefined,
    nameSkipped: message.type === 'evaluate-group',
  });
  if (evaluation.error !== undefined) throw evaluationFate(group.id, evaluation.error);
  options.onEvaluated?.(evaluation);
  return evaluation;
}

// DRAIN_SECONDS=0 or a dry run: plan, re-check and act (or report) at once.
async function removeAtOnce(
  message: Exclude<QueueMessage, FinishRemovalMessage>,
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  options: RemediationOptions,
): Promise<RemediationResult> {
  const evaluation = await evaluated(message, group, services, settings, options);
  const choice = chooseForMessage(message, evaluation, services, settings, options);
  if (choice.removals.length === 0) return choice.result;
  const reports = await removeNow(evaluation, choice.removals, services, settings);
  return finished(choice, reports);
}

// With a drain period: under the group's lease, plan on fresh data, drain the
// choices and enqueue one finish-removal per drained server, delayed by the period.
async function drainUnderLease(
  message: Exclude<QueueMessage, FinishRemovalMessage>,
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  options: RemediationOptions,
): Promise<RemediationResult> {
  const enqueue = options.enqueue;
  if (services.drains === undefined || enqueue === undefined) {
    throw missingSettingFate('draining needs DRAIN_TABLE_NAME and REMEDIATION_QUEUE_URL');
  }
  const owner = `remediate:${randomUUID()}`;
  const done = await underGroupLease(group.id, owner, services, settings, async () => {
    const evaluation = await evaluated(message, group, services, settings, options);
    const choice = chooseForMessage(message, evaluation, services, settings, options);
    if (choice.removals.length === 0) return { choice, reports: [], drained: [] };
    const begun = await startDrains(
      [{ evaluation, removals: choice.removals }],
      owner,
      services,
      settings,
    );
    return {
      choice,
      reports: [...begun.notDrained.values()],
      drained: begun.records.map((r) => r.serverId),
    };
  });
  if (!done.held) throw leaseBusyFate(group.id, leaseHeldBy(done.holder));
  const { choice, reports, drained } = done.value;
  if (choice.removals.length === 0) return choice.result;
  if (drained.length > 0) {
    const sent = await enqueue(
      drained.map((serverId) => ({
        type: 'finish-removal',
        projectId: settings.projectId,
        serverGroupId: group.id,
        serverId,
        owner,
      })),
      settings.drainSeconds ?? 0,
    );
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
  return finished(choice, reports, drained);
}

// The result of a message whose removals ended (or were drained): its fate by lib/removal/fate.ts.
function finished(
  choice: Choice,
  reports: readonly RemovalReport[],
  drained: string[] = [],
): RemediationResult {
  throwIfFailed(reports);
  const { result } = choice;
  const status = drained.length > 0 ? ('draining' as const) : ('done' as const);
  if (result.type === 'evaluate-group') {
    result.group?.removals.push(...reports);
    return { ...result, status, ...(drained.length > 0 ? { draining: drained } : {}) };
  }
  if (result.type === 'remove-member') {
    const removal = reports[0];
    return {
      ...result,
      status,
      ...(removal === undefined ? {} : { removal }),
      ...(drained.length > 0 ? { draining: drained } : {}),
    };
  }
  return result;
}

/**
 * `finish-removal`: the re-check of one drained server under its group's
 * lease, then the removal or the undo. A lease another actor holds, or a
 * re-check that says wait → RetryableFailureError; a failed removal → its fate.
 */
async function finishRemoval(
  message: FinishRemovalMessage,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<RemediationResult> {
  const base = {
    type: 'finish-removal' as const,
    serverGroupId: message.serverGroupId,
    serverId: message.serverId,
  };
  const drains = services.drains;
  if (drains === undefined) throw missingSettingFate('finish-removal needs DRAIN_TABLE_NAME');
  const record = await drains.store.getDrain(
    settings.projectId,
    message.serverId,
    message.serverGroupId,
  );
  if (record === undefined || record.owner !== message.owner)
    return { ...base, status: 'not-ours' };
  const result = await settleGroup(
    message.serverGroupId,
    [{ record }],
    message.owner,
    services,
    settings,
  );
  if (result.kind === 'lease-busy') {
    throw leaseBusyFate(message.serverGroupId, leaseHeldBy(result.holder));
  }
  const settled = result.settled[0];
  if (settled?.report === undefined) {
    if (settled?.decision === 'taken-over' || settled?.decision === 'leave-alone') {
      return { ...base, status: 'not-ours' };
    }
    throw notSettledFate(message.serverId, settled?.decision ?? 'nothing');
  }
  throwIfFailed([settled.report]);
  return { ...base, status: 'done', removal: settled.report };
}
