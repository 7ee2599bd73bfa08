import type { AppServer, ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import { evaluateGroup } from '../scaling/evaluate.ts';
import type { SessionQueryFailure } from '../scaling/types.ts';
import type { PipelineServices, PipelineSettings } from './pipeline.ts';

const HOUR_MS = 3_600_000;

/** A listed server counts as a member unless it names another group. */
export function isMemberOf(server: AppServer, groupId: string): boolean {
  return server.server_group_id == null || server.server_group_id === groupId;
}

/** Sessions not listed for a group its members alone put at or over its threshold. */
export const NOT_LISTED: SessionQueryFailure = {
  error: 'the members alone put the group at or over its threshold (scale-out)',
  notListed: true,
};

/**
 * Lists a group's members, then the sessions of the look-back window unless
 * the members alone already decide the group: at or over its threshold, it
 * scales out whatever the sessions say (lib/scaling/evaluate.ts), so they are
 * not asked for (`notListed`); nor after a failed member listing, which
 * decides `incomplete-data`. The request limiter keeps the sweep's slots
 * full with other groups meanwhile.
 */
export async function listGroup(
  group: ServerGroup,
  services: PipelineServices,
  settings: PipelineSettings,
  now: number,
): Promise<{
  servers: PromiseSettledResult<AppServer[]>;
  sessions: PromiseSettledResult<SessionInfo[]> | typeof NOT_LISTED;
}> {
  const [servers] = await Promise.allSettled([
    services.aps.listServers({ serverGroupId: group.id }),
  ]);
  if (servers.status === 'rejected') return { servers, sessions: NOT_LISTED };
  const members = servers.value.filter((s) => isMemberOf(s, group.id));
  const byMembers = evaluateGroup({
    group,
    servers: members,
    sessions: NOT_LISTED,
    now,
    limits: settings.limits,
  });
  if (byMembers.kind === 'scale-out') return { servers, sessions: NOT_LISTED };
  const [sessions] = await Promise.allSettled([
    services.aps.listSessions({
      serverGroupId: group.id,
      begin: new Date(now - settings.sessionLookbackHours * HOUR_MS),
      end: new Date(now),
    }),
  ]);
  return { servers, sessions };
}
