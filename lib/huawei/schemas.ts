import * as z from 'zod';

// Response schemas are loose objects: the cloud adds fields over time and a
// new field must never break a sweep, but a known field with a wrong type is
// rejected with its path. Enums follow ../shared/reference/huawei-cloud-api.md.

export const AppTypeSchema = z.enum(['SESSION_DESKTOP_APP', 'COMMON_APP']);
export const OsTypeSchema = z.enum(['Linux', 'Windows', 'Other']);
export const DiskTypeSchema = z.enum(['ESSD', 'SSD', 'GPSSD', 'SAS', 'SATA']);

export const TmsTagSchema = z.looseObject({
  key: z.string().max(128),
  value: z.string().max(255).optional(),
});
export type TmsTag = z.infer<typeof TmsTagSchema>;

export const ProductInfoSchema = z.looseObject({
  product_id: z.string().optional(),
  flavor_id: z.string().optional(),
  type: z.enum(['BASE', 'ADVANCED']).optional(),
  architecture: z.enum(['x86', 'arm']).optional(),
  cpu: z.string().optional(),
  cpu_desc: z.string().optional(),
  memory: z.string().optional(),
  is_gpu: z.boolean().optional(),
  system_disk_type: DiskTypeSchema.optional(),
  system_disk_size: z.string().optional(),
  gpu_desc: z.string().optional(),
  descriptions: z.string().optional(),
  charge_mode: z.enum(['0', '1']).optional(),
  contain_data_disk: z.boolean().optional(),
  resource_type: z.string().optional(),
  cloud_service_type: z.string().optional(),
  volume_product_type: z.string().optional(),
  sessions: z.number().int().optional(),
  status: z.enum(['normal', 'abandon', 'sellout', 'obt', 'obt_sellout', 'promotion']).optional(),
  cond_operation_az: z.string().optional(),
  sub_product_list: z.array(z.string()).optional(),
  domain_ids: z.array(z.string()).optional(),
  package_type: z.enum(['general', 'dedicated']).optional(),
  expire_time: z.string().nullable().optional(),
  support_gpu_type: z.string().nullable().optional(),
});
export type ProductInfo = z.infer<typeof ProductInfoSchema>;

// Numbers are typed but not range-checked here: an out-of-range policy is a
// decision (`skip` / `invalid-policy`) made by lib/scaling, not a failed call.
export const ScalingPolicyBySessionSchema = z.looseObject({
  session_usage_threshold: z.number().int().optional(),
  shrink_after_session_idle_minutes: z.number().int().optional(),
});
export type ScalingPolicyBySession = z.infer<typeof ScalingPolicyBySessionSchema>;

export const ScalingPolicySchema = z.looseObject({
  enable: z.boolean().optional(),
  max_scaling_amount: z.number().int().optional(),
  single_expansion_count: z.number().int().optional(),
  scaling_policy_by_session: ScalingPolicyBySessionSchema.optional(),
});
export type ScalingPolicy = z.infer<typeof ScalingPolicySchema>;

export const ServerGroupSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().optional(),
  image_id: z.string().optional(),
  image_name: z.string().optional(),
  os_type: OsTypeSchema.optional(),
  product_id: z.string().optional(),
  subnet_id: z.string().optional(),
  subnet_name: z.string().optional(),
  system_disk_type: DiskTypeSchema.optional(),
  system_disk_size: z.number().int().optional(),
  is_vdi: z.boolean().optional(),
  extra_session_type: z.enum(['GPU', 'CPU']).optional(),
  extra_session_size: z.number().int().optional(),
  app_type: AppTypeSchema.optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
  storage_mount_policy: z.enum(['USER', 'SHARE', 'ANY']).optional(),
  enterprise_project_id: z.string().optional(),
  primary_server_group_ids: z.array(z.string()).optional(),
  secondary_server_group_ids: z.array(z.string()).optional(),
  server_group_status: z.boolean().optional(),
  site_type: z.enum(['CENTER', 'IES']).optional(),
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

export const ServerStatusSchema = z.enum([
  'UNREGISTER',
  'REGISTERED',
  'MAINTAINING',
  'FREEZE',
  'STOPPED',
  'NONE',
]);
export const JobStatusSchema = z.enum(['WAITING', 'RUNNING', 'SUCCESS', 'FAILED']);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const FreezeSchema = z.looseObject({
  effect: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  scene: z.string().optional(),
});

export const HostAddressSchema = z.looseObject({
  addr: z.string().optional(),
  version: z.union([z.string(), z.number()]).optional(),
});

export const AppServerSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  machine_name: z.string().optional(),
  description: z.string().optional(),
  // Left out, or null, once a server is no longer in a group.
  server_group_id: z.string().nullable().optional(),
  instance_id: z.string().optional(),
  status: ServerStatusSchema.optional(),
  // An open set in the reference ("ACTIVE, BUILD, … or null").
  vm_status: z.string().nullable().optional(),
  task_status: z.string().nullable().optional(),
  session_count: z.number().int().min(0).optional(),
  maintain_status: z.boolean().optional(),
  scaling_auto_create: z.boolean().optional(),
  create_time: z.string().optional(),
  update_time: z.string().optional(),
  job_id: z.string().nullable().optional(),
  job_type: z.string().nullable().optional(),
  job_status: JobStatusSchema.nullable().optional(),
  job_time: z.string().nullable().optional(),
  freeze: z.array(FreezeSchema).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  product_info: ProductInfoSchema.optional(),
  tags: z.array(TmsTagSchema).optional(),
  host_address: z.array(HostAddressSchema).optional(),
  availability_zone: z.string().optional(),
  os_type: OsTypeSchema.optional(),
});
export type AppServer = z.infer<typeof AppServerSchema>;

export const SessionStateSchema = z.enum([
  'Active',
  'Disconnected',
  'AppcInit',
  'SignedOut',
  'InitFail',
]);
export type SessionState = z.infer<typeof SessionStateSchema>;

export const SessionInfoSchema = z.looseObject({
  id: z.string().min(1),
  machine_name: z.string().optional(),
  app_server_group_id: z.string().optional(),
  session_state: SessionStateSchema.optional(),
  start_time: z.string().nullable().optional(),
  end_time: z.string().nullable().optional(),
  last_update_status_time: z.string().nullable().optional(),
  login_user: z.string().optional(),
  vm_ip: z.string().optional(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** The `{count, items}` envelope of every APS list call; `count` is the total. */
export function listEnvelope<T extends z.ZodType>(item: T) {
  return z.looseObject({ count: z.number().int().min(0), items: z.array(item) });
}

export const ListServerGroupsResponseSchema = listEnvelope(ServerGroupSchema);
export type ListServerGroupsResponse = z.infer<typeof ListServerGroupsResponseSchema>;
export const ListAppServersResponseSchema = listEnvelope(AppServerSchema);
export type ListAppServersResponse = z.infer<typeof ListAppServersResponseSchema>;
export const ListSessionsResponseSchema = listEnvelope(SessionInfoSchema);
export type ListSessionsResponse = z.infer<typeof ListSessionsResponseSchema>;

export const JobResponseSchema = z.looseObject({ job_id: z.string().optional() });
export const JobSchema = z.looseObject({
  id: z.string(),
  job_type: z.string().optional(),
  status: JobStatusSchema,
});

export const EcsServerGroupSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  members: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()).optional(),
  policies: z.array(z.string()).optional(),
});
export type EcsServerGroup = z.infer<typeof EcsServerGroupSchema>;
/**
 * The remove_member/add_member answer: documented as an empty body; an object
 * (extra fields) is tolerated, anything else cannot be read as a success.
 */
export const EcsActionResponseSchema = z.looseObject({}).optional();
export const ShowEcsServerGroupResponseSchema = z.looseObject({
  server_group: EcsServerGroupSchema,
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
