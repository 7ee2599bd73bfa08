import type { AppServer } from '../lib/huawei/schemas.ts';
import { deterministicUuid } from './prng.ts';
import type { SimState } from './state.ts';

/**
 * What APS does when a group's `scaling_policy` scales it out: `count` new
 * members created at `nowMs` with `scaling_auto_create: true`, each joining
 * the ECS server group its siblings are in (so it can be removed like them).
 * Throws an Error when the group does not exist.
 */
export function scaleOutGroup(
  state: SimState,
  groupId: string,
  count: number,
  nowMs: number,
): AppServer[] {
  const group = state.getGroup(groupId);
  if (group === undefined) throw new Error(`no group ${groupId}`);
  const sibling = state.membersOf(groupId)[0];
  const ecsGroup =
    sibling?.instance_id === undefined ? undefined : state.ecs.groupsOf(sibling.instance_id)[0];
  const created: AppServer[] = [];
  for (let i = 0; i < count; i++) {
    const n = state.servers.length;
    const instanceId = deterministicUuid('scale-out-instance', n);
    created.push(
      state.addServer({
        id: deterministicUuid('scale-out-server', n),
        machine_name: `${group.name}-auto-${n}`,
        instance_id: instanceId,
        server_group_id: groupId,
        scaling_auto_create: true,
        create_time: new Date(nowMs).toISOString(),
      }),
    );
    if (ecsGroup !== undefined) state.ecs.addMember(ecsGroup, instanceId);
  }
  return created;
}
