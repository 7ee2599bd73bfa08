import type { AppServer, SessionInfo } from '../huawei/schemas.ts';
import type { Ending, GroupEvaluation, RemovalServices } from '../removal/lifecycle.ts';
import { createEcsGroupResolver } from '../removal/lifecycle.ts';
import { joinSessions } from '../scaling/session-join.ts';
import type { Decision } from '../scaling/types.ts';
import type { GroupReport } from './report.ts';

/** A scale-in group evaluated and held until the whole sweep is known to stay under the cap. */
export interface HeldGroup {
  projectId: string;
  services: RemovalServices;
  evaluation: GroupEvaluation & { decision: Extract<Decision, { kind: 'scale-in' }> };
  report: GroupReport;
  /** How its removals end when the sweep learns their outcome without acting (aborted, deadline, failed). */
  end: Ending;
}

/**
 * What acting reads of a chosen server: its id, the keys sessions join it by
 * (lib/scaling/session-join.ts), and its charging mode (a release refused
 * before any drain, lib/removal/actuation/remover.ts `releaseRefusal`).
 */
export type HeldServer = Pick<
  AppServer,
  'id' | 'machine_name' | 'sid' | 'host_address' | 'metadata'
>;

/**
 * What the re-check before acting reads of a session: the keys it joins a
 * server by, its id and state, and the one time the idle rules read
 * (lib/scaling/idle.ts `assessMember`: its end_time, else its
 * last_update_status_time, else its start_time).
 */
export type HeldSession = Pick<
  SessionInfo,
  | 'id'
  | 'machine_name'
  | 'machine_sid'
  | 'vm_ip'
  | 'session_state'
  | 'end_time'
  | 'last_update_status_time'
  | 'start_time'
>;

const SERVER_FIELDS = ['id', 'machine_name', 'sid'] as const;
// The documented charging modes (docs/huawei-api.md) as one shared, frozen
// metadata each: tens of thousands of held servers need no copy of their own.
const CHARGING_MODES: ReadonlyMap<string, Record<string, string>> = new Map(
  ['0', '1', '2'].map((mode) => [mode, Object.freeze({ charging_mode: mode })]),
);
const NO_METADATA: Record<string, string> = Object.freeze({});
const SESSION_KEYS = ['id', 'machine_name', 'machine_sid', 'vm_ip', 'session_state'] as const;
/** In the order the idle rules try them: only the first one set is read. */
const SESSION_TIMES = ['end_time', 'last_update_status_time', 'start_time'] as const;

/**
 * What acting on a group needs, and no more: between evaluation and action a
 * large sweep holds every scale-in group of the fleet, so the member list,
 * every session but those of the servers to remove, and every field acting
 * does not read are let go. A listed server carries some 40 fields (product
 * info, tags, addresses, times); kept whole, the chosen servers of 10,000
 * groups were most of an acting sweep's heap (bench/PROFILE.md, "Memory").
 * `replanned` (the drain is on) keeps of each chosen server only its id and
 * charging mode, and no session: the drain start reads no more of it
 * (lib/removal/drain/begin-drains.ts `DrainCandidate`), starts from them only
 * when nobody acted on the group since its listing
 * (lib/removal/lease/plan-still-good.ts), re-reads the group otherwise, and
 * re-checks sessions on fresh data after the wait. Their join keys and
 * addresses, held for every server the fleet drains, were the largest part
 * of what an acting sweep held at 10,000 groups (docs/performance.md, "Memory").
 */
export function keepForActing(
  evaluation: HeldGroup['evaluation'],
  options: { replanned?: boolean } = {},
): HeldGroup['evaluation'] {
  const { id, name, scaling_policy } = evaluation.group;
  const group = { id, name, scaling_policy };
  const decision = { ...evaluation.decision, members: [] };
  const listed = evaluation.listed === undefined ? {} : { listed: evaluation.listed };
  // Only the chosen servers and the sessions joined to them by machine_name,
  // sid or address, the same join the evaluation used, for the re-check
  // before acting.
  const chosen = new Set(evaluation.decision.remove.map((r) => r.serverId));
  const servers = evaluation.servers.filter((s) => chosen.has(s.id));
  if (options.replanned) {
    return { group, decision, servers: servers.map(chargedServer), sessions: undefined, ...listed };
  }
  const join =
    evaluation.sessions === undefined ? undefined : joinSessions(servers, evaluation.sessions);
  return {
    group,
    decision,
    servers: servers.map(heldServer),
    sessions:
      join === undefined
        ? undefined
        : [...new Set(servers.flatMap((s) => join.of(s)))].map(heldSession),
    ...listed,
  };
}

/** A chosen server reduced to {@link HeldServer}; a field absent stays absent. */
export function heldServer(server: AppServer): HeldServer {
  const held: HeldServer = { id: server.id };
  for (const field of SERVER_FIELDS) {
    if (server[field] !== undefined) held[field] = server[field];
  }
  if (server.host_address !== undefined) {
    // Only the address joins sessions (vm_ip).
    held.host_address = server.host_address.map((entry) =>
      entry.addr === undefined ? {} : { addr: entry.addr },
    );
  }
  const metadata = heldMetadata(server.metadata);
  if (metadata !== undefined) held.metadata = metadata;
  return held;
}

// Only the charging mode (a release refused before any drain); absent and null stay so.
function heldMetadata(metadata: AppServer['metadata']): HeldServer['metadata'] {
  if (metadata == null) return metadata;
  const mode = metadata['charging_mode'];
  return mode === undefined ? NO_METADATA : (CHARGING_MODES.get(mode) ?? { charging_mode: mode });
}

/** A chosen server reduced to what the drain start reads: its id and charging mode. */
function chargedServer(server: AppServer): HeldServer {
  const metadata = heldMetadata(server.metadata);
  return metadata === undefined ? { id: server.id } : { id: server.id, metadata };
}

/** A joined session reduced to {@link HeldSession}; a field absent stays absent. */
export function heldSession(session: SessionInfo): HeldSession {
  const held: HeldSession = { id: session.id };
  for (const field of SESSION_KEYS) {
    if (session[field] !== undefined) (held as Record<string, unknown>)[field] = session[field];
  }
  const time = SESSION_TIMES.find((field) => session[field] != null);
  if (time !== undefined) held[time] = session[time];
  return held;
}

/**
 * Narrows each project's ECS lookups to the instances its held groups will
 * remove (see `createEcsGroupResolver`'s `only`): the index of the first
 * removal then holds those instead of every member of every ECS group of the
 * project. Services without a shared resolver are left as they are. Changes
 * the held groups in place (they are the sweep's own).
 */
export function narrowEcsLookups(held: readonly HeldGroup[]): void {
  const wanted = new Map<RemovalServices, Set<string>>();
  for (const group of held) {
    if (group.services.ecsGroupsOf === undefined) continue;
    const instances = wanted.get(group.services) ?? new Set<string>();
    wanted.set(group.services, instances);
    for (const removal of group.evaluation.decision.remove) {
      if (removal.instanceId !== undefined && removal.instanceId !== '') {
        instances.add(removal.instanceId);
      }
    }
  }
  const narrowed = new Map<RemovalServices, RemovalServices>();
  for (const [services, only] of wanted) {
    narrowed.set(services, {
      ...services,
      ecsGroupsOf: createEcsGroupResolver(services.ecs, { only }),
    });
  }
  for (const group of held) group.services = narrowed.get(group.services) ?? group.services;
}
