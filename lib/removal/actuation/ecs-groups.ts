import { type EcsClient, indexServerGroupsByMember } from '../../huawei/ecs-client.ts';
import type { EcsGroupResolver } from '../types.ts';

/**
 * The resolver of an instance's ECS server groups. Build one per project per
 * invocation and share it by every group acted on. A failed lookup is not
 * kept: the next removal asks again.
 *
 * Without `only` (a fanout's or a remediate invocation's, which removes from
 * one or a few groups) each instance is looked up in its own ECS record
 * (`serverGroupsOf`: one request, whatever the number of groups in the
 * project), once per instance. Listing every group of the project there
 * would make the fanout's requests grow with the square of the fleet.
 *
 * `only`: the instances the caller will ask about (an inline sweep's chosen
 * servers, usually many). The project's ECS groups are then listed once, on
 * the first use (a run that removes nothing lists nothing), and the index
 * holds those instances alone; an instance outside `only` (say, one whose
 * fresh read names another instance) is looked up in its own record.
 */
export function createEcsGroupResolver(
  ecs: Pick<EcsClient, 'listServerGroups' | 'serverGroupsOf'>,
  options: { only?: ReadonlySet<string> } = {},
): EcsGroupResolver {
  const { only } = options;
  const kept = new Map<string, Promise<readonly string[]>>();
  const once = <T>(key: string, load: () => Promise<T>, into: Map<string, Promise<T>>) => {
    let answer = into.get(key);
    if (answer === undefined) {
      answer = load().catch((error: unknown) => {
        into.delete(key);
        throw error;
      });
      into.set(key, answer);
    }
    return answer;
  };
  const ownRecord = (instanceUuid: string) =>
    once(instanceUuid, () => ecs.serverGroupsOf(instanceUuid), kept);
  if (only === undefined) return ownRecord;

  const listed = new Map<string, Promise<Map<string, readonly string[]>>>();
  const listing = async () => {
    const groups = [];
    for await (const group of ecs.listServerGroups()) {
      const members = group.members.filter((m) => only.has(m));
      if (members.length > 0) groups.push({ id: group.id, members });
    }
    return indexServerGroupsByMember(groups);
  };
  return async (instanceUuid) => {
    if (!only.has(instanceUuid)) return ownRecord(instanceUuid);
    return (await once('', listing, listed)).get(instanceUuid) ?? [];
  };
}
