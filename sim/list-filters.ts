import type { AppServer, ServerGroup, SessionInfo } from '../lib/huawei/schemas.ts';

/** A page of a list call: `count` is the total before paging. */
export interface Page<T> {
  count: number;
  items: T[];
}

export interface GroupFilter {
  name?: string | undefined;
  id?: string | undefined;
  appType?: string | undefined;
  tag?: string | undefined;
  secondary?: boolean | undefined;
  enterpriseProjectId?: string | undefined;
}

export interface ServerFilter {
  groupId?: string | undefined;
  serverId?: string | undefined;
  machineName?: string | undefined;
  serverName?: string | undefined;
  ipAddr?: string | undefined;
  maintainStatus?: boolean | undefined;
  scalingAutoCreate?: boolean | undefined;
}

export interface SessionFilter {
  /** Inclusive bounds on the start time, epoch ms. */
  beginMs: number;
  endMs: number;
  groupId?: string | undefined;
  machineName?: string | undefined;
  states?: ReadonlySet<string> | undefined;
  userName?: string | undefined;
  vmIp?: string | undefined;
  isSuccess?: boolean | undefined;
}

/** One page of `all` from `offset`, counting them all. */
export function paginate<T>(all: readonly T[], offset: number, limit: number): Page<T> {
  return { count: all.length, items: all.slice(offset, offset + limit) };
}

/** The groups among `candidates` that pass the filter's conditions other than `id`. */
export function filterGroups(
  candidates: readonly ServerGroup[],
  filter: GroupFilter,
): readonly ServerGroup[] {
  const { name, appType, tag, secondary, enterpriseProjectId } = filter;
  if (
    name === undefined &&
    appType === undefined &&
    tag === undefined &&
    secondary === undefined &&
    enterpriseProjectId === undefined
  ) {
    return candidates;
  }
  return candidates.filter((g) => {
    if (name !== undefined && !g.name.includes(name)) return false;
    if (appType !== undefined && g.app_type !== appType) return false;
    if (
      tag !== undefined &&
      !(g.tags ?? []).some((t) => t.key === tag || `${t.key}=${t.value ?? ''}` === tag)
    ) {
      return false;
    }
    if (secondary !== undefined && (g.primary_server_group_ids ?? []).length > 0 !== secondary) {
      return false;
    }
    if (enterpriseProjectId !== undefined) {
      const own = g.enterprise_project_id ?? '';
      const isDefault = own === '' || own === '0';
      if (enterpriseProjectId === '0' ? !isDefault : own !== enterpriseProjectId) return false;
    }
    return true;
  });
}

/** The servers among `candidates` that pass the filter's conditions other than `serverId`. */
export function filterServers(candidates: readonly AppServer[], filter: ServerFilter): AppServer[] {
  const { groupId, machineName, serverName, ipAddr, maintainStatus, scalingAutoCreate } = filter;
  return candidates.filter((s) => {
    if (groupId !== undefined && s.server_group_id !== groupId) return false;
    if (machineName !== undefined && !(s.machine_name ?? '').includes(machineName)) return false;
    if (serverName !== undefined && !(s.name ?? '').includes(serverName)) return false;
    if (ipAddr !== undefined && !(s.host_address ?? []).some((h) => h.addr?.includes(ipAddr))) {
      return false;
    }
    if (maintainStatus !== undefined && (s.maintain_status ?? false) !== maintainStatus) {
      return false;
    }
    if (scalingAutoCreate !== undefined && (s.scaling_auto_create ?? false) !== scalingAutoCreate) {
      return false;
    }
    return true;
  });
}

/** Whether a session passes the filter's conditions other than its time and machine bounds. */
export function sessionMatches(s: SessionInfo, filter: SessionFilter): boolean {
  const { groupId, states, userName, vmIp, isSuccess } = filter;
  if (groupId !== undefined && s.app_server_group_id !== groupId) return false;
  if (states !== undefined && !states.has(s.session_state ?? '')) return false;
  if (userName !== undefined && s.login_user !== userName) return false;
  if (vmIp !== undefined && s.vm_ip !== vmIp) return false;
  if (isSuccess !== undefined && (s.session_state !== 'InitFail') !== isSuccess) return false;
  return true;
}
