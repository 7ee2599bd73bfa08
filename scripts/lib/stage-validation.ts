import * as z from 'zod';
import { loadSettings } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

/** The parts of `osls print --format json` a stage check reads. */
export interface PrintedService {
  params?: Record<string, Record<string, unknown>>;
  provider: { environment?: Record<string, unknown> };
  resources?: {
    Resources?: Record<string, { Properties?: Record<string, unknown> }>;
  };
}

/**
 * Values CloudFormation fills in at deploy time (a `Ref` to the stack's own
 * queue or bucket) stand in as well-formed placeholders, so the schema checks
 * everything a parameter can change.
 */
const PLACEHOLDERS: Record<string, string> = {
  ReportBucket: 'placeholder-report-bucket',
  RemediationQueue: 'https://sqs.eu-west-1.amazonaws.com/000000000000/placeholder-remediation',
  RemediationDeadLetterQueue: 'https://sqs.eu-west-1.amazonaws.com/000000000000/placeholder-dlq',
  DrainTable: 'placeholder-drain-table',
};

/** The function environment of a printed stage, CloudFormation references replaced by placeholders. */
export function environmentOf(printed: PrintedService): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(printed.provider.environment ?? {})) {
    if (typeof value === 'string') env[name] = value;
    else if (value !== null && typeof value === 'object' && 'Ref' in value) {
      env[name] = PLACEHOLDERS[String(value.Ref)] ?? 'placeholder';
    } else env[name] = String(value);
  }
  return env;
}

/**
 * Which stage parameter sets each function variable (`DRY_RUN: ${param:dryRun}`
 * in serverless.yml), so a problem names the `--param` a user types.
 */
export function paramsOfVariables(serverlessYml: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of serverlessYml.matchAll(/^\s+([A-Z][A-Z0-9_]*): \$\{param:(\w+)\}\s*$/gm)) {
    params.set(match[1] as string, match[2] as string);
  }
  return params;
}

const RetentionDaysSchema = z.coerce.number().int().min(1).max(3650);

/**
 * Problems with one stage's resolved configuration: the functions' own
 * environment schema (lib/config.ts loadSettings), each variable named with
 * the `--param` that sets it (`params`, from paramsOfVariables), then the
 * stack-only parameters. An empty list means the stage can deploy.
 */
export function problemsOfStage(
  printed: PrintedService,
  params: ReadonlyMap<string, string> = new Map(),
): string[] {
  const problems: string[] = [];
  try {
    loadSettings(environmentOf(printed));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(
      error.message.replace(/\b([A-Z][A-Z0-9_]+): /g, (all, name: string) => {
        const param = params.get(name);
        return param === undefined ? all : `${name} (--param ${param}): `;
      }),
    );
  }
  const rules = printed.resources?.Resources?.ReportBucket?.Properties?.LifecycleConfiguration as
    | { Rules?: { ExpirationInDays?: unknown }[] }
    | undefined;
  const days = rules?.Rules?.[0]?.ExpirationInDays;
  if (!RetentionDaysSchema.safeParse(days).success) {
    problems.push('reportRetentionDays: expected a whole number of days from 1 to 3650');
  }
  return problems;
}
