import type { AppServer, ProductInfo, ServerGroup, SessionInfo } from '../lib/huawei/schemas.ts';
import type { FleetGroup, FleetServer, FleetSession } from './fleet.ts';

// The fields a fleet file may leave out and what the simulator fills in
// (sim/README.md lists them). Records are completed in place: the simulator
// owns the fleet it loads, and copying 200,000 records would double the load time.

/** The product a fleet record gets when it names none; generated fleets vary it. */
export const DEFAULT_PRODUCT: ProductInfo = {
  product_id: 'workspace.appstream.general.xlarge.2',
  flavor_id: 's2.large.2',
  type: 'BASE',
  architecture: 'x86',
  cpu: '2',
  memory: '4096',
  is_gpu: false,
  system_disk_type: 'SAS',
  system_disk_size: '80',
  descriptions: 's2.large.2 general|2 vCPUs|4 GB',
  charge_mode: '0',
  contain_data_disk: false,
  resource_type: 'hws.resource.type.workspace.appstream',
  cloud_service_type: 'hws.service.type.vdi',
  volume_product_type: 'workspace',
  sessions: 1,
  status: 'normal',
  cond_operation_az: 'cn-north-4a(normal),cn-north-4b(normal)',
  sub_product_list: [],
  domain_ids: [],
  package_type: 'general',
  expire_time: null,
  support_gpu_type: null,
};

/**
 * Sets each default the record lacks, in place: the simulator owns the fleet
 * it loads, and copying 200,000 records would double the load time.
 */
function fillDefaults<T extends object>(
  record: T,
  defaults: readonly (readonly [string, unknown])[],
): T {
  const target = record as Record<string, unknown>;
  for (const [key, value] of defaults) {
    if (!(key in target)) target[key] = Array.isArray(value) ? [...value] : value;
  }
  return record;
}

function groupDefaults(now: string): [string, unknown][] {
  return Object.entries({
    description: '',
    image_id: '',
    image_name: '',
    os_type: 'Windows',
    subnet_id: '',
    subnet_name: '',
    system_disk_type: 'SAS',
    system_disk_size: 80,
    is_vdi: false,
    app_type: 'COMMON_APP',
    create_time: now,
    update_time: now,
    storage_mount_policy: 'USER',
    enterprise_project_id: '0',
    primary_server_group_ids: [],
    secondary_server_group_ids: [],
    server_group_status: true,
    site_type: 'CENTER',
    site_id: '',
    app_server_flavor_count: 1,
    app_group_count: 0,
    product_info: DEFAULT_PRODUCT,
    tags: [],
    ou_name: '',
  } satisfies Partial<ServerGroup>);
}

const SERVER_DEFAULTS = Object.entries({
  description: '',
  status: 'REGISTERED',
  vm_status: 'ACTIVE',
  task_status: 'null',
  session_count: 0,
  maintain_status: false,
  scaling_auto_create: false,
  job_id: null,
  job_type: null,
  job_status: null,
  job_time: null,
  freeze: [],
  metadata: { charging_mode: '0' },
  tags: [],
  availability_zone: 'cn-north-4a',
} satisfies Partial<AppServer>);

/** Completes a fleet group in place; `fleetNow` dates a group that names no create_time. */
export function normalizeGroup(g: FleetGroup, fleetNow: string): ServerGroup {
  const group: ServerGroup = g;
  const productInfo = fillDefaults(group, groupDefaults(g.create_time ?? fleetNow)).product_info;
  if (!('product_id' in group)) group.product_id = productInfo?.product_id ?? '';
  group.app_server_count = 0;
  return group;
}

/** Completes a fleet server in place; `index` (load order) numbers its default address. */
export function normalizeServer(
  s: FleetServer,
  index: number,
  group: ServerGroup | undefined,
): AppServer {
  const server: AppServer = fillDefaults<AppServer>(s, SERVER_DEFAULTS);
  if (!('name' in server)) server.name = s.machine_name;
  if (!('update_time' in server)) server.update_time = s.create_time;
  if (!('product_info' in server)) server.product_info = group?.product_info ?? DEFAULT_PRODUCT;
  if (!('os_type' in server)) server.os_type = group?.os_type ?? 'Windows';
  if (!('host_address' in server)) {
    const n = index + 1;
    server.host_address = [
      { addr: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, version: 4 },
    ];
  }
  return server;
}

/** Completes a fleet session in place from the server on its machine, when there is one. */
export function normalizeSession(s: FleetSession, server: AppServer | undefined): SessionInfo {
  const info: SessionInfo = s;
  if (!('app_server_group_id' in info)) info.app_server_group_id = server?.server_group_id ?? '';
  if (!('vm_ip' in info)) info.vm_ip = server?.host_address?.[0]?.addr ?? '';
  if (!('end_time' in info)) info.end_time = null;
  if (!('last_update_status_time' in info)) {
    info.last_update_status_time = s.end_time ?? s.start_time;
  }
  if (!('login_user' in info)) info.login_user = 'user';
  return info;
}

/** A session to record: only the machine is required. */
export type AddSessionInput = { [K in keyof SessionInfo]?: SessionInfo[K] | undefined } & {
  machine_name: string;
};

/**
 * A session recorded live (a user logging in, say): fields left out default
 * from its server and `nowMs`; `id` is used when the input names none.
 */
export function newSession(
  input: AddSessionInput,
  server: AppServer | undefined,
  nowMs: number,
  id: string,
): SessionInfo {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const startTime = input.start_time ?? new Date(nowMs).toISOString();
  return {
    app_server_group_id: server?.server_group_id ?? '',
    session_state: 'Active',
    start_time: startTime,
    end_time: null,
    last_update_status_time: startTime,
    login_user: 'user',
    vm_ip: server?.host_address?.[0]?.addr ?? '',
    ...given,
    id: input.id ?? id,
  };
}
