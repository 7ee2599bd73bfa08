import * as z from 'zod';
import { AppTypeSchema, SessionStateSchema } from '../lib/huawei/schemas.ts';
import { formatIssues } from '../lib/validation.ts';
import type { RouteKey } from './faults.ts';
import type { SimState } from './state.ts';

/** An error answer: `{error_code, error_msg}` with `status`. */
export class SimHttpError extends Error {
  override readonly name = 'SimHttpError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    // An expected answer, not a bug: a stack trace would cost more than the request.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.status = status;
    this.code = code;
  }
}

// Error codes are the simulator's choice: the reference publishes only the
// gateway's. Clients must branch on the status, not on these strings.
export const ERROR_CODES = {
  invalidParameter: 'WKS.00010001',
  invalidBody: 'WKS.00010002',
  unsupportedMediaType: 'WKS.00010415',
  notFound: 'WKS.00040004',
  conflict: 'WKS.00040009',
  ecsInvalid: 'Ecs.0005',
  ecsNotFound: 'Ecs.0114',
  ecsConflict: 'Ecs.0115',
  noSuchApi: 'APIGW.0101',
} as const;

export interface RouteRequest {
  /** Decoded path parameters after the project id. */
  params: readonly string[];
  query: ReadonlyMap<string, readonly string[]>;
  body: Buffer;
  contentType: string | undefined;
}

export interface RouteContext {
  state: SimState;
  /** Virtual now, epoch ms. */
  now: number;
}

/** A normal answer; `body` undefined means an empty body. */
export interface RouteResult {
  status: number;
  body?: unknown;
}

export interface RouteDefinition {
  key: RouteKey;
  method: string;
  /** Matches the raw path; group 1 is the project id, the rest are params. */
  pattern: RegExp;
  /** Mutating routes never run when a fault is injected. */
  mutating: boolean;
  handle(request: RouteRequest, context: RouteContext): RouteResult;
}

function invalid(message: string): SimHttpError {
  return new SimHttpError(400, ERROR_CODES.invalidParameter, message);
}

function first(query: RouteRequest['query'], name: string): string | undefined {
  return query.get(name)?.[0];
}

function integerParam(
  query: RouteRequest['query'],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = first(query, name);
  if (raw === undefined) return fallback;
  const value = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(
      max === Number.MAX_SAFE_INTEGER
        ? `${name} must be an integer >= ${min}`
        : `${name} must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

function booleanParam(query: RouteRequest['query'], name: string): boolean | undefined {
  const raw = first(query, name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalid(`${name} must be "true" or "false"`);
}

function page(
  query: RouteRequest['query'],
  defaultLimit: number,
): { offset: number; limit: number } {
  return {
    offset: integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(query, 'limit', defaultLimit, 1, 100),
  };
}

const InstantQuerySchema = z.iso.datetime({ offset: true });

function instantParam(query: RouteRequest['query'], name: string): number {
  const raw = first(query, name);
  if (raw === undefined || raw === '') throw invalid(`${name} is required`);
  const parsed = InstantQuerySchema.safeParse(raw);
  if (!parsed.success) throw invalid(`${name} must be an ISO 8601 instant`);
  return Date.parse(raw);
}

function jsonBody<T extends z.ZodType>(request: RouteRequest, schema: T, ecs = false): z.infer<T> {
  const code = ecs ? ERROR_CODES.ecsInvalid : ERROR_CODES.invalidBody;
  if (request.body.length === 0)
    throw new SimHttpError(400, code, 'a JSON request body is required');
  if (!/^application\/json\b/i.test(request.contentType ?? '')) {
    throw new SimHttpError(
      415,
      ERROR_CODES.unsupportedMediaType,
      'Content-Type must be application/json',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new SimHttpError(400, code, 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new SimHttpError(400, code, `invalid request body: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

const ServerIdsSchema = z.array(z.string().min(1)).min(1).max(20);

const UpdateServerBodySchema = z
  .strictObject({
    name: z.string().min(1).max(64).optional(),
    description: z.string().max(255).optional(),
    maintain_status: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one of name, description, maintain_status');

const BatchMaintBodySchema = z.strictObject({
  items: ServerIdsSchema,
  maintain_status: z.boolean(),
});

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

function batchMaint(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const body = jsonBody(request, BatchMaintBodySchema);
  // Check every id before changing any, so a bad batch changes nothing.
  for (const id of body.items) serverOr404(state, id);
  for (const id of body.items)
    state.updateServer(id, { maintain_status: body.maintain_status }, now);
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
  const group = state.ecsServerGroup(id);
  if (!group) throw new SimHttpError(404, ERROR_CODES.ecsNotFound, `server group ${id} not found`);
  return { status: 200, body: { server_group: group } };
}

function listEcsServerGroups(request: RouteRequest, { state }: RouteContext): RouteResult {
  const limit = integerParam(request.query, 'limit', 1000, 1, 1000);
  const marker = first(request.query, 'marker');
  if (marker !== undefined && !state.hasGroupMarker(marker)) {
    throw new SimHttpError(400, ERROR_CODES.ecsInvalid, `marker ${marker} not found`);
  }
  const { groups, more } = state.groupsAfter(marker, limit);
  const serverGroups = groups.map((g) => state.ecsServerGroup(g.id));
  const last = groups.at(-1);
  return {
    status: 200,
    body: {
      server_groups: serverGroups,
      page_info: more && last ? { next_marker: last.id } : {},
    },
  };
}

const P = '([^/]+)';

/** Every API route; first match wins, so fixed segments come before `{id}`. */
export const ROUTES: readonly RouteDefinition[] = [
  {
    key: 'listServerGroups',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/app-server-groups$`),
    mutating: false,
    handle: listServerGroups,
  },
  {
    key: 'getServerGroup',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/app-server-groups/${P}$`),
    mutating: false,
    handle: getServerGroup,
  },
  {
    key: 'listAppServers',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/app-servers$`),
    mutating: false,
    handle: listAppServers,
  },
  {
    key: 'batchMaint',
    method: 'PATCH',
    pattern: new RegExp(`^/v1/${P}/app-servers/actions/batch-maint$`),
    mutating: true,
    handle: batchMaint,
  },
  {
    key: 'batchDeleteAppServers',
    method: 'POST',
    pattern: new RegExp(`^/v1/${P}/app-servers/actions/batch-delete$`),
    mutating: true,
    handle: batchDeleteAppServers,
  },
  {
    key: 'getAppServer',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/app-servers/${P}$`),
    mutating: false,
    handle: getAppServer,
  },
  {
    key: 'updateAppServer',
    method: 'PATCH',
    pattern: new RegExp(`^/v1/${P}/app-servers/${P}$`),
    mutating: true,
    handle: updateAppServer,
  },
  {
    key: 'deleteAppServer',
    method: 'DELETE',
    pattern: new RegExp(`^/v1/${P}/app-servers/${P}$`),
    mutating: true,
    handle: deleteAppServer,
  },
  {
    key: 'getJob',
    method: 'GET',
    pattern: new RegExp(`^/v2/${P}/job/${P}$`),
    mutating: false,
    handle: getJob,
  },
  {
    key: 'listSessions',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/session/list-sessions$`),
    mutating: false,
    handle: listSessions,
  },
  {
    key: 'ecsAction',
    method: 'POST',
    pattern: new RegExp(`^/v1/${P}/cloudservers/os-server-groups/${P}/action$`),
    mutating: true,
    handle: ecsAction,
  },
  {
    key: 'showEcsServerGroup',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/cloudservers/os-server-groups/${P}$`),
    mutating: false,
    handle: showEcsServerGroup,
  },
  {
    key: 'listEcsServerGroups',
    method: 'GET',
    pattern: new RegExp(`^/v1/${P}/cloudservers/os-server-groups$`),
    mutating: false,
    handle: listEcsServerGroups,
  },
];

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
