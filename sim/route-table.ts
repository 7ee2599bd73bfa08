const P = '([^/]+)';

/**
 * The one list of the simulator's API routes: key, method, path pattern and
 * whether it changes state. Fault configs and the call log name routes by
 * these keys; sim/routes.ts pairs each with its handler. First match wins, so
 * fixed segments come before `{id}`.
 */
export const ROUTE_TABLE = {
  listServerGroups: { method: 'GET', pattern: `^/v1/${P}/app-server-groups$`, mutating: false },
  getServerGroup: { method: 'GET', pattern: `^/v1/${P}/app-server-groups/${P}$`, mutating: false },
  listAppServers: { method: 'GET', pattern: `^/v1/${P}/app-servers$`, mutating: false },
  batchMaint: {
    method: 'PATCH',
    pattern: `^/v1/${P}/app-servers/actions/batch-maint$`,
    mutating: true,
  },
  batchDeleteAppServers: {
    method: 'POST',
    pattern: `^/v1/${P}/app-servers/actions/batch-delete$`,
    mutating: true,
  },
  getAppServer: { method: 'GET', pattern: `^/v1/${P}/app-servers/${P}$`, mutating: false },
  updateAppServer: { method: 'PATCH', pattern: `^/v1/${P}/app-servers/${P}$`, mutating: true },
  deleteAppServer: { method: 'DELETE', pattern: `^/v1/${P}/app-servers/${P}$`, mutating: true },
  getJob: { method: 'GET', pattern: `^/v2/${P}/job/${P}$`, mutating: false },
  listSessions: { method: 'GET', pattern: `^/v1/${P}/session/list-sessions$`, mutating: false },
  logoffSessions: { method: 'POST', pattern: `^/v1/${P}/session/logoff$`, mutating: true },
  ecsAction: {
    method: 'POST',
    pattern: `^/v1/${P}/cloudservers/os-server-groups/${P}/action$`,
    mutating: true,
  },
  showEcsServerGroup: {
    method: 'GET',
    pattern: `^/v1/${P}/cloudservers/os-server-groups/${P}$`,
    mutating: false,
  },
  listEcsServerGroups: {
    method: 'GET',
    pattern: `^/v1/${P}/cloudservers/os-server-groups$`,
    mutating: false,
  },
  // After the os-server-groups routes: `{server_id}` would match their segment.
  showEcsServer: { method: 'GET', pattern: `^/v1/${P}/cloudservers/${P}$`, mutating: false },
} as const satisfies Record<string, { method: string; pattern: string; mutating: boolean }>;

export type RouteKey = keyof typeof ROUTE_TABLE;

/** Every route key, in table order. */
export const ROUTE_KEYS = Object.keys(ROUTE_TABLE) as [RouteKey, ...RouteKey[]];

/** The routes that change state, in table order: the ones a commit-then-fail fault matters on. */
export const MUTATING_ROUTES = ROUTE_KEYS.filter((key) => ROUTE_TABLE[key].mutating);
