import type { RouteDefinition } from './routes.ts';

// The bodies of faulted answers: each one the client must reject.

/** The answer with one known field given the wrong type, for the `schemaViolation` fault. */
export function violateSchema(body: unknown, route: RouteDefinition): unknown {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    return ['unexpected'];
  }
  const b = { ...(body as Record<string, unknown>) };
  switch (route.key) {
    case 'listServerGroups':
    case 'listAppServers':
    case 'listSessions':
      b['count'] = String(b['count']);
      break;
    case 'getServerGroup':
      b['app_server_count'] = 'many';
      break;
    case 'getAppServer':
      b['session_count'] = String(b['session_count']);
      break;
    case 'getJob':
      b['status'] = 'DONE';
      break;
    case 'showEcsServerGroup':
      b['server_group'] = { id: 42, members: 'none' };
      break;
    case 'listEcsServerGroups':
      b['server_groups'] = 'none';
      break;
    default:
      b['job_id'] = 12345;
  }
  return b;
}

/** The first half of the answer's JSON, for the `malformed` fault: never parses. */
export function truncateJson(body: unknown): string {
  const json = JSON.stringify(body ?? {});
  return json.length > 2 ? json.slice(0, Math.ceil(json.length / 2)) : '{"';
}

/** Canned bodies for mutating routes under `malformed` / `schemaViolation`: the route does not run (see the `commitThen…` faults for one that does). */
export function faultedMutationBody(route: RouteDefinition): unknown {
  return route.key === 'deleteAppServer' || route.key === 'batchDeleteAppServers'
    ? { job_id: 'faulted-job' }
    : ['unexpected'];
}
