import * as z from 'zod';
import type { Budget } from './budgets/budget.ts';
import { BudgetsTextSchema, budgetConfigOf } from './config-budgets.ts';
import {
  DrainSecondsSchema,
  DrainTableNameSchema,
  drainProblems,
  logoffDrainProblems,
} from './config-drain.ts';
import { endpointsForRegion } from './config-endpoints.ts';
import {
  type CredentialSource,
  type Credentials,
  credentialSourceOf,
  keyPairProblems,
} from './config-key-pair.ts';
import { SchedulesTextSchema, scheduleConfigOf } from './config-schedules.ts';
import { ConfigError } from './errors.ts';
import { HistoryWeeksSchema, type LearnedFloors, LearnedFloorsSchema } from './history/settings.ts';
import type { ScheduleSettings } from './scaling/effective-settings.ts';
import { ScheduleNameSchema } from './scaling/schedule.ts';
import type { ChurnSettings, EvaluationLimits, LogoffSettings } from './scaling/types.ts';
import { formatPath, jsonText } from './validation.ts';

export { endpointsForRegion };

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

/** A JSON object of flavor id → price per server-hour, e.g. `{"workspace.appstream.general.xlarge.2":0.21}`. */
const priceTable = jsonText('{"flavor-id": 0.21}').pipe(
  z.record(z.string().min(1), z.number().nonnegative().finite(), {
    error: 'expected a JSON object of flavor id to a price per hour (a number >= 0)',
  }),
);

/** SSM parameter names: absolute paths of letters, digits and `_.-/`. */
const parameterName = z
  .string()
  .trim()
  .regex(/^\/[A-Za-z0-9_.\-/]{1,2047}$/, 'expected an SSM parameter name such as /app/stage/key');

/** The text users see before an abandoned session is logged off (LOGOFF_MESSAGE). */
export const DEFAULT_LOGOFF_MESSAGE =
  'This disconnected session is being logged off to release its idle server. Save your work if you reconnect.';

/** The functions' environment, one entry per variable (lib/config-parameters.ts derives the stage parameters). */
export const EnvSchema = z.object({
  HUAWEICLOUD_SDK_AK: nonEmpty.optional(),
  HUAWEICLOUD_SDK_SK: nonEmpty.optional(),
  HUAWEICLOUD_SDK_AK_PARAMETER: parameterName.optional(),
  HUAWEICLOUD_SDK_SK_PARAMETER: parameterName.optional(),
  HUAWEICLOUD_SDK_SECRET_ID: nonEmpty.optional(),
  CREDENTIALS_CACHE_SECONDS: integer(300, 0, 86_400),
  HUAWEICLOUD_SDK_SECURITY_TOKEN: nonEmpty.optional(),
  HUAWEICLOUD_SDK_PROJECT_ID: ProjectIdSchema,
  HUAWEICLOUD_SDK_REGION: RegionSchema.default('cn-north-4'),
  APS_ENDPOINT: url.optional(),
  ECS_ENDPOINT: url.optional(),
  DRY_RUN: booleanFlag(false),
  REMOVAL_MODE: z.enum(['remove-member', 'release']).default('remove-member'),
  ENTERPRISE_PROJECT_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an enterprise project id (letters, digits, -) or 0')
    .optional(),
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
  FAIL_ON_ERRORS: booleanFlag(false),
  REPORT_BUCKET: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
    .optional(),
  HOURLY_PRICE_BY_FLAVOR: priceTable.optional(),
  NOTIFY_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:sns:/, 'expected an SNS topic ARN')
    .optional(),
  DRAIN_SECONDS: DrainSecondsSchema,
  DRAIN_TABLE_NAME: DrainTableNameSchema.optional(),
  STAGE: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9-]{1,32}$/, 'expected a stage name (letters, digits, -)')
    .default('local'),
  SCHEDULES: SchedulesTextSchema.optional(),
  SCHEDULES_FILE: nonEmpty.optional(),
  DEFAULT_SCHEDULE: ScheduleNameSchema.optional(),
  BUDGETS: BudgetsTextSchema.optional(),
  BUDGETS_FILE: nonEmpty.optional(),
  LOGOFF_DISCONNECTED_AFTER_MINUTES: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of minutes')
    .transform(Number)
    .pipe(z.number().int().min(1).max(10_080))
    .optional(),
  LOGOFF_MESSAGE: z.string().trim().min(1).max(256).default(DEFAULT_LOGOFF_MESSAGE),
  LOGOFF_DELAY_SECONDS: integer(300, 0, 3_600),
  MIN_SERVER_AGE_MINUTES: integer(0, 0, 10_080),
  SCALE_OUT_COOLDOWN_MINUTES: integer(0, 0, 10_080),
  LEARNED_FLOORS: LearnedFloorsSchema,
  HISTORY_WEEKS: HistoryWeeksSchema,
});

/** The environment variables the functions read; `npm run validate` checks a stage against them. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export type { CredentialSource, Credentials } from './config-key-pair.ts';
export type RemovalMode = 'remove-member' | 'release';
export type SweepMode = 'inline' | 'fanout';

/** Everything but the key pair itself: parsed once per cold start. */
export interface Settings {
  credentialSource: CredentialSource;
  /** How long a key pair read from SSM / Secrets Manager is reused, in seconds. */
  credentialsCacheSeconds: number;
  projectId: string;
  region: string;
  apsEndpoint: string;
  ecsEndpoint: string;
  dryRun: boolean;
  removalMode: RemovalMode;
  /** The group listing's enterprise project; undefined = the API's default scope. */
  enterpriseProjectId: string | undefined;
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
  /** An invocation that met errors ends in a thrown error, after its report is kept. */
  failOnErrors: boolean;
  /** Where sweep reports are written; none: reports are only logged and returned. */
  reportBucket: string | undefined;
  /** Price per server-hour by flavor id; none: no saving is estimated. */
  hourlyPriceByFlavor: Record<string, number> | undefined;
  /** The SNS topic of sweep notices (lib/notice/); none: no notice is published. */
  notifyTopicArn: string | undefined;
  /** The deployment stage, a metrics dimension. */
  stage: string;
  /**
   * Seconds a chosen server stays in maintenance before it is acted on
   * (docs/drain-lifecycle.md); 0 acts at once, unsafe with `release`.
   */
  drainSeconds: number;
  /** The DynamoDB table of drain records and group leases; set whenever `drainSeconds` > 0. */
  drainTableName: string | undefined;
  /** SCHEDULES (or SCHEDULES_FILE) and DEFAULT_SCHEDULE: per-group floors by time window. */
  schedules: ScheduleSettings;
  /** BUDGETS (or BUDGETS_FILE): disruption budgets, checked where drains start. */
  budgets: Budget[];
  /** Log-off of abandoned sessions; undefined (the default): off. */
  logoff: LogoffSettings | undefined;
  /** Storm warnings from learned needs, and whether they raise floors (docs/learned-floors.md). */
  learnedFloors: LearnedFloors;
  /** Weeks of demand history kept and read; 0: none written. */
  historyWeeks: number;
  /** MIN_SERVER_AGE_MINUTES and SCALE_OUT_COOLDOWN_MINUTES. */
  churn: ChurnSettings;
}

/** The validated configuration with the key pair: passed everywhere else. */
export interface Config extends Settings {
  credentials: Credentials;
}

function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  present: Record<string, string>,
): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const message =
      issue.code === 'invalid_type' && present[name] === undefined ? 'is required' : issue.message;
    // A JSON variable's issues name the path inside it: SCHEDULES.x.windows[0].from.
    return `${name === 'SCHEDULES' || name === 'BUDGETS' ? formatPath(issue.path) : name}: ${message}`;
  });
}

/**
 * Parses the environment contract of DESIGN.md, all but the key pair itself.
 * Empty strings count as unset. Throws a ConfigError naming every bad
 * variable; never echoes a value.
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const present: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') present[key] = value;
  }
  const parsed = EnvSchema.safeParse(present);
  const schedules = parsed.success
    ? scheduleConfigOf({
        schedules: parsed.data.SCHEDULES,
        schedulesFile: parsed.data.SCHEDULES_FILE,
        defaultSchedule: parsed.data.DEFAULT_SCHEDULE,
      })
    : undefined;
  const budgets =
    parsed.success && schedules?.ok === true ? budgetConfigOf(parsed.data, schedules) : undefined;
  const problems = [
    ...keyPairProblems(present),
    ...drainProblems(parsed.success ? parsed.data.DRAIN_SECONDS : 0, present),
    ...(parsed.success ? [] : problemsOf(parsed.error.issues, present)),
    ...(schedules !== undefined && !schedules.ok ? schedules.problems : []),
    ...(budgets?.ok === false ? budgets.problems : []),
    ...(parsed.success ? logoffDrainProblems(parsed.data) : []),
  ];
  if (!parsed.success || problems.length > 0 || schedules?.ok !== true || budgets?.ok !== true) {
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`, problems);
  }
  const e = parsed.data;
  const logoffMinutes = e.LOGOFF_DISCONNECTED_AFTER_MINUTES;
  const defaults = endpointsForRegion(e.HUAWEICLOUD_SDK_REGION);
  return {
    credentialSource: credentialSourceOf(e),
    credentialsCacheSeconds: e.CREDENTIALS_CACHE_SECONDS,
    projectId: e.HUAWEICLOUD_SDK_PROJECT_ID,
    region: e.HUAWEICLOUD_SDK_REGION,
    apsEndpoint: e.APS_ENDPOINT ?? defaults.aps,
    ecsEndpoint: e.ECS_ENDPOINT ?? defaults.ecs,
    dryRun: e.DRY_RUN,
    removalMode: e.REMOVAL_MODE,
    enterpriseProjectId: e.ENTERPRISE_PROJECT_ID,
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
    failOnErrors: e.FAIL_ON_ERRORS,
    reportBucket: e.REPORT_BUCKET,
    hourlyPriceByFlavor: e.HOURLY_PRICE_BY_FLAVOR,
    notifyTopicArn: e.NOTIFY_TOPIC_ARN,
    stage: e.STAGE,
    drainSeconds: e.DRAIN_SECONDS,
    drainTableName: e.DRAIN_TABLE_NAME,
    schedules: schedules.settings,
    budgets: budgets.budgets,
    learnedFloors: e.LEARNED_FLOORS,
    historyWeeks: e.HISTORY_WEEKS,
    churn: {
      minServerAgeMinutes: e.MIN_SERVER_AGE_MINUTES,
      scaleOutCooldownMinutes: e.SCALE_OUT_COOLDOWN_MINUTES,
    },
    logoff:
      logoffMinutes === undefined
        ? undefined
        : {
            disconnectedAfterMinutes: logoffMinutes,
            message: e.LOGOFF_MESSAGE,
            delaySeconds: e.LOGOFF_DELAY_SECONDS,
          },
  };
}

/** The evaluation's limits from the settings: floor, cap, protect tag, schedules and log-off age. */
export function evaluationLimitsOf(
  settings: Pick<
    Settings,
    | 'minServersPerGroup'
    | 'maxRemovalsPerGroup'
    | 'protectTagKey'
    | 'schedules'
    | 'logoff'
    | 'churn'
  >,
): EvaluationLimits {
  return {
    minServersPerGroup: settings.minServersPerGroup,
    maxRemovalsPerGroup: settings.maxRemovalsPerGroup,
    protectTagKey: settings.protectTagKey,
    schedules: settings.schedules,
    logoffDisconnectedAfterMinutes: settings.logoff?.disconnectedAfterMinutes,
    churn: settings.churn,
  };
}

/** The settings completed with a key pair (from the environment or a credentials provider). */
export function withCredentials(settings: Settings, credentials: Credentials): Config {
  return { ...settings, credentials };
}

/**
 * The configuration when the key pair is in the environment (the `local`
 * stage, tests). Throws a ConfigError when it is read at run time instead:
 * use `loadSettings` and a credentials provider (lib/credentials.ts) then.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const settings = loadSettings(env);
  if (settings.credentialSource.kind !== 'env') {
    throw new ConfigError(
      `the key pair is read at run time from ${settings.credentialSource.kind}: resolve it with a credentials provider`,
    );
  }
  return withCredentials(settings, settings.credentialSource.credentials);
}
