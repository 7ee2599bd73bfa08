import type * as z from 'zod';
import { IncompleteListingError, ResponseSchemaError } from '../errors.ts';
import { type HttpCore, pathSegment } from './http.ts';
import {
  type AppServer,
  AppServerSchema,
  type AppTypeSchema,
  BatchDeleteResponseSchema,
  BatchMaintResponseSchema,
  type Job,
  JobSchema,
  ListAppServersResponseSchema,
  ListServerGroupsResponseSchema,
  ListSessionsResponseSchema,
  LogoffResponseSchema,
  type ServerGroup,
  type SessionInfo,
  type SessionState,
} from './schemas.ts';
import type { QueryParams } from './signer.ts';

/** APS pages are requested at the API's maximum size. */
export const PAGE_SIZE = 100;
/** The most server ids one batch-delete or batch-maint call takes (docs/huawei-api.md). */
export const BATCH_LIMIT = 20;

export interface ApsClientOptions {
  http: HttpCore;
  /** APS endpoint, e.g. `https://appstream.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  projectId: string;
}

/** Filters of `GET /v1/{project_id}/app-server-groups`, named as in the API. */
export interface ServerGroupFilters {
  server_group_name?: string | undefined;
  server_group_id?: string | undefined;
  app_type?: z.infer<typeof AppTypeSchema> | undefined;
  /** Groups whose tags contain this value. */
  tags?: string | undefined;
  /** Enterprise project scope; omitted (or `0`) = the API's default project. */
  enterprise_project_id?: string | undefined;
  /** Omitted = primary and secondary groups. */
  is_secondary_server_group?: boolean | undefined;
}

/** Filters of `GET /v1/{project_id}/app-servers`; names and ip are partial matches. */
export interface ServerFilters {
  serverGroupId?: string | undefined;
  serverId?: string | undefined;
  machineName?: string | undefined;
  maintainStatus?: boolean | undefined;
  scalingAutoCreate?: boolean | undefined;
  serverName?: string | undefined;
  ipAddr?: string | undefined;
}

/** A session query; both bounds apply to the session's start time. */
export interface SessionQuery {
  serverGroupId?: string | undefined;
  machineName?: string | undefined;
  begin: Date;
  end: Date;
  sessionState?: readonly SessionState[] | undefined;
}

/** A log-off of sessions (SDK `LogoffUserSessionReq`). */
export interface LogoffRequest {
  sessionIds: readonly string[];
  /** What the user sees before the session ends. */
  message: string;
  title?: string | undefined;
  /** The dialog's severity: 0 info (default), 1 warning, 2 serious. */
  messageType?: 0 | 1 | 2;
  /** Seconds between the message and the log-off (`delay_time`). */
  delaySeconds: number;
}

export interface ApsClient {
  /**
   * Streams every server group, page by page. Throws IncompleteListingError
   * after the last item when the listing ended short of its `count`.
   */
  listServerGroups(filters?: ServerGroupFilters): AsyncGenerator<ServerGroup>;
  /** The group with exactly this id, or undefined when there is none. */
  getServerGroup(id: string): Promise<ServerGroup | undefined>;
  /** Every server matching the filters (all pages); IncompleteListingError when short. */
  listServers(filters: ServerFilters): Promise<AppServer[]>;
  /** Every session matching the query (all pages); IncompleteListingError when short. */
  listSessions(query: SessionQuery): Promise<SessionInfo[]>;
  /** One server, or undefined once it is gone (404). */
  getServer(id: string): Promise<AppServer | undefined>;
  /**
   * Releases 1–{@link BATCH_LIMIT} pay-per-use servers in one call
   * (`POST …/app-servers/actions/batch-delete`); follow the job with getJob.
   */
  batchDeleteServers(
    ids: readonly string[],
  ): Promise<{ jobId: string | undefined; requestId: string | undefined }>;
  /** The job with this id (`GET /v2/{project_id}/job/{job_id}`). */
  getJob(jobId: string): Promise<Job>;
  /**
   * Puts 1–{@link BATCH_LIMIT} servers into maintenance mode (`on`: no new
   * sessions are brokered to them) or takes them out of it.
   */
  batchSetMaintenance(
    ids: readonly string[],
    on: boolean,
  ): Promise<{ requestId: string | undefined }>;
  /**
   * Logs off sessions (`POST /v1/{project_id}/session/logoff`): each user is
   * shown `message`, and the session ends `delaySeconds` later. The answer
   * has no body; the sessions end asynchronously (re-list them to see it).
   */
  logoffSessions(request: LogoffRequest): Promise<{ requestId: string | undefined }>;
}

/** Throws a RangeError unless `ids` holds 1–{@link BATCH_LIMIT} non-empty, distinct ids. */
export function checkBatch(what: string, ids: readonly string[]): void {
  if (ids.length < 1 || ids.length > BATCH_LIMIT) {
    throw new RangeError(`${what}: ${ids.length} server ids, the API takes 1 to ${BATCH_LIMIT}`);
  }
  if (ids.some((id) => typeof id !== 'string' || id === '')) {
    throw new RangeError(`${what}: every server id must be a non-empty string`);
  }
  if (new Set(ids).size !== ids.length) {
    throw new RangeError(`${what}: server ids must be distinct`);
  }
}

/** Every page's items in one array (a step per page, not per item: listings are read whole). */
async function collect<T>(pages: AsyncIterable<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) for (const item of page) out.push(item);
  return out;
}

/**
 * A client of the Workspace Application Streaming (APS) API over one HTTP
 * core. Listings use offset pagination at {@link PAGE_SIZE} per page.
 */
export function createApsClient(options: ApsClientOptions): ApsClient {
  const { http, endpoint } = options;
  const project = `/v1/${pathSegment(options.projectId)}`;

  /** Each page's items in turn; IncompleteListingError after the last when short of `count`. */
  async function* paginate<T>(
    what: string,
    path: string,
    query: QueryParams,
    schema: z.ZodType<{ count: number; items: T[] }>,
  ): AsyncGenerator<T[]> {
    const page = (offset: number) =>
      http.request({
        method: 'GET',
        baseUrl: endpoint,
        path,
        query: { ...query, offset, limit: PAGE_SIZE },
        schema,
      });
    let offset = 0;
    let received = 0;
    let count = 0;
    let lastRequestId: string | undefined;
    let next = page(0);
    for (;;) {
      const { data, requestId } = await next;
      if (data === undefined) {
        throw new ResponseSchemaError({ method: 'GET', path, requestId, detail: 'body is empty' });
      }
      lastRequestId = requestId;
      // `count` is the total; the latest page's word on it is the one kept.
      count = data.count;
      const more = data.items.length > 0 && offset + data.items.length < count;
      if (more) {
        // Read one page ahead, only when the total says there is one, so its
        // round trip overlaps the caller's work on this page. Its failure is
        // seen when it is awaited; a caller that stops early leaves it unread.
        next = page(offset + data.items.length);
        next.catch(() => undefined);
      }
      yield data.items;
      received += data.items.length;
      offset += data.items.length;
      if (!more) break;
    }
    if (received < count) throw new IncompleteListingError(what, count, received, lastRequestId);
  }

  const serverGroupPages = (filters: ServerGroupFilters): AsyncGenerator<ServerGroup[]> =>
    paginate(
      'server groups',
      `${project}/app-server-groups`,
      { ...filters },
      ListServerGroupsResponseSchema,
    );

  async function* listServerGroups(filters: ServerGroupFilters = {}): AsyncGenerator<ServerGroup> {
    for await (const page of serverGroupPages(filters)) yield* page;
  }

  return {
    listServerGroups,

    async getServerGroup(id) {
      // The id filter may match loosely: keep only the exact id.
      const groups = await collect(serverGroupPages({ server_group_id: id }));
      return groups.find((group) => group.id === id);
    },

    listServers(filters) {
      return collect(
        paginate(
          'app servers',
          `${project}/app-servers`,
          {
            server_group_id: filters.serverGroupId,
            server_id: filters.serverId,
            machine_name: filters.machineName,
            maintain_status: filters.maintainStatus,
            scaling_auto_create: filters.scalingAutoCreate,
            server_name: filters.serverName,
            ip_addr: filters.ipAddr,
          },
          ListAppServersResponseSchema,
        ),
      );
    },

    listSessions(query) {
      const states = query.sessionState ?? [];
      return collect(
        paginate(
          'sessions',
          `${project}/session/list-sessions`,
          {
            query_begin_time: query.begin.toISOString(),
            query_end_time: query.end.toISOString(),
            app_server_group_id: query.serverGroupId,
            machine_name: query.machineName,
            session_state: states.length > 0 ? states.join(',') : undefined,
          },
          ListSessionsResponseSchema,
        ),
      );
    },

    async getServer(id) {
      const { status, data } = await http.request({
        method: 'GET',
        baseUrl: endpoint,
        path: `${project}/app-servers/${pathSegment(id)}`,
        schema: AppServerSchema,
        acceptStatuses: [404],
      });
      return status === 404 ? undefined : data;
    },

    async batchDeleteServers(ids) {
      checkBatch('batchDeleteServers', ids);
      const { data, requestId } = await http.request({
        method: 'POST',
        baseUrl: endpoint,
        path: `${project}/app-servers/actions/batch-delete`,
        body: { items: [...ids] },
        schema: BatchDeleteResponseSchema,
      });
      return { jobId: data?.job_id, requestId };
    },

    async getJob(jobId) {
      const path = `/v2/${pathSegment(options.projectId)}/job/${pathSegment(jobId)}`;
      const { data, requestId } = await http.request({
        method: 'GET',
        baseUrl: endpoint,
        path,
        schema: JobSchema,
      });
      if (data === undefined) {
        throw new ResponseSchemaError({ method: 'GET', path, requestId, detail: 'body is empty' });
      }
      return data;
    },

    async batchSetMaintenance(ids, on) {
      checkBatch('batchSetMaintenance', ids);
      const { requestId } = await http.request({
        method: 'PATCH',
        baseUrl: endpoint,
        path: `${project}/app-servers/actions/batch-maint`,
        body: { items: [...ids], maintain_status: on },
        schema: BatchMaintResponseSchema,
      });
      return { requestId };
    },

    async logoffSessions(request) {
      const ids = request.sessionIds;
      if (ids.length === 0 || ids.some((id) => id === '') || new Set(ids).size !== ids.length) {
        throw new RangeError('logoffSessions: 1 or more distinct, non-empty session ids');
      }
      const { requestId } = await http.request({
        method: 'POST',
        baseUrl: endpoint,
        path: `${project}/session/logoff`,
        body: {
          session_ids: [...ids],
          message_type: request.messageType ?? 0,
          ...(request.title === undefined ? {} : { title: request.title }),
          message: request.message,
          delay_time: request.delaySeconds,
        },
        schema: LogoffResponseSchema,
      });
      return { requestId };
    },
  };
}
