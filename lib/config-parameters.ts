import { CONFIG_VARIABLES, EnvSchema } from './config.ts';

/**
 * Variables of the config schema that are not stage parameters, each with
 * why: the deployed stack sets them itself, or they must never be in a stack.
 * Every other variable of `EnvSchema` is a stage parameter (serverless.yml
 * `params:` and `custom.environment.deployed`; a test fails when one is missing).
 */
export const NOT_STAGE_PARAMETERS: Readonly<Record<string, string>> = {
  HUAWEICLOUD_SDK_AK:
    'the key pair is never in a stack: it is read at run time (credentialsSource)',
  HUAWEICLOUD_SDK_SK:
    'the key pair is never in a stack: it is read at run time (credentialsSource)',
  HUAWEICLOUD_SDK_SECURITY_TOKEN: 'a temporary key expires: local runs and npm run plan only',
  HUAWEICLOUD_SDK_AK_PARAMETER:
    'set from credentialsSource=ssm: /aps-autoscaler/<stage>/huaweicloud-ak',
  HUAWEICLOUD_SDK_SK_PARAMETER:
    'set from credentialsSource=ssm: /aps-autoscaler/<stage>/huaweicloud-sk',
  HUAWEICLOUD_SDK_SECRET_ID: 'set from credentialsSource=secretsmanager and credentialsSecretId',
  REMEDIATION_QUEUE_URL: "the stack's remediation queue",
  DEAD_LETTER_QUEUE_URL: "the stack's dead-letter queue",
  REPORT_BUCKET: "the stack's report bucket",
  NOTIFY_TOPIC_ARN: "the notifyTopicArn stage parameter, else the stack's alarm topic",
  DRAIN_TABLE_NAME: "the stack's drain table",
  STAGE: 'the stage name (--stage)',
};

/** Stage parameters named before this rule, kept so existing stages deploy unchanged. */
const KEPT_NAMES: Readonly<Record<string, string>> = {
  HUAWEICLOUD_SDK_PROJECT_ID: 'huaweicloudProjectId',
  HUAWEICLOUD_SDK_REGION: 'huaweicloudRegion',
};

/**
 * Variables the functions' HTTP transport reads outside the config schema
 * (Node's http/https agents' proxyEnv, lib/huawei/transport.ts), also settable per stage.
 */
export const PROXY_VARIABLES: readonly string[] = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];

/** `MIN_SERVERS_PER_GROUP` → `minServersPerGroup`. */
export function lowerCamelCase(variable: string): string {
  return variable.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** One operator setting a deployed stage takes as `--param parameter=value`. */
export interface StageParameter {
  variable: string;
  parameter: string;
}

/** Every stage parameter that sets a function variable, in the schema's order, proxies last. */
export const STAGE_PARAMETERS: readonly StageParameter[] = [
  ...CONFIG_VARIABLES.filter((v) => NOT_STAGE_PARAMETERS[v] === undefined),
  ...PROXY_VARIABLES,
].map((variable) => ({ variable, parameter: KEPT_NAMES[variable] ?? lowerCamelCase(variable) }));

/**
 * A variable's value when it is not set, as the functions read it (`undefined`
 * when unset means "off" or "none").
 */
export function defaultOf(variable: string): unknown {
  const schema = (EnvSchema.shape as Record<string, { safeParse(v: unknown): unknown }>)[variable];
  const parsed = schema?.safeParse(undefined) as { success: boolean; data?: unknown } | undefined;
  return parsed?.success === true ? parsed.data : undefined;
}
