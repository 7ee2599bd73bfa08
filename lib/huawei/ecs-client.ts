import type { z } from 'zod';
import { HuaweiApiError, ResponseSchemaError } from '../errors.ts';
import { type Log, silentLog } from '../logger.ts';
import { type HttpCore, pathSegment } from './http.ts';
import {
  EcsActionResponseSchema,
  type EcsServerGroup,
  ListEcsServerGroupsResponseSchema,
  ShowEcsServerGroupResponseSchema,
  ShowEcsServerResponseSchema,
} from './schemas.ts';

/**
 * ECS server groups are requested this many at a time. The SDK documents no
 * maximum for `limit` (docs/huawei-api.md); 100 keeps pages small.
 */
export const ECS_PAGE_SIZE = 100;

export interface EcsClientOptions {
  http: HttpCore;
  /** ECS endpoint, e.g. `https://ecs.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  projectId: string;
  log?: Log;
}

export type RemoveMemberOutcome = 'removed' | 'already-removed';

export interface EcsClient {
  /**
   * Removes a cloud server from an ECS server group (an ECS id, never an APS
   * server group id). `already-removed` only on the 400 that says the
   * instance is not a member; a 404 (group not found) is a HuaweiApiError.
   */
  removeMember(
    serverGroupId: string,
    instanceUuid: string,
  ): Promise<{ outcome: RemoveMemberOutcome; requestId: string | undefined }>;
  /**
   * The ECS server groups one cloud server names in its own record
   * (`os:scheduler_hints.group`; `[]` when it names none): one request,
   * whatever the number of groups in the project. HuaweiApiError 404 when
   * the server is gone.
   */
  serverGroupsOf(instanceUuid: string): Promise<readonly string[]>;
  /** One ECS server group with its members; throws HuaweiApiError 404 when missing. */
  showServerGroup(id: string): Promise<EcsServerGroup>;
  /**
   * Streams every ECS server group of the project, following `page_info.next_marker`
   * (`limit`/`marker` pagination). Throws ResponseSchemaError when a marker repeats.
   */
  listServerGroups(): AsyncGenerator<EcsServerGroup>;
}

// The ECS error for "this instance is not a member of this group" is
// unconfirmed (no public source gives its code or wording; docs/huawei-api.md),
// so a 400 is matched on its message, a best guess from Nova-style wording. A
// 400 that matches none of these stays an error: never guess "removed".
const NOT_A_MEMBER = [
  /\bnot (?:a )?members?\b/i,
  /\bnot in (?:the |this )?(?:server[ -]?)?group\b/i,
  /\bmembers? (?:is |are )?(?:absent|missing|not found|does not exist|doesn't exist)\b/i,
  /\bno such member\b/i,
];

/** True when a 400 from the remove action says the instance is not (or no longer) a member. */
export function saysNotAMember(message: string | undefined): boolean {
  return message !== undefined && NOT_A_MEMBER.some((pattern) => pattern.test(message));
}

/**
 * The ECS server groups holding each instance: instance UUID → ECS group ids
 * (in listing order, each once). An instance in no group has no entry. The
 * lists are shared (every member of one group alone gets the same list), so
 * an index of many instances costs one entry each: do not change them.
 */
export function indexServerGroupsByMember(
  groups: Iterable<Pick<EcsServerGroup, 'id' | 'members'>>,
): Map<string, readonly string[]> {
  const index = new Map<string, readonly string[]>();
  for (const group of groups) {
    const only: readonly string[] = [group.id];
    for (const member of group.members) {
      const held = index.get(member);
      if (held === undefined) index.set(member, only);
      else if (!held.includes(group.id)) index.set(member, [...held, group.id]);
    }
  }
  return index;
}

/** A client of the ECS server-group API over one HTTP core. */
export function createEcsClient(options: EcsClientOptions): EcsClient {
  const { http, endpoint } = options;
  const log = options.log ?? silentLog;
  const servers = `/v1/${pathSegment(options.projectId)}/cloudservers`;
  const groups = `${servers}/os-server-groups`;

  // One object read by GET: an empty body cannot be read as one.
  const getOne = async <T>(path: string, schema: z.ZodType<T>): Promise<T> => {
    const { data, requestId } = await http.request({
      method: 'GET',
      baseUrl: endpoint,
      path,
      schema,
    });
    if (data === undefined) {
      throw new ResponseSchemaError({ method: 'GET', path, requestId, detail: 'body is empty' });
    }
    return data;
  };

  return {
    async removeMember(serverGroupId, instanceUuid) {
      const path = `${groups}/${pathSegment(serverGroupId)}/action`;
      try {
        const { requestId } = await http.request({
          method: 'POST',
          baseUrl: endpoint,
          path,
          body: { remove_member: { instance_uuid: instanceUuid } },
          // Success is 200 with an empty body. A 200 whose body is not that
          // (or an object) does not confirm the removal: it fails instead.
          // A 404 means the group was not found: an error, never proof that
          // the member is gone (docs/huawei-api.md).
          schema: EcsActionResponseSchema,
        });
        return { outcome: 'removed', requestId };
      } catch (error) {
        if (
          error instanceof HuaweiApiError &&
          error.status === 400 &&
          saysNotAMember(error.apiMessage)
        ) {
          log.info('member already removed', {
            serverGroupId,
            instanceUuid,
            status: error.status,
            code: error.code,
            requestId: error.requestId,
          });
          return { outcome: 'already-removed', requestId: error.requestId };
        }
        throw error;
      }
    },

    async serverGroupsOf(instanceUuid) {
      const { server } = await getOne(
        `${servers}/${pathSegment(instanceUuid)}`,
        ShowEcsServerResponseSchema,
      );
      return [...new Set(server['os:scheduler_hints']?.group ?? [])];
    },

    async showServerGroup(id) {
      return (await getOne(`${groups}/${pathSegment(id)}`, ShowEcsServerGroupResponseSchema))
        .server_group;
    },

    async *listServerGroups() {
      const seen = new Set<string>();
      let marker: string | undefined;
      for (;;) {
        const { data, requestId } = await http.request({
          method: 'GET',
          baseUrl: endpoint,
          path: groups,
          query: { limit: ECS_PAGE_SIZE, marker },
          schema: ListEcsServerGroupsResponseSchema,
        });
        if (data === undefined) {
          throw new ResponseSchemaError({
            method: 'GET',
            path: groups,
            requestId,
            detail: 'body is empty',
          });
        }
        for (const group of data.server_groups) yield group;
        const next = data.page_info?.next_marker;
        if (data.server_groups.length === 0 || next === undefined || next === null || next === '') {
          return;
        }
        // A marker seen before would page forever: fail loud instead.
        if (seen.has(next)) {
          throw new ResponseSchemaError({
            method: 'GET',
            path: groups,
            requestId,
            detail: `page_info.next_marker ${next} repeats`,
          });
        }
        seen.add(next);
        marker = next;
      }
    },
  };
}
