import * as z from 'zod';
import { loadSettings } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

/** The parts of `osls print --format json` a stage check reads. */
export interface PrintedService {
  params?: Record<string, Record<string, unknown> | null>;
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
  AlarmTopic: 'arn:aws:sns:eu-west-1:000000000000:placeholder-alarms',
};

/** A value as the stack would set it: a `Ref` by its placeholder, an `Fn::If` by its first set branch. */
function resolved(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    if ('Ref' in value) return PLACEHOLDERS[String(value.Ref)] ?? 'placeholder';
    const branches = (value as Record<string, unknown>)['Fn::If'];
    if (Array.isArray(branches))
      return (
        branches
          .slice(1)
          .map(resolved)
          .find((v) => v !== '') ?? ''
      );
  }
  return String(value);
}

/** The function environment of a printed stage, CloudFormation references replaced by placeholders. */
export function environmentOf(printed: PrintedService): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(printed.provider.environment ?? {})) {
    env[name] = resolved(value);
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
    for (const problem of error.problems) {
      problems.push(
        // A JSON variable's problem names a path inside it: BUDGETS[0].max.
        problem.replace(/^([A-Z][A-Z0-9_]+)([.[][^:\s]*)?(?=: )/, (path: string, name: string) => {
          const param = params.get(name);
          return param === undefined ? path : `${path} (--param ${param})`;
        }),
      );
    }
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

/** The `params:` block of serverless.yml: each stage's (or `default`'s) parameter names. */
function paramsBlock(serverlessYml: string): Map<string, string[]> {
  const block = /^params:\n((?:(?: {2}.*)?\n)*)/m.exec(serverlessYml)?.[1] ?? '';
  const stages = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of block.split('\n')) {
    const stage = /^ {2}([\w-]+):/.exec(line)?.[1];
    const param = /^ {4}(\w+):/.exec(line)?.[1];
    if (stage !== undefined) {
      current = [];
      stages.set(stage, current);
    } else if (param !== undefined) current.push(param);
  }
  return stages;
}

/** The stages serverless.yml declares under `params:` (all but `default`), in order. */
export function stagesOf(serverlessYml: string): string[] {
  return [...paramsBlock(serverlessYml).keys()].filter((stage) => stage !== 'default');
}

/**
 * Problems with `--param name=value` arguments before anything is resolved,
 * one line each: a name serverless.yml does not declare, or an empty value
 * (a shell variable such as `$PROJECT` that was not set).
 */
export function problemsOfArguments(values: readonly string[], serverlessYml: string): string[] {
  const known = new Set(paramsBlock(serverlessYml).get('default') ?? []);
  return values.flatMap((value) => {
    const [name = '', ...rest] = value.split('=');
    if (!known.has(name)) {
      return [`--param ${name}: unknown parameter (docs/configuration.md lists every one)`];
    }
    return rest.join('=').trim() === ''
      ? [`--param ${name}: empty value (is the shell variable you passed set?)`]
      : [];
  });
}
