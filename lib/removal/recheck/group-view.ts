import type { AppServer, ServerGroup, SessionInfo } from '../../huawei/schemas.ts';
import { joinSessions } from '../../scaling/session-join.ts';
import type { SessionQueryFailure } from '../../scaling/types.ts';
import { fetchAndEvaluate } from '../plan/plan-group.ts';
import type { GroupEvaluation, RemovalServices, RemovalSettings } from '../types.ts';
import type { DrainGroupView } from './recheck.ts';

/** A group as the re-check reads it: its figures and the sessions of each server. */
export interface GroupView {
  group: DrainGroupView;
  /** The group's record (policy), for the audit lines; undefined when it no longer exists. */
  record: Pick<ServerGroup, 'id' | 'scaling_policy'> | undefined;
  /** The sessions that join `server` (machine name, SID, address), or why they are unknown. */
  sessionsOf(server: AppServer): readonly SessionInfo[] | SessionQueryFailure;
}

/**
 * The view of an evaluation. `out`: members in service the evaluation counted
 * that the removals at hand take out (DRAIN_SECONDS=0: the planned ones,
 * still in service); 0 for a fresh read made after the drain, where servers
 * in maintenance already do not count.
 */
export function viewOf(
  evaluation: GroupEvaluation,
  settings: Pick<RemovalSettings, 'limits'>,
  out: number,
): GroupView {
  const { group, decision, sessions } = evaluation;
  const threshold =
    group.scaling_policy?.scaling_policy_by_session?.shrink_after_session_idle_minutes;
  const skipped = decision.kind === 'skip' && decision.reason !== 'incomplete-data';
  const join = sessions === undefined ? undefined : joinSessions(evaluation.servers, sessions);
  const unknown: SessionQueryFailure = { error: evaluation.error?.message ?? 'sessions unknown' };
  return {
    group: {
      groupId: group.id,
      scaleInAllowed: !skipped && threshold != null,
      idleThresholdMinutes: threshold ?? 0,
      protectTagKey: settings.limits.protectTagKey,
      // The floor in force now (tags, a schedule window), as the evaluation resolved it.
      minServersPerGroup: decision.settings?.floor.value ?? settings.limits.minServersPerGroup,
      inService: decision.inService - out,
    },
    record: group,
    sessionsOf: (server) => (join === undefined ? unknown : join.of(server)),
  };
}

/** The group as it is now: its record, members and sessions read again, then evaluated. */
export async function freshView(
  groupId: string,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<GroupView> {
  const group = await services.aps.getServerGroup(groupId);
  if (group === undefined) {
    return {
      group: {
        groupId,
        scaleInAllowed: false,
        idleThresholdMinutes: 0,
        protectTagKey: settings.limits.protectTagKey,
        minServersPerGroup: settings.limits.minServersPerGroup,
        inService: 0,
      },
      record: undefined,
      sessionsOf: () => ({ error: 'the group no longer exists' }),
    };
  }
  return viewOf(await fetchAndEvaluate(group, services, settings), settings, 0);
}
