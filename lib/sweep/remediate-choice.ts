import type { EvaluateGroupMessage, RemoveMemberMessage } from '../queue/messages.ts';
import type { GroupEvaluation, RemovalServices, RemovalSettings } from '../removal/lifecycle.ts';
import { evaluateRemoval } from '../scaling/evaluate.ts';
import { countPlannedRemovals, planRemovals } from '../scaling/plan.ts';
import type { Removal } from '../scaling/types.ts';
import type { RemediationOptions, RemediationResult } from './remediation-result.ts';
import { groupReportOf, markSecondary } from './report.ts';

/** What a message asks of the lifecycle: the removals to start, and its result if none. */
export interface Choice {
  removals: Removal[];
  result: RemediationResult;
}

/**
 * The planner's answer to one message, from the evaluation just made (no
 * call): `evaluate-group` → the group's planned removals unless it does not
 * scale in or alone exceeds the sweep cap; `remove-member` → that member only
 * when the group's policy, the floor and its own state allow it (a refusal
 * is logged and answered, never acted on).
 */
export function chooseForMessage(
  message: EvaluateGroupMessage | RemoveMemberMessage,
  evaluation: GroupEvaluation,
  services: RemovalServices,
  settings: RemovalSettings,
  options: Pick<RemediationOptions, 'maxRemovalsPerSweep'>,
): Choice {
  const { group, decision } = evaluation;
  if (message.type === 'evaluate-group') {
    const line = markSecondary(
      groupReportOf(settings.projectId, decision, {
        includeMembers: true,
        membersNotListed: evaluation.membersNotListed,
      }),
      group,
    );
    const base = { type: message.type, serverGroupId: group.id, group: line };
    if (decision.kind !== 'scale-in') return { removals: [], result: { ...base, status: 'done' } };
    const plan = planRemovals(countPlannedRemovals([decision]), options);
    if (plan.kind === 'aborted') {
      return {
        removals: [],
        result: { ...base, status: 'aborted', abortReason: plan.reason },
      };
    }
    return { removals: decision.remove, result: { ...base, status: 'done' } };
  }
  const base = { type: message.type, serverGroupId: group.id, instanceUuid: message.instanceUuid };
  const server = evaluation.servers.find((s) => s.instance_id === message.instanceUuid);
  if (server === undefined) {
    return {
      removals: [],
      result: {
        ...base,
        status: 'not-a-member',
        detail: 'no member of the group has this instance id',
      },
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
    return { removals: [], result: { ...base, status: 'refused', detail: verdict.reason } };
  }
  return { removals: [verdict.removal], result: { ...base, status: 'done' } };
}
