// Every mutation must keep the indexes by group, id, instance id and machine
// name consistent, and one class holding them all keeps that invariant in one
// place. Sessions are indexed in session-index.ts, list filters are in
// list-filters.ts, jobs in jobs.ts, fleet defaults in fleet-defaults.ts.
import type { AppServer, ServerGroup, SessionInfo } from '../lib/huawei/schemas.ts';
import { defaultEcsGroups, EcsGroups, type EcsRemoveResult } from './ecs-groups.ts';
import type { Fleet, FleetServer } from './fleet.ts';
import {
  type AddSessionInput,
  newSession,
  normalizeGroup,
  normalizeServer,
  normalizeSession,
} from './fleet-defaults.ts';
import { JobBook, type JobRecord, jobView } from './jobs.ts';
import {
  filterGroups,
  filterServers,
  type GroupFilter,
  type Page,
  paginate,
  type ServerFilter,
  type SessionFilter,
  sessionMatches,
} from './list-filters.ts';
import { deterministicUuid } from './prng.ts';
import { firstAtOrAfter, SessionIndex, type SessionRecord } from './session-index.ts';

export type { AddSessionInput } from './fleet-defaults.ts';
export type { JobRecord } from './jobs.ts';
export type { GroupFilter, Page, ServerFilter, SessionFilter } from './list-filters.ts';

export type AddMemberResult =
  | { kind: 'added' }
  | { kind: 'no-group' }
  | { kind: 'unknown-instance' }
  | { kind: 'already-member' }
  | { kind: 'member-elsewhere'; groupId: string };

/**
 * The simulated cloud: server groups, app servers, sessions and jobs, with
 * indexes by group, id, instance id and machine name so no request scans the
 * whole fleet unless its filters force it. Objects handed out are the live
 * records: treat them as read-only.
 */
export class SimState {
  projectId = '';
  seed = 1;
  jobDurationMs = 0;
  private readonly groupsById = new Map<string, ServerGroup>();
  private groupOrder: ServerGroup[] = [];
  private readonly serversById = new Map<string, AppServer>();
  private readonly serversByGroup = new Map<string, Map<string, AppServer>>();
  private readonly serversByInstance = new Map<string, AppServer>();
  private readonly serversByMachine = new Map<string, AppServer>();
  private allServersCache: AppServer[] | null = null;
  private readonly sessionIndex = new SessionIndex();
  private readonly jobBook = new JobBook();
  /** Told the id of every server a removal detached or deleted, as it happens (the call log's `removed`). */
  removalListener: ((serverId: string) => void) | undefined;
  private sessionCounter = 0;
  /** ECS server groups: their own entities with their own ids (sim/ecs-groups.ts). */
  readonly ecs = new EcsGroups();
  /** The APS group a server left when its instance left its ECS group. */
  private readonly leftGroup = new Map<string, string>();

  /**
   * Replaces the whole state with a fleet, filling the fields a fleet may
   * omit (sim/README.md lists the defaults). Takes ownership of the objects.
   */
  load(fleet: Fleet, options: { seed?: number; jobDurationMs?: number } = {}): void {
    this.projectId = fleet.projectId;
    this.seed = options.seed ?? this.seed;
    this.jobDurationMs = options.jobDurationMs ?? this.jobDurationMs;
    this.groupsById.clear();
    this.serversById.clear();
    this.serversByGroup.clear();
    this.serversByInstance.clear();
    this.serversByMachine.clear();
    this.allServersCache = null;
    this.jobBook.clear();
    this.sessionCounter = 0;

    this.groupOrder = fleet.groups.map((g) => {
      const group = normalizeGroup(g, fleet.now);
      this.groupsById.set(group.id, group);
      this.serversByGroup.set(group.id, new Map());
      return group;
    });
    fleet.servers.forEach((s, i) => {
      const group =
        s.server_group_id === undefined ? undefined : this.groupsById.get(s.server_group_id);
      this.insertServer(normalizeServer(s, i, group));
    });
    const records = (fleet.sessions ?? []).map((s) => {
      const info = normalizeSession(s, this.serversByMachine.get(s.machine_name));
      return { info, startMs: Date.parse(s.start_time) };
    });
    this.sessionIndex.load(records);
    this.leftGroup.clear();
    this.ecs.load(fleet.ecsServerGroups ?? defaultEcsGroups(fleet.groups, fleet.servers));
  }

  private insertServer(server: AppServer): void {
    this.serversById.set(server.id, server);
    if (server.instance_id !== undefined) this.serversByInstance.set(server.instance_id, server);
    if (server.machine_name !== undefined) this.serversByMachine.set(server.machine_name, server);
    if (server.server_group_id != null) this.attach(server, server.server_group_id);
    this.allServersCache = null;
  }

  private attach(server: AppServer, groupId: string): void {
    const members = this.serversByGroup.get(groupId);
    const group = this.groupsById.get(groupId);
    if (!members || !group) return;
    server.server_group_id = groupId;
    members.set(server.id, server);
    group.app_server_count = members.size;
  }

  private detach(server: AppServer): void {
    const groupId = server.server_group_id;
    if (groupId == null) return;
    const members = this.serversByGroup.get(groupId);
    const group = this.groupsById.get(groupId);
    members?.delete(server.id);
    if (group && members) group.app_server_count = members.size;
    delete server.server_group_id;
  }

  /** Groups in fleet order. */
  get groups(): readonly ServerGroup[] {
    return this.groupOrder;
  }

  /** Every app server (grouped or not), in load order. */
  get servers(): readonly AppServer[] {
    this.allServersCache ??= Array.from(this.serversById.values());
    return this.allServersCache;
  }

  /** Every session, oldest start first. */
  get sessions(): readonly SessionInfo[] {
    return this.sessionIndex.sessions();
  }

  getGroup(id: string): ServerGroup | undefined {
    return this.groupsById.get(id);
  }

  getServer(id: string): AppServer | undefined {
    return this.serversById.get(id);
  }

  getServerByInstance(instanceId: string): AppServer | undefined {
    return this.serversByInstance.get(instanceId);
  }

  getServerByMachine(machineName: string): AppServer | undefined {
    return this.serversByMachine.get(machineName);
  }

  /** The current members of a group, in membership order. */
  membersOf(groupId: string): AppServer[] {
    return Array.from(this.serversByGroup.get(groupId)?.values() ?? []);
  }

  /** Sessions recorded on a machine, oldest start first. */
  sessionsOf(machineName: string): SessionInfo[] {
    return this.sessionIndex.ofMachine(machineName);
  }

  listGroups(filter: GroupFilter, offset: number, limit: number): Page<ServerGroup> {
    let candidates: readonly ServerGroup[];
    if (filter.id !== undefined) {
      const group = this.groupsById.get(filter.id);
      candidates = group ? [group] : [];
    } else {
      candidates = this.groupOrder;
    }
    return paginate(filterGroups(candidates, filter), offset, limit);
  }

  listServers(filter: ServerFilter, offset: number, limit: number): Page<AppServer> {
    let candidates: readonly AppServer[];
    if (filter.serverId !== undefined) {
      const server = this.serversById.get(filter.serverId);
      candidates = server ? [server] : [];
    } else if (filter.groupId !== undefined) {
      candidates = this.membersOf(filter.groupId);
    } else {
      candidates = this.servers;
    }
    return paginate(filterServers(candidates, filter), offset, limit);
  }

  /** Sessions whose start lies in [beginMs, endMs], newest first. */
  listSessions(filter: SessionFilter, offset: number, limit: number): Page<SessionInfo> {
    const source = this.sessionIndex.source(filter);
    const from = firstAtOrAfter(source, filter.beginMs);
    const to = firstAtOrAfter(source, filter.endMs + 1);
    const matches: SessionInfo[] = [];
    for (let i = to - 1; i >= from; i--) {
      const s = (source[i] as SessionRecord).info;
      if (sessionMatches(s, filter)) matches.push(s);
    }
    return paginate(matches, offset, limit);
  }

  /**
   * remove_member on an ECS group. When the instance leaves its last ECS
   * group its APS server also leaves its APS group: a modelling choice of the
   * simulator (the real APS effect is unconfirmed, sim/README.md), so that a
   * later sweep does not plan the same server again.
   */
  removeMember(ecsGroupId: string, instanceId: string): EcsRemoveResult {
    const result = this.ecs.removeMember(ecsGroupId, instanceId);
    const server = this.serversByInstance.get(instanceId);
    if (result === 'removed' && server && this.ecs.groupsOf(instanceId).length === 0) {
      if (server.server_group_id != null) this.leftGroup.set(instanceId, server.server_group_id);
      this.detach(server);
      this.removalListener?.(server.id);
    }
    return result;
  }

  /** Adds one server as a fleet names it (defaults filled), e.g. one APS created (sim/scale-out.ts). */
  addServer(s: FleetServer): AppServer {
    const group =
      s.server_group_id === undefined ? undefined : this.groupsById.get(s.server_group_id);
    const server = normalizeServer(s, this.serversById.size, group);
    this.insertServer(server);
    return server;
  }

  /** add_member on an ECS group; the APS server rejoins the APS group it left, if any. */
  addMember(ecsGroupId: string, instanceId: string): AddMemberResult {
    if (!this.ecs.has(ecsGroupId)) return { kind: 'no-group' };
    const server = this.serversByInstance.get(instanceId);
    if (!server) return { kind: 'unknown-instance' };
    const held = this.ecs.groupsOf(instanceId);
    if (held.includes(ecsGroupId)) return { kind: 'already-member' };
    if (held.length > 0) return { kind: 'member-elsewhere', groupId: held[0] as string };
    this.ecs.addMember(ecsGroupId, instanceId);
    const apsGroup = this.leftGroup.get(instanceId);
    if (apsGroup !== undefined && server.server_group_id == null) this.attach(server, apsGroup);
    this.leftGroup.delete(instanceId);
    return { kind: 'added' };
  }

  /** Applies a PATCH to one server; false when it does not exist. */
  updateServer(
    id: string,
    patch: {
      name?: string | undefined;
      description?: string | undefined;
      maintain_status?: boolean | undefined;
    },
    nowMs: number,
  ): boolean {
    const server = this.serversById.get(id);
    if (!server) return false;
    if (patch.name !== undefined) server.name = patch.name;
    if (patch.description !== undefined) server.description = patch.description;
    if (patch.maintain_status !== undefined) server.maintain_status = patch.maintain_status;
    server.update_time = new Date(nowMs).toISOString();
    return true;
  }

  /** Deletes the servers that exist among `ids` and records a job for the call. */
  deleteServers(ids: readonly string[], jobType: string, nowMs: number): JobRecord {
    for (const id of ids) {
      const server = this.serversById.get(id);
      if (!server) continue;
      this.detach(server);
      this.serversById.delete(id);
      if (server.instance_id !== undefined) {
        this.serversByInstance.delete(server.instance_id);
        this.ecs.dropInstance(server.instance_id);
      }
      if (server.machine_name !== undefined) this.serversByMachine.delete(server.machine_name);
      this.allServersCache = null;
      this.removalListener?.(id);
    }
    return this.jobBook.start(ids, jobType, nowMs, {
      seed: this.seed,
      durationMs: this.jobDurationMs,
    });
  }

  getJob(id: string): JobRecord | undefined {
    return this.jobBook.get(id);
  }

  /** The API view of a job at `nowMs` (sim/jobs.ts). */
  jobView(job: JobRecord, nowMs: number): Record<string, unknown> {
    return jobView(job, nowMs);
  }

  get jobs(): readonly JobRecord[] {
    return this.jobBook.all;
  }

  /**
   * Records a session on a server's machine (a user logging in, say). Fields
   * left out default from the server and `nowMs`; an `Active` session also
   * raises the server's session_count by one.
   */
  addSession(input: AddSessionInput, nowMs: number): SessionInfo {
    const server = this.serversByMachine.get(input.machine_name);
    this.sessionCounter += 1;
    const id = deterministicUuid(this.seed, 'session', this.sessionCounter);
    const info = newSession(input, server, nowMs, id);
    if (this.sessionIndex.has(info.id)) throw new Error(`session ${info.id} already exists`);
    const startMs = input.start_time == null ? nowMs : Date.parse(input.start_time);
    const record: SessionRecord = { info, startMs };
    if (Number.isNaN(record.startMs)) throw new Error('start_time is not an instant');
    this.sessionIndex.add(record);
    if (server && info.session_state === 'Active') {
      server.session_count = (server.session_count ?? 0) + 1;
    }
    return info;
  }

  /** Sets a server's session_count; false when it does not exist. */
  setSessionCount(serverId: string, count: number): boolean {
    const server = this.serversById.get(serverId);
    if (!server) return false;
    server.session_count = count;
    return true;
  }

  /** Everything, for GET /_sim/state. */
  snapshot(nowMs: number): Record<string, unknown> {
    return {
      projectId: this.projectId,
      now: new Date(nowMs).toISOString(),
      groups: this.groupOrder,
      ecsServerGroups: this.ecs.all,
      servers: this.servers,
      sessions: this.sessions,
      jobs: this.jobs.map((j) => this.jobView(j, nowMs)),
    };
  }
}
