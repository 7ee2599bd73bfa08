import type { AppServer, ServerGroup, SessionInfo } from '../../lib/huawei/schemas.ts';
import { evaluateGroup } from '../../lib/scaling/evaluate.ts';
import { countPlannedRemovals, planRemovals } from '../../lib/scaling/plan.ts';
import type { Decision, EvaluationLimits } from '../../lib/scaling/types.ts';
import type { Fleet } from '../../sim/fleet.ts';
import { type GroupListingCounts, type MinimumRequests, minimumSweepRequests } from './ideal.ts';

export interface FleetExpectation {
  listings: GroupListingCounts[];
  /** Servers a sweep with these limits removes (0 when the sweep cap aborts it). */
  removals: number;
  minimum: MinimumRequests;
}

export interface FleetExpectationOptions {
  lookbackHours: number;
  limits: EvaluationLimits;
  maxRemovalsPerSweep: number;
  /** Dry run: nothing is re-read or removed. */
  dryRun: boolean;
}

const HOUR_MS = 3_600_000;

/**
 * Reads a fleet directly (no HTTP, no client): each group's member count and
 * its sessions in the look-back window ending at the fleet's `now`, and the
 * removals the rules give for it (the pure evaluation plus the sweep cap).
 * A fleet rebased onto another clock keeps every idle time, so the same
 * numbers hold for the simulator's rebased copy.
 */
export function expectFleet(fleet: Fleet, options: FleetExpectationOptions): FleetExpectation {
  const now = Date.parse(fleet.now);
  const begin = now - options.lookbackHours * HOUR_MS;
  const servers = new Map<string, AppServer[]>();
  for (const server of fleet.servers) {
    if (server.server_group_id === undefined) continue;
    const list = servers.get(server.server_group_id) ?? [];
    list.push(server);
    servers.set(server.server_group_id, list);
  }
  const groupOf = new Map<string, string>();
  for (const server of fleet.servers) {
    if (server.server_group_id !== undefined)
      groupOf.set(server.machine_name, server.server_group_id);
  }
  const sessions = new Map<string, SessionInfo[]>();
  for (const session of fleet.sessions ?? []) {
    const groupId = session.app_server_group_id ?? groupOf.get(session.machine_name);
    const start = Date.parse(session.start_time);
    if (groupId === undefined || start < begin || start > now) continue;
    const list = sessions.get(groupId) ?? [];
    list.push(session);
    sessions.set(groupId, list);
  }
  const decisions: Decision[] = [];
  const listings: GroupListingCounts[] = [];
  for (const group of fleet.groups) {
    const members = servers.get(group.id) ?? [];
    const windowed = sessions.get(group.id) ?? [];
    listings.push({ servers: members.length, sessions: windowed.length });
    decisions.push(
      evaluateGroup({
        group: group as ServerGroup,
        servers: members,
        sessions: windowed,
        now,
        limits: options.limits,
      }),
    );
  }
  const plan = planRemovals(countPlannedRemovals(decisions), {
    maxRemovalsPerSweep: options.maxRemovalsPerSweep,
  });
  const removals = options.dryRun || plan.kind === 'aborted' ? 0 : plan.planned;
  return { listings, removals, minimum: minimumSweepRequests({ groups: listings, removals }) };
}
