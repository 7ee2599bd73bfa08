import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { type Config, loadConfig } from '../lib/config.ts';
import type { DynamoClientFactory } from '../lib/drain/dynamo.ts';
import { createLogger, fromPowertools, type Log } from '../lib/logger.ts';
import { createInvocation, type Invocation } from './invocation.ts';

/** What both handlers need from the outside world; tests pass their own. */
export interface HandlerDeps {
  config: () => Config;
  logger: Logger;
  /** The SQS client, created (and its SDK loaded) on first use. */
  sqs: () => Promise<SQSClient>;
  fetch?: typeof globalThis.fetch;
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
 * The real dependencies, created once per container: the config is parsed on
 * first use (a bad variable fails that invocation with a message naming it,
 * instead of crashing the module load) and the SQS client is reused.
 */
export function defaultDeps(): HandlerDeps {
  return {
    config: once(() => loadConfig(process.env)),
    logger: createLogger(),
    sqs: once(async () => {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      return new SQSClient({ region: process.env.AWS_REGION ?? 'us-east-1' });
    }),
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
 * What every invocation starts with: the config (parsed once per container),
 * the logger, and clients bound to this invocation's deadline and request budget.
 */
export function beginInvocation(
  deps: HandlerDeps,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): { config: Config; log: Log; invocation: Invocation } {
  const config = deps.config();
  const now = deps.now ?? Date.now;
  const log = fromPowertools(deps.logger);
  const invocation = createInvocation(config, {
    deadlineAt: deadlineOf(context, now),
    log,
    now,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.dynamo ? { dynamo: deps.dynamo } : {}),
  });
  return { config, log, invocation };
}
