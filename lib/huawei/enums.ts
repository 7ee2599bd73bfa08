import * as z from 'zod';

// The known values of the fields the official SDK models as strings with
// documented values (docs/huawei-api.md names each SDK enum model). They type
// the code; the response schemas accept any other string (see `openEnum`).

/** A value of an open enum: one of the known values, or any other string. */
export type Open<T extends string> = T | (string & {});

/** An open-enum schema: every string parses; its type keeps the known values visible. */
export function openEnum<T extends string>(_known: readonly T[]): z.ZodType<Open<T>, string> {
  // The cast only narrows the inferred type; at run time it is z.string().
  return z.string() as unknown as z.ZodType<Open<T>, string>;
}

/** Whether `value` is one of the known values of `schema` (an enum of known values). */
export function isKnown<T extends string>(schema: z.ZodType<T>, value: unknown): value is T {
  return schema.safeParse(value).success;
}

export const AppTypeSchema = z.enum(['SESSION_DESKTOP_APP', 'COMMON_APP']);
export const OsTypeSchema = z.enum(['Linux', 'Windows', 'Other']);
export const DiskTypeSchema = z.enum(['ESSD', 'SSD', 'GPSSD', 'SAS', 'SATA']);
export const ExtraSessionTypeSchema = z.enum(['GPU', 'CPU']);
export const StorageMountPolicySchema = z.enum(['USER', 'SHARE', 'ANY']);
export const ServerStatusSchema = z.enum([
  'UNREGISTER',
  'REGISTERED',
  'MAINTAINING',
  'FREEZE',
  'STOPPED',
  'NONE',
]);
export type ServerStatus = z.infer<typeof ServerStatusSchema>;
/** `vm_status` (SDK `AppServerStatus`): the server's steady state. */
export const VmStatusSchema = z.enum([
  'BUILD',
  'BUILD_FAIL',
  'REBOOT',
  'HARD_REBOOT',
  'REBUILD',
  'REBUILD_FAIL',
  'MIGRATING',
  'RESIZE',
  'ACTIVE',
  'SHUTOFF',
  'REVERT_RESIZE',
  'VERIFY_RESIZE',
  'ERROR',
  'DELETING',
  'FREEZE',
  'BUILD_IMAGE',
  'BUILD_SNAPSHOT',
  'RESTORE_SNAPSHOT',
  'NULL',
]);
/**
 * `task_status` (SDK `AppServerTaskStatus`): lower-case; `"null"` (and an
 * empty or absent value) means no task. Any other value is a running or
 * failed task.
 */
export const TaskStatusSchema = z.enum([
  'scheduling',
  'block_device_mapping',
  'networking',
  'spawning',
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'rebooting_hard',
  'reboot_pending_hard',
  'reboot_started_hard',
  'rebuilding',
  'rebuild_fail',
  'updating_tsvi',
  'updating_tsvi_failed',
  'rebuild_block_device_mapping',
  'rebuild_spawning',
  'migrating',
  'resize_prep',
  'resize_migrating',
  'resize_migrated',
  'resize_finish',
  'resize_reverting',
  'powering-off',
  'powering-on',
  'deleting',
  'source_locking',
  'rejoining_domain',
  'delete_failed',
  'upgrading_access_agent',
  'upgrad_access_agent_fail',
  'upgrad_access_agent_success',
  'updating_sid',
  'migrate_failed',
  'build_image',
  'build_snapshot',
  'restore_snapshot',
  'installing_app',
  'install_app_failed',
  'null',
]);
export const JobStatusSchema = z.enum(['WAITING', 'RUNNING', 'SUCCESS', 'FAILED']);
export type JobStatus = z.infer<typeof JobStatusSchema>;
/** Sub-job status (SDK `JobDetailStatus`): the job statuses and three more. */
export const JobDetailStatusSchema = z.enum([
  ...JobStatusSchema.options,
  'ABNORMAL',
  'ROLLBACK',
  'ABORTING',
]);
export const SessionStateSchema = z.enum([
  'Active',
  'Disconnected',
  'AppcInit',
  'SignedOut',
  'InitFail',
]);
export type SessionState = z.infer<typeof SessionStateSchema>;
/** `metadata.charging_mode` of a server: `0` pay-per-use, `1` yearly/monthly, `2` spot. */
export const ChargingModeSchema = z.enum(['0', '1', '2']);
