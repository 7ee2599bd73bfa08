/**
 * One Huawei Cloud API operation the clients (aps-client.ts, ecs-client.ts)
 * can call, with the identity-policy action that allows it. The one list:
 * the IAM table of docs/deploying.md and docs/huawei-iam-policy.json are
 * checked against it, and a test fails when a client calls an operation
 * missing here. Each action's source page is in docs/huawei-api.md ("IAM actions").
 */
export interface HuaweiOperation {
  service: 'APS' | 'ECS';
  /** What the call does, in a few words. */
  api: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** The path template, `{name}` for a path parameter. */
  path: string;
  /** The identity-policy (syntax "5.0") action. */
  action: string;
  /** Actions the service checks as well when this one runs. */
  dependsOn?: readonly string[];
  /** Which configuration needs it; every configuration when absent. */
  only?: string;
}

export const HUAWEI_OPERATIONS: readonly HuaweiOperation[] = [
  {
    service: 'APS',
    api: 'list server groups',
    method: 'GET',
    path: '/v1/{project_id}/app-server-groups',
    action: 'workspace:serverGroup:list',
  },
  {
    service: 'APS',
    api: 'list servers',
    method: 'GET',
    path: '/v1/{project_id}/app-servers',
    action: 'workspace:server:list',
  },
  {
    service: 'APS',
    api: 'show server',
    method: 'GET',
    path: '/v1/{project_id}/app-servers/{server_id}',
    action: 'workspace:server:get',
  },
  {
    service: 'APS',
    api: 'list sessions',
    method: 'GET',
    path: '/v1/{project_id}/session/list-sessions',
    action: 'workspace:session:listSessions',
  },
  {
    service: 'APS',
    api: 'batch maintenance (drain)',
    method: 'PATCH',
    path: '/v1/{project_id}/app-servers/actions/batch-maint',
    action: 'workspace:server:batchChangeMaintainMode',
  },
  {
    service: 'APS',
    api: 'log off sessions',
    method: 'POST',
    path: '/v1/{project_id}/session/logoff',
    action: 'workspace:session:logoffUserSession',
    only: 'LOGOFF_DISCONNECTED_AFTER_MINUTES set',
  },
  {
    service: 'APS',
    api: 'batch delete servers',
    method: 'POST',
    path: '/v1/{project_id}/app-servers/actions/batch-delete',
    action: 'workspace:server:batchDelete',
    dependsOn: ['vpc:ports:delete', 'vpc:ports:get'],
    only: 'REMOVAL_MODE=release',
  },
  {
    service: 'APS',
    api: 'show job',
    method: 'GET',
    path: '/v2/{project_id}/job/{job_id}',
    action: 'workspace:jobs:get',
    only: 'REMOVAL_MODE=release',
  },
  {
    service: 'ECS',
    api: 'list server groups',
    method: 'GET',
    path: '/v1/{project_id}/cloudservers/os-server-groups',
    action: 'ecs:cloudServers:listServerGroups',
  },
  {
    service: 'ECS',
    api: 'show server group',
    method: 'GET',
    path: '/v1/{project_id}/cloudservers/os-server-groups/{server_group_id}',
    action: 'ecs:cloudServers:showServerGroup',
    only: 'REMOVAL_MODE=remove-member',
  },
  {
    service: 'ECS',
    api: 'remove a member (`remove_member`)',
    method: 'POST',
    path: '/v1/{project_id}/cloudservers/os-server-groups/{server_group_id}/action',
    action: 'ecs:cloudServers:deleteServerGroupMember',
    only: 'REMOVAL_MODE=remove-member',
  },
  {
    // After the os-server-groups paths: `{server_id}` would match their segment.
    service: 'ECS',
    api: "show server (its ECS groups, a fanout's lookup)",
    method: 'GET',
    path: '/v1/{project_id}/cloudservers/{server_id}',
    action: 'ecs:cloudServers:get',
  },
];

/** The operation a request is, by method and path (`undefined`: none of the list). */
export function operationOf(method: string, path: string): HuaweiOperation | undefined {
  return HUAWEI_OPERATIONS.find(
    (op) =>
      op.method === method && new RegExp(`^${op.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
  );
}

/** A Huawei IAM custom identity policy (syntax "5.0") allowing exactly the list's actions. */
export function iamPolicyOf(operations: readonly HuaweiOperation[] = HUAWEI_OPERATIONS) {
  const actions = operations.flatMap((op) => [op.action, ...(op.dependsOn ?? [])]);
  return {
    Version: '5.0',
    Statement: [{ Effect: 'Allow', Action: [...new Set(actions)].sort() }],
  };
}
