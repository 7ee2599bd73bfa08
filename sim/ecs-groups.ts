import { deterministicUuid } from './prng.ts';

// ECS server groups (`os-server-groups`): anti-affinity groups with their own
// ids and members (instance UUIDs). They are not APS server groups: no APS
// field names one (docs/huawei-api.md), and a fleet must never reuse an APS
// group id as an ECS id.

/** An ECS server group as the fleet gives it; name, policies and metadata may be left out. */
export interface FleetEcsGroup {
  id: string;
  name?: string | undefined;
  policies?: string[] | undefined;
  metadata?: Record<string, string> | undefined;
  members: string[];
}

/** The API view (SDK `ListServerGroupsResult`): every field present. */
export interface EcsGroupView {
  id: string;
  name: string;
  members: string[];
  metadata: Record<string, string>;
  policies: string[];
}

interface EcsGroupRecord {
  id: string;
  name: string;
  policies: string[];
  metadata: Record<string, string>;
  /** Instance UUIDs in membership order. */
  members: Set<string>;
}

/**
 * The ECS groups a fleet without `ecsServerGroups` gets: one anti-affinity
 * group per APS group holding that group's instances, each with its own id.
 */
export function defaultEcsGroups(
  groups: readonly { id: string; name?: string | undefined }[],
  servers: readonly { server_group_id?: string | undefined; instance_id: string }[],
): FleetEcsGroup[] {
  const byApsGroup = new Map<string, string[]>();
  for (const server of servers) {
    if (server.server_group_id === undefined) continue;
    const members = byApsGroup.get(server.server_group_id) ?? [];
    members.push(server.instance_id);
    byApsGroup.set(server.server_group_id, members);
  }
  return groups.map((group, i) => ({
    id: deterministicUuid('ecs-server-group', i),
    name: `ecs-${group.name ?? group.id}`,
    members: byApsGroup.get(group.id) ?? [],
  }));
}

export type EcsRemoveResult = 'removed' | 'no-group' | 'not-member';
export type EcsAddResult = 'added' | 'no-group' | 'already-member';

/** The project's ECS server groups, in creation order, indexed by id and by member. */
export class EcsGroups {
  private readonly byId = new Map<string, EcsGroupRecord>();
  private order: EcsGroupRecord[] = [];
  private position = new Map<string, number>();
  private readonly byMember = new Map<string, Set<string>>();

  load(groups: readonly FleetEcsGroup[]): void {
    this.byId.clear();
    this.byMember.clear();
    this.position = new Map();
    this.order = groups.map((g, i) => {
      const record: EcsGroupRecord = {
        id: g.id,
        name: g.name ?? g.id,
        policies: g.policies ?? ['anti-affinity'],
        metadata: g.metadata ?? {},
        members: new Set(),
      };
      this.byId.set(g.id, record);
      this.position.set(g.id, i);
      for (const member of g.members) this.add(record, member);
      return record;
    });
  }

  private add(record: EcsGroupRecord, member: string): void {
    record.members.add(member);
    const held = this.byMember.get(member) ?? new Set<string>();
    held.add(record.id);
    this.byMember.set(member, held);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The API view of one group, or undefined. */
  show(id: string): EcsGroupView | undefined {
    const record = this.byId.get(id);
    return record === undefined ? undefined : view(record);
  }

  /** The ids of the groups holding an instance. */
  groupsOf(instanceUuid: string): string[] {
    return [...(this.byMember.get(instanceUuid) ?? [])];
  }

  /** Groups after `marker` (a group id) in creation order; `more` when some follow. */
  page(marker: string | undefined, limit: number): { groups: EcsGroupView[]; more: boolean } {
    const start = marker === undefined ? 0 : (this.position.get(marker) ?? -1) + 1;
    const slice = this.order.slice(start, start + limit);
    return { groups: slice.map(view), more: start + limit < this.order.length };
  }

  removeMember(groupId: string, instanceUuid: string): EcsRemoveResult {
    const record = this.byId.get(groupId);
    if (record === undefined) return 'no-group';
    if (!record.members.delete(instanceUuid)) return 'not-member';
    this.byMember.get(instanceUuid)?.delete(groupId);
    return 'removed';
  }

  addMember(groupId: string, instanceUuid: string): EcsAddResult {
    const record = this.byId.get(groupId);
    if (record === undefined) return 'no-group';
    if (record.members.has(instanceUuid)) return 'already-member';
    this.add(record, instanceUuid);
    return 'added';
  }

  /** A deleted server leaves every group. */
  dropInstance(instanceUuid: string): void {
    for (const groupId of this.byMember.get(instanceUuid) ?? []) {
      this.byId.get(groupId)?.members.delete(instanceUuid);
    }
    this.byMember.delete(instanceUuid);
  }

  get all(): EcsGroupView[] {
    return this.order.map(view);
  }
}

function view(record: EcsGroupRecord): EcsGroupView {
  return {
    id: record.id,
    name: record.name,
    members: [...record.members],
    metadata: record.metadata,
    policies: record.policies,
  };
}
