import type { AppServer, ServerGroup, SessionInfo } from '../../huawei/schemas.ts';
import { evaluateGroup } from '../../scaling/evaluate.ts';
import type { SessionQueryFailure } from '../../scaling/types.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';

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
 * How a group's members and sessions are listed: `members-first` (the inline
 * sweep, whose many groups keep every request slot busy) saves the session
 * listing a decision cannot use; `together` (one queue message, where the
 * round trips are the message's whole latency) lists both at once.
 */
export type Listing = 'members-first' | 'together';

/**
 * Lists a group's members and the sessions of the look-back window. With
 * `members-first`, the sessions are not asked for (`notListed`) when the
 * members alone decide the group: at or over its threshold, it scales out
 * whatever the sessions say (lib/scaling/evaluate.ts); nor after a failed
 * member listing, which decides `incomplete-data`.
 */
export async function listGroup(
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  now: number,
  listing: Listing,
): Promise<{
  servers: PromiseSettledResult<AppServer[]>;
  sessions: PromiseSettledResult<SessionInfo[]> | typeof NOT_LISTED;
}> {
  const listSessions = () =>
    services.aps.listSessions({
      serverGroupId: group.id,
      begin: new Date(now - settings.sessionLookbackHours * HOUR_MS),
      end: new Date(now),
    });
  if (listing === 'together') {
    const [servers, sessions] = await Promise.allSettled([
      services.aps.listServers({ serverGroupId: group.id }),
      listSessions(),
    ]);
    return { servers, sessions };
  }
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
  const [sessions] = await Promise.allSettled([listSessions()]);
  return { servers, sessions };
}
