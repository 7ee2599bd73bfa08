// Over ~300 lines: one short handler per API route, read side by side. The
// route table is route-table.ts; query and body parsing is route-params.ts.
import * as z from 'zod';
import { AppTypeSchema, SessionStateSchema } from '../lib/huawei/schemas.ts';
import { formatIssues } from '../lib/validation.ts';
import { logoffSessions } from './logoff.ts';
import { batchMaint } from './maintenance.ts';
import {
  booleanParam,
  ERROR_CODES,
  first,
  instantParam,
  integerParam,
  invalid,
  jsonBody,
  page,
  type RouteContext,
  type RouteRequest,
  type RouteResult,
  SimHttpError,
} from './route-params.ts';
import { ROUTE_KEYS, ROUTE_TABLE, type RouteKey } from './route-table.ts';
import type { SimState } from './state.ts';

export type { RouteContext, RouteResult } from './route-params.ts';

export interface RouteDefinition {
  key: RouteKey;
  method: string;
  /** Matches the raw path; group 1 is the project id, the rest are params. */
  pattern: RegExp;
  /** Mutating routes never run when a fault is injected. */
  mutating: boolean;
  handle(request: RouteRequest, context: RouteContext): RouteResult;
}

const ServerIdsSchema = z.array(z.string().min(1)).min(1).max(20);

const UpdateServerBodySchema = z
  .strictObject({
    name: z.string().min(1).max(64).optional(),
    description: z.string().max(255).optional(),
    maintain_status: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one of name, description, maintain_status');

const BatchDeleteBodySchema = z.strictObject({ items: ServerIdsSchema });

const MemberBodySchema = z.strictObject({ instance_uuid: z.string().min(1) });
const EcsActionBodySchema = z
  .record(z.string(), z.unknown())
  .refine(
    (b) =>
      Object.keys(b).length === 1 &&
      (Object.hasOwn(b, 'add_member') || Object.hasOwn(b, 'remove_member')),
    'the body must have exactly one key: add_member or remove_member',
  );

function listServerGroups(request: RouteRequest, { state }: RouteContext): RouteResult {
  const q = request.query;
  const { offset, limit } = page(q, 10);
  const appType = first(q, 'app_type');
  if (appType !== undefined && !AppTypeSchema.safeParse(appType).success) {
    throw invalid(`app_type must be one of ${AppTypeSchema.options.join(', ')}`);
  }
  const enterpriseProjectId = first(q, 'enterprise_project_id');
  const body = state.listGroups(
    {
      name: first(q, 'server_group_name'),
      id: first(q, 'server_group_id'),
      appType,
      tag: first(q, 'tags'),
      secondary: booleanParam(q, 'is_secondary_server_group'),
      enterpriseProjectId: enterpriseProjectId === '' ? undefined : enterpriseProjectId,
    },
    offset,
    limit,
  );
  return { status: 200, body };
}

function getServerGroup(request: RouteRequest, { state }: RouteContext): RouteResult {
  const id = request.params[0] as string;
  const group = state.getGroup(id);
  if (!group) throw new SimHttpError(404, ERROR_CODES.notFound, `server group ${id} not found`);
  return { status: 200, body: group };
}

function listAppServers(request: RouteRequest, { state }: RouteContext): RouteResult {
  const q = request.query;
  const { offset, limit } = page(q, 10);
  const body = state.listServers(
    {
      groupId: first(q, 'server_group_id'),
      serverId: first(q, 'server_id'),
      machineName: first(q, 'machine_name'),
      serverName: first(q, 'server_name'),
      ipAddr: first(q, 'ip_addr'),
      maintainStatus: booleanParam(q, 'maintain_status'),
      scalingAutoCreate: booleanParam(q, 'scaling_auto_create'),
    },
    offset,
    limit,
  );
  return { status: 200, body };
}

function serverOr404(state: SimState, id: string) {
  const server = state.getServer(id);
  if (!server) throw new SimHttpError(404, ERROR_CODES.notFound, `app server ${id} not found`);
  return server;
}

function getAppServer(request: RouteRequest, { state }: RouteContext): RouteResult {
  return { status: 200, body: serverOr404(state, request.params[0] as string) };
}

function updateAppServer(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const id = request.params[0] as string;
  const patch = jsonBody(request, UpdateServerBodySchema);
  serverOr404(state, id);
  state.updateServer(id, patch, now);
  return { status: 200 };
}

function refuseBusy(state: SimState, ids: readonly string[]): void {
  for (const id of ids) {
    const server = state.getServer(id);
    if (server && (server.session_count ?? 0) > 0) {
      throw new SimHttpError(
        409,
        ERROR_CODES.conflict,
        `app server ${id} has ${server.session_count} session(s) and cannot be deleted`,
      );
    }
  }
}

function deleteAppServer(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const id = request.params[0] as string;
  refuseBusy(state, [id]);
  const job = state.deleteServers([id], 'DELETE_SERVER', now);
  return { status: 200, body: { job_id: job.id } };
}

function batchDeleteAppServers(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const ids = [...new Set(jsonBody(request, BatchDeleteBodySchema).items)];
  for (const id of ids) {
    const charging = state.getServer(id)?.metadata?.['charging_mode'];
    if (charging !== undefined && charging !== '0' && charging !== '2') {
      throw invalid(`app server ${id} is not pay-per-use and cannot be batch-deleted`);
    }
  }
  refuseBusy(state, ids);
  const job = state.deleteServers(ids, 'BATCH_DELETE_SERVER', now);
  return { status: 200, body: { job_id: job.id } };
}

function getJob(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const id = request.params[0] as string;
  const job = state.getJob(id);
  if (!job) throw new SimHttpError(404, ERROR_CODES.notFound, `job ${id} not found`);
  return { status: 200, body: state.jobView(job, now) };
}

function listSessions(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const q = request.query;
  const { offset, limit } = page(q, 10);
  const beginMs = instantParam(q, 'query_begin_time');
  const endMs = instantParam(q, 'query_end_time');
  if (endMs < beginMs) throw invalid('query_end_time must not be before query_begin_time');
  const rawStates = first(q, 'session_state');
  let states: Set<string> | undefined;
  if (rawStates !== undefined && rawStates !== '') {
    states = new Set(rawStates.split(',').map((s) => s.trim()));
    for (const s of states) {
      if (!SessionStateSchema.safeParse(s).success) {
        throw invalid(
          `session_state ${JSON.stringify(s)} is not one of ${SessionStateSchema.options.join(', ')}`,
        );
      }
    }
  }
  const body = state.listSessions(
    {
      beginMs,
      // Sessions that start after the virtual now have not happened yet.
      endMs: Math.min(endMs, now),
      groupId: first(q, 'app_server_group_id'),
      machineName: first(q, 'machine_name'),
      states,
      userName: first(q, 'user_name'),
      vmIp: first(q, 'vm_ip'),
      isSuccess: booleanParam(q, 'is_success'),
    },
    offset,
    limit,
  );
  return { status: 200, body };
}

function ecsAction(request: RouteRequest, { state }: RouteContext): RouteResult {
  const groupId = request.params[0] as string;
  const body = jsonBody(request, EcsActionBodySchema, true);
  const action = Object.hasOwn(body, 'add_member') ? 'add_member' : 'remove_member';
  const member = MemberBodySchema.safeParse(body[action]);
  if (!member.success) {
    throw new SimHttpError(
      400,
      ERROR_CODES.ecsInvalid,
      `invalid request body: ${formatIssues(member.error.issues, action)}`,
    );
  }
  const uuid = member.data.instance_uuid;
  if (action === 'remove_member') {
    const result = state.removeMember(groupId, uuid);
    if (result === 'no-group') {
      throw new SimHttpError(404, ERROR_CODES.ecsNotFound, `server group ${groupId} not found`);
    }
    if (result === 'not-member') {
      throw new SimHttpError(
        400,
        ERROR_CODES.ecsInvalid,
        `instance ${uuid} is not a member of server group ${groupId}`,
      );
    }
    return { status: 200 };
  }
  const result = state.addMember(groupId, uuid);
  switch (result.kind) {
    case 'added':
      return { status: 200 };
    case 'no-group':
      throw new SimHttpError(404, ERROR_CODES.ecsNotFound, `server group ${groupId} not found`);
    case 'unknown-instance':
      throw new SimHttpError(404, ERROR_CODES.ecsNotFound, `instance ${uuid} not found`);
    case 'already-member':
      throw new SimHttpError(
        400,
        ERROR_CODES.ecsInvalid,
        `instance ${uuid} is already a member of server group ${groupId}`,
      );
    case 'member-elsewhere':
      throw new SimHttpError(
        409,
        ERROR_CODES.ecsConflict,
        `instance ${uuid} is a member of server group ${result.groupId}`,
      );
  }
}

function showEcsServerGroup(request: RouteRequest, { state }: RouteContext): RouteResult {
  const id = request.params[0] as string;
  const group = state.ecs.show(id);
  if (!group) throw new SimHttpError(404, ERROR_CODES.ecsNotFound, `server group ${id} not found`);
  return { status: 200, body: { server_group: group } };
}

function listEcsServerGroups(request: RouteRequest, { state }: RouteContext): RouteResult {
  const limit = integerParam(request.query, 'limit', 1000, 1, 1000);
  const marker = first(request.query, 'marker');
  if (marker !== undefined && !state.ecs.has(marker)) {
    throw new SimHttpError(400, ERROR_CODES.ecsInvalid, `marker ${marker} not found`);
  }
  const { groups, more } = state.ecs.page(marker, limit);
  const last = groups.at(-1);
  return {
    status: 200,
    body: { server_groups: groups, page_info: more && last ? { next_marker: last.id } : {} },
  };
}

// SDK `ShowServerResponse`: the server's own record names its ECS groups in
// `os:scheduler_hints.group` (docs/huawei-api.md); here the groups it is a
// member of now. Only the fields the project reads.
function showEcsServer(request: RouteRequest, { state }: RouteContext): RouteResult {
  const uuid = request.params[0] as string;
  if (!state.getServerByInstance(uuid))
    throw new SimHttpError(404, ERROR_CODES.ecsNotFound, `server ${uuid} not found`);
  const group = state.ecs.groupsOf(uuid);
  return {
    status: 200,
    body: { server: { id: uuid, 'os:scheduler_hints': { group } } },
  };
}

/** The handler of each route in sim/route-table.ts; the type demands one per key. */
const HANDLERS: Record<RouteKey, RouteDefinition['handle']> = {
  listServerGroups,
  getServerGroup,
  listAppServers,
  batchMaint,
  batchDeleteAppServers,
  getAppServer,
  updateAppServer,
  deleteAppServer,
  getJob,
  listSessions,
  logoffSessions,
  ecsAction,
  showEcsServerGroup,
  listEcsServerGroups,
  showEcsServer,
};

/** Every API route, in the table's order: first match wins. */
export const ROUTES: readonly RouteDefinition[] = ROUTE_KEYS.map((key) => ({
  key,
  method: ROUTE_TABLE[key].method,
  pattern: new RegExp(ROUTE_TABLE[key].pattern),
  mutating: ROUTE_TABLE[key].mutating,
  handle: HANDLERS[key],
}));

export interface RouteMatch {
  route: RouteDefinition;
  projectId: string;
  params: string[];
}

/**
 * Finds the route for a method and raw path. Undefined for an unknown API
 * (the gateway answers 404 APIGW.0101); throws URIError on bad encoding.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(rawPath);
    if (!m) continue;
    const [, projectId, ...params] = m;
    return {
      route,
      projectId: decodeURIComponent(projectId as string),
      params: params.map((p) => decodeURIComponent(p as string)),
    };
  }
  return undefined;
}
