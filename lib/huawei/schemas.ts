import * as z from 'zod';
import {
  AppTypeSchema,
  DiskTypeSchema,
  ExtraSessionTypeSchema,
  JobDetailStatusSchema,
  JobStatusSchema,
  OsTypeSchema,
  openEnum,
  ServerStatusSchema,
  SessionStateSchema,
  StorageMountPolicySchema,
  TaskStatusSchema,
  VmStatusSchema,
} from './enums.ts';

// Response schemas follow the official SDK models (docs/huawei-api.md lists
// each model and the SDK file it comes from). Objects are loose: the cloud
// adds fields over time and a new field must never break a sweep, but a known
// field with a wrong type is rejected with its path. Fields the SDK models as
// strings with documented values are open: the known values are typed for
// the code, any other string parses and the evaluator treats it as unknown
// (fail safe). Only what the SDK marks required is required, plus `id` on
// server groups and app servers (see docs/huawei-api.md, "Deviations").

export type { JobStatus, Open, ServerStatus, SessionState } from './enums.ts';
export {
  AppTypeSchema,
  ChargingModeSchema,
  DiskTypeSchema,
  ExtraSessionTypeSchema,
  isKnown,
  JobDetailStatusSchema,
  JobStatusSchema,
  OsTypeSchema,
  openEnum,
  ServerStatusSchema,
  SessionStateSchema,
  StorageMountPolicySchema,
  TaskStatusSchema,
  VmStatusSchema,
} from './enums.ts';

export const TmsTagSchema = z.looseObject({
  key: z.string().max(128),
  value: z.string().max(255).optional(),
});
export type TmsTag = z.infer<typeof TmsTagSchema>;

// SDK `ProductInfo` (groups) / `ServerProductInfo` (servers, Node SDK): the
// same fields. Numbers such as `cpu`, `memory`, `system_disk_size` are strings.
export const ProductInfoSchema = z.looseObject({
  product_id: z.string().optional(),
  flavor_id: z.string().optional(),
  type: openEnum(['BASE', 'ADVANCED']).optional(),
  architecture: openEnum(['x86', 'arm']).optional(),
  cpu: z.string().optional(),
  cpu_desc: z.string().optional(),
  memory: z.string().optional(),
  is_gpu: z.boolean().optional(),
  system_disk_type: openEnum(DiskTypeSchema.options).optional(),
  system_disk_size: z.string().optional(),
  gpu_desc: z.string().optional(),
  descriptions: z.string().optional(),
  charge_mode: openEnum(['0', '1']).optional(),
  contain_data_disk: z.boolean().optional(),
  resource_type: z.string().optional(),
  cloud_service_type: z.string().optional(),
  volume_product_type: z.string().optional(),
  sessions: z.number().int().optional(),
  status: openEnum(['normal', 'abandon', 'sellout', 'obt', 'obt_sellout', 'promotion']).optional(),
  cond_operation_az: z.string().optional(),
  sub_product_list: z.array(z.string()).optional(),
  domain_ids: z.array(z.string()).optional(),
  package_type: openEnum(['general', 'dedicated']).optional(),
  series_type: z.string().optional(),
  expire_time: z.string().nullable().optional(),
  support_gpu_type: z.string().nullable().optional(),
});
export type ProductInfo = z.infer<typeof ProductInfoSchema>;

// Numbers are typed but not range-checked here: an out-of-range or missing
// policy value is a decision (`skip` / `invalid-policy`) made by lib/scaling,
// not a failed listing. The Go SDK marks `shrink_after_session_idle_minutes`,
// `max_scaling_amount`, `single_expansion_count` and `scaling_policy_by_session`
// required; they stay optional here so one odd group cannot fail a page.
export const ScalingPolicyBySessionSchema = z.looseObject({
  session_usage_threshold: z.number().int().optional(),
  shrink_after_session_idle_minutes: z.number().int().optional(),
});
export type ScalingPolicyBySession = z.infer<typeof ScalingPolicyBySessionSchema>;

/** Resource thresholds (percent) at which the group expands; shown, not acted on. */
export const ScalingPolicyByResourceSchema = z.looseObject({
  cpu_usage_threshold: z.number().int().optional(),
  mem_usage_threshold: z.number().int().optional(),
  gpu_usage_threshold: z.number().int().optional(),
});
export type ScalingPolicyByResource = z.infer<typeof ScalingPolicyByResourceSchema>;

export const ScalingPolicySchema = z.looseObject({
  enable: z.boolean().optional(),
  max_scaling_amount: z.number().int().optional(),
  single_expansion_count: z.number().int().optional(),
  scaling_policy_by_session: ScalingPolicyBySessionSchema.nullable().optional(),
  scaling_policy_by_resource: ScalingPolicyByResourceSchema.nullable().optional(),
});
export type ScalingPolicy = z.infer<typeof ScalingPolicySchema>;

export const ServerGroupSchema = z.looseObject({
  id: z.string().min(1),
  // Optional in the SDK; a missing name parses as '' so the type stays a string.
  name: z.string().default(''),
  description: z.string().optional(),
  image_id: z.string().optional(),
  image_name: z.string().optional(),
  os_type: openEnum(OsTypeSchema.options).optional(),
  product_id: z.string().optional(),
  subnet_id: z.string().optional(),
  subnet_name: z.string().optional(),
  system_disk_type: openEnum(DiskTypeSchema.options).optional(),
  system_disk_size: z.number().int().optional(),
  /** Single-session (VDI) mode: one session per server. */
  is_vdi: z.boolean().optional(),
  extra_session_type: openEnum(ExtraSessionTypeSchema.options).optional(),
  /** Paid extra sessions ("付费会话个数"); see docs/huawei-api.md on capacity. */
  extra_session_size: z.number().int().optional(),
  app_type: openEnum(AppTypeSchema.options).optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
  storage_mount_policy: openEnum(StorageMountPolicySchema.options).optional(),
  enterprise_project_id: z.string().optional(),
  primary_server_group_ids: z.array(z.string()).optional(),
  secondary_server_group_ids: z.array(z.string()).optional(),
  server_group_status: z.boolean().optional(),
  site_type: openEnum(['CENTER', 'IES']).optional(),
  site_id: z.string().optional(),
  app_server_flavor_count: z.number().int().optional(),
  app_server_count: z.number().int().optional(),
  app_group_count: z.number().int().optional(),
  product_info: ProductInfoSchema.optional(),
  scaling_policy: ScalingPolicySchema.nullable().optional(),
  tags: z.array(TmsTagSchema).optional(),
  ou_name: z.string().optional(),
});
export type ServerGroup = z.infer<typeof ServerGroupSchema>;

/**
 * SDK `CbcFreezeInfo`: `effect` 1 releasable, 2 not releasable, 3 not
 * renewable; absent = 1. An int32 in the SDK: any other integer parses and
 * the evaluator treats it as not releasable (fail safe).
 */
export const FreezeSchema = z.looseObject({
  effect: z.number().int().optional(),
  scene: z.string().optional(),
});

/** SDK `EcsNetWork`: one of the server's addresses. */
export const HostAddressSchema = z.looseObject({
  addr: z.string().optional(),
  version: z.number().int().optional(),
  vpc_id: z.string().optional(),
  subnet_id: z.string().optional(),
  tenant_type: z.string().optional(),
});

export const AppServerSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  machine_name: z.string().optional(),
  description: z.string().optional(),
  // Left out, or null, once a server is no longer in a group.
  server_group_id: z.string().nullable().optional(),
  server_group_name: z.string().optional(),
  /** The instance's SID; sessions name it as `machine_sid`. */
  sid: z.string().optional(),
  instance_id: z.string().optional(),
  status: openEnum(ServerStatusSchema.options).optional(),
  vm_status: openEnum(VmStatusSchema.options).nullable().optional(),
  task_status: openEnum(TaskStatusSchema.options).nullable().optional(),
  session_count: z.number().int().min(0).optional(),
  maintain_status: z.boolean().optional(),
  scaling_auto_create: z.boolean().optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
  job_id: z.string().nullable().optional(),
  job_type: z.string().nullable().optional(),
  job_status: openEnum(JobStatusSchema.options).nullable().optional(),
  job_time: z.string().nullable().optional(),
  order_id: z.string().optional(),
  freeze: z.array(FreezeSchema).nullable().optional(),
  /** ECS metadata; `charging_mode` is one of {@link ChargingModeSchema} (open). */
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  product_info: ProductInfoSchema.optional(),
  tags: z.array(TmsTagSchema).optional(),
  host_address: z.array(HostAddressSchema).optional(),
  availability_zone: z.string().optional(),
  os_type: openEnum(OsTypeSchema.options).optional(),
  enterprise_project_id: z.string().optional(),
});
export type AppServer = z.infer<typeof AppServerSchema>;

export const SessionInfoSchema = z.looseObject({
  // Optional in the SDK; a missing id parses as '' (it only names the session in reports).
  id: z.string().default(''),
  machine_name: z.string().optional(),
  /** The SID of the server the session runs on (server `sid`). */
  machine_sid: z.string().optional(),
  app_server_group_id: z.string().optional(),
  session_state: openEnum(SessionStateSchema.options).optional(),
  start_time: z.string().nullable().optional(),
  end_time: z.string().nullable().optional(),
  last_update_status_time: z.string().nullable().optional(),
  login_user: z.string().optional(),
  /** The server's IP (a `host_address[].addr`). */
  vm_ip: z.string().optional(),
  primary_server_group_id: z.string().optional(),
  secondary_server_group_id: z.string().optional(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/**
 * The `{count, items}` envelope of every APS list call; `count` is the total.
 * The SDK marks both optional; a page without them cannot be paginated safely,
 * so both are required here (docs/huawei-api.md, "Deviations").
 */
export function listEnvelope<T extends z.ZodType>(item: T) {
  return z.looseObject({ count: z.number().int().min(0), items: z.array(item) });
}

export const ListServerGroupsResponseSchema = listEnvelope(ServerGroupSchema);
export type ListServerGroupsResponse = z.infer<typeof ListServerGroupsResponseSchema>;
export const ListAppServersResponseSchema = listEnvelope(AppServerSchema);
export type ListAppServersResponse = z.infer<typeof ListAppServersResponseSchema>;
export const ListSessionsResponseSchema = listEnvelope(SessionInfoSchema);
export type ListSessionsResponse = z.infer<typeof ListSessionsResponseSchema>;

/** The batch-maint answer: documented as an empty body; an object is tolerated. */
export const BatchMaintResponseSchema = z.looseObject({}).optional();
/** `POST /session/logoff` answers with no body (SDK `LogoffUserSessionResponse`). */
export const LogoffResponseSchema = z.looseObject({}).optional();
/** `{job_id}`: the answer of delete and batch-delete (SDK marks it optional). */
export const JobResponseSchema = z.looseObject({ job_id: z.string().optional() });
/** The batch-delete answer: `{job_id}`, or an empty body. */
export const BatchDeleteResponseSchema = JobResponseSchema.optional();
export const SubJobSchema = z.looseObject({
  id: z.string().optional(),
  job_type: z.string().optional(),
  status: openEnum(JobDetailStatusSchema.options).optional(),
  error_code: z.string().nullable().optional(),
  error_message: z.string().nullable().optional(),
  job_resource_info: z.looseObject({ resource_id: z.string().optional() }).optional(),
});
/** `GET /v2/{project_id}/job/{job_id}` (SDK `ShowJobDetailResponse`). */
export const JobSchema = z.looseObject({
  id: z.string(),
  job_type: z.string().optional(),
  status: openEnum(JobStatusSchema.options),
  begin_time: z.string().nullable().optional(),
  end_time: z.string().nullable().optional(),
  sub_jobs_total: z.number().int().optional(),
  sub_jobs: z.array(SubJobSchema).optional(),
});
export type Job = z.infer<typeof JobSchema>;

// SDK `ListServerGroupsResult` / `ShowServerGroupResult`: all five fields are
// required there; `id` and `members` are what this project reads, the others
// stay optional so a group without them cannot fail a listing.
export const EcsServerGroupSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  members: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()).optional(),
  policies: z.array(z.string()).optional(),
});
export type EcsServerGroup = z.infer<typeof EcsServerGroupSchema>;
/** `GET /v1/{project_id}/cloudservers/os-server-groups`: marker pagination. */
export const ListEcsServerGroupsResponseSchema = z.looseObject({
  server_groups: z.array(EcsServerGroupSchema),
  page_info: z.looseObject({ next_marker: z.string().nullable().optional() }).optional(),
});
export type ListEcsServerGroupsResponse = z.infer<typeof ListEcsServerGroupsResponseSchema>;
/**
 * The remove_member/add_member answer: documented as an empty body; an object
 * (extra fields) is tolerated, anything else cannot be read as a success.
 */
export const EcsActionResponseSchema = z.looseObject({}).optional();
export const ShowEcsServerGroupResponseSchema = z.looseObject({
  server_group: EcsServerGroupSchema,
});

// SDK `ShowServerResponse` → `ServerDetail`: of its many fields only `id`
// and `os:scheduler_hints.group` (the server's ECS server group ids, SDK
// `ServerSchedulerHints.group`, optional) are read (docs/huawei-api.md).
export const ShowEcsServerResponseSchema = z.looseObject({
  server: z.looseObject({
    id: z.string().min(1),
    'os:scheduler_hints': z
      .looseObject({ group: z.array(z.string().min(1)).nullable().optional() })
      .nullable()
      .optional(),
  }),
});

/** The three error-body shapes Huawei Cloud services answer with. */
export const ErrorBodySchema = z.union([
  z.looseObject({
    error_code: z.string(),
    error_msg: z.string().optional(),
    request_id: z.string().optional(),
  }),
  z.looseObject({ code: z.union([z.string(), z.number()]), message: z.string().optional() }),
  z.looseObject({
    error: z.looseObject({
      code: z.union([z.string(), z.number()]).optional(),
      message: z.string().optional(),
    }),
  }),
]);
