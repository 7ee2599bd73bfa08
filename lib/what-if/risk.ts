import { parseApiTime } from '../huawei/api-time.ts';
import type { ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import type { Removal } from '../scaling/types.ts';
import { WHAT_IF_LISTED, type WhatIfOutcome } from './outcome.ts';

/** The latest activity among sessions (end, else last update, else start time), epoch ms. */
function latestSession(sessions: readonly SessionInfo[]): number | undefined {
  let latest: number | undefined;
  for (const session of sessions) {
    const at = parseApiTime(
      session.end_time ?? session.last_update_status_time ?? session.start_time,
    );
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}

/**
 * Counts the removals of one group that are risky, those with a session whose
 * latest time is at or after `riskSince` (epoch ms), and lists the first
 * WHAT_IF_LISTED of them on `outcome`.
 */
export function countRisky(
  outcome: WhatIfOutcome,
  fetched: { projectId: string; group: Pick<ServerGroup, 'id' | 'name'> },
  removals: readonly Removal[],
  sessionsOf: (machineName: string | undefined) => readonly SessionInfo[],
  riskSince: number,
): void {
  for (const removal of removals) {
    const last = latestSession(sessionsOf(removal.machineName));
    if (last === undefined || last < riskSince) continue;
    outcome.riskyCount++;
    if (outcome.risky.length < WHAT_IF_LISTED) {
      outcome.risky.push({
        projectId: fetched.projectId,
        serverGroupId: fetched.group.id,
        serverGroupName: fetched.group.name,
        serverId: removal.serverId,
        machineName: removal.machineName,
        lastSessionAt: new Date(last).toISOString(),
      });
    }
  }
}
