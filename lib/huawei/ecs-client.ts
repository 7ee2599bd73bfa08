import { HuaweiApiError, ResponseSchemaError } from '../errors.ts';
import { type Log, silentLog } from '../logger.ts';
import { type HttpCore, pathSegment } from './http.ts';
import {
  EcsActionResponseSchema,
  type EcsServerGroup,
  ShowEcsServerGroupResponseSchema,
} from './schemas.ts';

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
   * Removes a cloud server from an ECS server group. Idempotent: a member
   * that is already gone is `already-removed`, not an error.
   */
  removeMember(
    serverGroupId: string,
    instanceUuid: string,
  ): Promise<{ outcome: RemoveMemberOutcome; requestId: string | undefined }>;
  /** One ECS server group with its members; throws HuaweiApiError 404 when missing. */
  showServerGroup(id: string): Promise<EcsServerGroup>;
}

// The ECS error for "this instance is not a member of this group" is
// unconfirmed (no public source gives its code or wording), so a 400 is
// matched on its message, which is a best guess from Nova-style wording. A
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

/** A client of the ECS server-group API over one HTTP core. */
export function createEcsClient(options: EcsClientOptions): EcsClient {
  const { http, endpoint } = options;
  const log = options.log ?? silentLog;
  const groups = `/v1/${pathSegment(options.projectId)}/cloudservers/os-server-groups`;

  return {
    async removeMember(serverGroupId, instanceUuid) {
      const path = `${groups}/${pathSegment(serverGroupId)}/action`;
      try {
        const { status, requestId } = await http.request({
          method: 'POST',
          baseUrl: endpoint,
          path,
          body: { remove_member: { instance_uuid: instanceUuid } },
          // A 200 whose body is not the documented empty one (or an object)
          // does not confirm the removal: it fails instead of reporting one.
          schema: EcsActionResponseSchema,
          // Success is 200 with an empty body; 404 (unconfirmed) means the
          // group or the membership is gone: the goal is reached either way.
          acceptStatuses: [404],
        });
        if (status === 404) {
          log.info('member already removed', { serverGroupId, instanceUuid, status, requestId });
          return { outcome: 'already-removed', requestId };
        }
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

    async showServerGroup(id) {
      const path = `${groups}/${pathSegment(id)}`;
      const { data, requestId } = await http.request({
        method: 'GET',
        baseUrl: endpoint,
        path,
        schema: ShowEcsServerGroupResponseSchema,
      });
      if (data === undefined) {
        throw new ResponseSchemaError({ method: 'GET', path, requestId, detail: 'body is empty' });
      }
      return data.server_group;
    },
  };
}
