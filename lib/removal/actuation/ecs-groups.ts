import { type EcsClient, indexServerGroupsByMember } from '../../huawei/ecs-client.ts';
import type { EcsGroupResolver } from '../types.ts';

/**
 * A resolver that lists the project's ECS server groups once, on its first
 * use (so a run that removes nothing lists nothing), and answers every later
 * instance from the index by member. Build one per project per invocation
 * and share it by every group acted on. A failed listing is not kept: the
 * next removal lists again.
 *
 * `only`: the instances the caller will ask about (an inline sweep's chosen
 * servers). The index then holds those alone instead of every member of
 * every ECS group of the project, which grows with the fleet; an instance
 * outside `only` (say, one whose fresh read names another instance) is
 * answered by a listing of its own, kept nowhere.
 */
export function createEcsGroupResolver(
  ecs: Pick<EcsClient, 'listServerGroups'>,
  options: { only?: ReadonlySet<string> } = {},
): EcsGroupResolver {
  const { only } = options;
  let index: Promise<Map<string, readonly string[]>> | undefined;
  const load = async (wanted: ReadonlySet<string> | undefined) => {
    const groups = [];
    for await (const group of ecs.listServerGroups()) {
      const members =
        wanted === undefined ? group.members : group.members.filter((m) => wanted.has(m));
      if (members.length > 0) groups.push({ id: group.id, members });
    }
    return indexServerGroupsByMember(groups);
  };
  return async (instanceUuid) => {
    if (only !== undefined && !only.has(instanceUuid)) {
      return (await load(new Set([instanceUuid]))).get(instanceUuid) ?? [];
    }
    index ??= load(only).catch((error: unknown) => {
      index = undefined;
      throw error;
    });
    return (await index).get(instanceUuid) ?? [];
  };
}
