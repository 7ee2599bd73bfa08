import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { type Config, loadSettings, type Settings, withCredentials } from '../lib/config.ts';
import { type CredentialsProvider, createCredentialsProvider } from '../lib/credentials.ts';
import type { Transport } from '../lib/huawei/transport.ts';
import { createLogger, fromPowertools, type Log } from '../lib/logger.ts';
import { createMetrics } from '../lib/metrics.ts';
import type { DynamoClientFactory, TableServices } from '../lib/removal/lifecycle.ts';
import { createS3Client } from '../lib/report-store.ts';
import { createInvocation, type Invocation } from './invocation.ts';

/** What both handlers need from the outside world; tests pass their own. */
export interface HandlerDeps {
  /** Everything but the key pair, parsed once per container. */
  settings: () => Settings;
  /** Reads the key pair (cached for CREDENTIALS_CACHE_SECONDS); made once per container. */
  credentials: () => CredentialsProvider;
  logger: Logger;
  /** Where metrics are written (EMF); none: no metrics (benchmarks). */
  metrics?: () => Metrics;
  /** The SQS client, created (and its SDK loaded) on first use. */
  sqs: () => Promise<SQSClient>;
  /** The S3 client for reports, created on first use. */
  s3?: () => Promise<S3Client>;
  /** The SNS client for sweep notices, created on first use. */
  sns?: () => Promise<SNSClient>;
  /** Locally (`osls invoke local` sets IS_LOCAL): where sweep notices are written. */
  noticeDir?: string | undefined;
  fetch?: typeof globalThis.fetch;
  transport?: Transport;
  now?: () => number;
  /** Waits the drain period; tests pass one that moves a virtual clock. */
  sleep?: (ms: number) => Promise<void>;
  /** The drain table's DynamoDB client; the SDK's default (env, AWS_ENDPOINT_URL_DYNAMODB) when left out. */
  dynamo?: DynamoClientFactory;
}

/** Kept free at the very end of an invocation so the result can still be returned. */
const RETURN_MARGIN_MS = 500;

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/**
 * The real dependencies, created once per container: the settings are parsed
 * on first use (a bad variable fails that invocation with a message naming
 * it, instead of crashing the module load); the credentials provider, the
 * metrics and the SQS and S3 clients are made once and reused.
 */
export function defaultDeps(env: Record<string, string | undefined> = process.env): HandlerDeps {
  const settings = once(() => loadSettings(env));
  return {
    settings,
    credentials: once(() =>
      createCredentialsProvider(settings().credentialSource, {
        cacheSeconds: settings().credentialsCacheSeconds,
      }),
    ),
    logger: createLogger(),
    metrics: once(() => createMetrics({ stage: settings().stage })),
    sqs: once(async () => {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      return new SQSClient({ region: env.AWS_REGION ?? 'us-east-1' });
    }),
    // s3rver and other local S3 servers have no bucket subdomains.
    s3: once(() => createS3Client({ forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined })),
    sns: once(async () => {
      const { SNSClient } = await import('@aws-sdk/client-sns');
      return new SNSClient({ region: env.AWS_REGION ?? 'us-east-1' });
    }),
    noticeDir: env.IS_LOCAL === 'true' ? '.reports/notices' : undefined,
  };
}

/** The epoch ms by which the invocation's work must end. */
export function deadlineOf(
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  now: () => number,
): number {
  return now() + Math.max(0, context.getRemainingTimeInMillis() - RETURN_MARGIN_MS);
}

/**
 * What every invocation starts with: the config (settings parsed once per
 * container, the key pair from the provider, which re-reads it once its
 * cache expires so a rotated key is used without a deploy), the logger, and
 * clients bound to this invocation's deadline and request budget. A key
 * pair that cannot be read is an ERROR line naming the source, then a throw.
 * A function that removes passes `tables` (the drain table's services and
 * the budgets' ledger); one that never removes leaves it out and neither
 * bundles nor calls them.
 */
export async function beginInvocation(
  deps: HandlerDeps,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  tables?: TableServices,
): Promise<{ config: Config; log: Log; invocation: Invocation }> {
  const log = fromPowertools(deps.logger);
  const settings = deps.settings();
  let config: Config;
  try {
    config = withCredentials(settings, await deps.credentials().get());
  } catch (error) {
    log.error('key pair not read', {
      source: settings.credentialSource.kind,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    throw error;
  }
  const now = deps.now ?? Date.now;
  const invocation = createInvocation(config, {
    deadlineAt: deadlineOf(context, now),
    log,
    now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.transport ? { transport: deps.transport } : {}),
    ...(tables ? { tables } : {}),
    ...(deps.dynamo ? { dynamo: deps.dynamo } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return { config, log, invocation };
}
