import * as z from 'zod';
import { ConfigError } from './errors.ts';

/** Regions served from `appstream.{region}…`; every other region uses `workspace.{region}…`. */
const APPSTREAM_REGIONS = new Set([
  'cn-north-4',
  'cn-north-9',
  'cn-east-3',
  'cn-south-1',
  'cn-southwest-2',
]);

/** The default APS and ECS endpoints of a region (see the reference's endpoint table). */
export function endpointsForRegion(region: string): { aps: string; ecs: string } {
  const apsHost = APPSTREAM_REGIONS.has(region) ? 'appstream' : 'workspace';
  return {
    aps: `https://${apsHost}.${region}.myhuaweicloud.com`,
    ecs: `https://ecs.${region}.myhuaweicloud.com`,
  };
}

export const RegionSchema = z
  .string()
  .regex(/^[a-z]{2,}(-[a-z0-9]+)*-\d+$/, 'expected a region id such as cn-north-4');
export const ProjectIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a project id (letters, digits, - or _)');

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'TRUE', 'FALSE', 'True', 'False'])
    .optional()
    .transform((v) =>
      v === undefined ? fallback : v === 'true' || v === '1' || v.toLowerCase() === 'true',
    );

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'expected a whole number')
    .optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));

const nonEmpty = z.string().trim().min(1);
const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

const EnvSchema = z.object({
  HUAWEICLOUD_SDK_AK: nonEmpty,
  HUAWEICLOUD_SDK_SK: nonEmpty,
  HUAWEICLOUD_SDK_SECURITY_TOKEN: nonEmpty.optional(),
  HUAWEICLOUD_SDK_PROJECT_ID: ProjectIdSchema,
  HUAWEICLOUD_SDK_REGION: RegionSchema.default('cn-north-4'),
  APS_ENDPOINT: url.optional(),
  ECS_ENDPOINT: url.optional(),
  DRY_RUN: booleanFlag(false),
  REMOVAL_MODE: z.enum(['remove-member', 'release']).default('remove-member'),
  MIN_SERVERS_PER_GROUP: integer(1, 0, 10_000),
  MAX_REMOVALS_PER_GROUP: integer(10, 0, 10_000),
  MAX_REMOVALS_PER_SWEEP: integer(50, 0, 1_000_000),
  PROTECT_TAG_KEY: z.string().trim().min(1).max(128).default('aps-autoscaler:protect'),
  SESSION_LOOKBACK_HOURS: integer(24, 1, 24 * 90),
  SWEEP_MODE: z.enum(['inline', 'fanout']).default('inline'),
  REMEDIATION_QUEUE_URL: url.optional(),
  DEAD_LETTER_QUEUE_URL: url.optional(),
  MAX_CONCURRENCY: integer(8, 1, 256),
  RATE_LIMIT_RPS: integer(20, 0, 10_000),
  HTTP_TIMEOUT_MS: integer(10_000, 100, 900_000),
});

export type RemovalMode = 'remove-member' | 'release';
export type SweepMode = 'inline' | 'fanout';

export interface Credentials {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
}

/** The validated configuration: read once per cold start, passed everywhere else. */
export interface Config {
  credentials: Credentials;
  projectId: string;
  region: string;
  apsEndpoint: string;
  ecsEndpoint: string;
  dryRun: boolean;
  removalMode: RemovalMode;
  minServersPerGroup: number;
  maxRemovalsPerGroup: number;
  maxRemovalsPerSweep: number;
  protectTagKey: string;
  sessionLookbackHours: number;
  sweepMode: SweepMode;
  remediationQueueUrl: string | undefined;
  deadLetterQueueUrl: string | undefined;
  maxConcurrency: number;
  /** Requests per second for the whole invocation; 0 disables the limit. */
  rateLimitRps: number;
  httpTimeoutMs: number;
}

/**
 * Parses the environment contract (README.md, "Configuration"). Empty strings count as unset.
 * Throws a ConfigError naming every bad variable; never echoes a value.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') present[key] = value;
  }
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const message =
        issue.code === 'invalid_type' && present[name] === undefined
          ? 'is required'
          : issue.message;
      return `${name}: ${message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const defaults = endpointsForRegion(e.HUAWEICLOUD_SDK_REGION);
  return {
    credentials: {
      ak: e.HUAWEICLOUD_SDK_AK,
      sk: e.HUAWEICLOUD_SDK_SK,
      securityToken: e.HUAWEICLOUD_SDK_SECURITY_TOKEN,
    },
    projectId: e.HUAWEICLOUD_SDK_PROJECT_ID,
    region: e.HUAWEICLOUD_SDK_REGION,
    apsEndpoint: e.APS_ENDPOINT ?? defaults.aps,
    ecsEndpoint: e.ECS_ENDPOINT ?? defaults.ecs,
    dryRun: e.DRY_RUN,
    removalMode: e.REMOVAL_MODE,
    minServersPerGroup: e.MIN_SERVERS_PER_GROUP,
    maxRemovalsPerGroup: e.MAX_REMOVALS_PER_GROUP,
    maxRemovalsPerSweep: e.MAX_REMOVALS_PER_SWEEP,
    protectTagKey: e.PROTECT_TAG_KEY,
    sessionLookbackHours: e.SESSION_LOOKBACK_HOURS,
    sweepMode: e.SWEEP_MODE,
    remediationQueueUrl: e.REMEDIATION_QUEUE_URL,
    deadLetterQueueUrl: e.DEAD_LETTER_QUEUE_URL,
    maxConcurrency: e.MAX_CONCURRENCY,
    rateLimitRps: e.RATE_LIMIT_RPS,
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
  };
}
