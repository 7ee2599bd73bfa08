import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DrainStoreError } from './store-errors.ts';

/** Returns the DynamoDB client to use; called on every operation, so cache inside. */
export type DynamoClientFactory = () => Promise<DynamoDBClient>;

let shared: Promise<DynamoDBClient> | undefined;
let sdk: Promise<typeof import('@aws-sdk/client-dynamodb')> | undefined;

/**
 * The container's one DynamoDB client, built on first use (region, credentials
 * and `AWS_ENDPOINT_URL_DYNAMODB` from the environment, as the SDK reads them):
 * an invocation that never drains never loads the SDK.
 */
export function defaultDynamoClient(): Promise<DynamoDBClient> {
  shared ??= dynamoSdk().then(({ DynamoDBClient }) => new DynamoDBClient({}));
  return shared;
}

/**
 * The SDK module, loaded on first use like the client and kept: a dynamic
 * `import()` per operation costs a module-loader round each time (about 1 %
 * of an acting sweep's CPU in bench/PROFILE.md).
 */
export function dynamoSdk(): Promise<typeof import('@aws-sdk/client-dynamodb')> {
  sdk ??= import('@aws-sdk/client-dynamodb');
  return sdk;
}

/** Whether `error` is DynamoDB refusing a ConditionExpression (nothing was written). */
export function isConditionalFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Wraps an SDK failure with the operation and table; the SDK error stays the `cause`. */
export function storeError(operation: string, tableName: string, error: unknown): DrainStoreError {
  const meta = (error as { $metadata?: { requestId?: string } } | undefined)?.$metadata;
  const name = error instanceof Error ? error.name : undefined;
  return new DrainStoreError(
    {
      operation,
      tableName,
      detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      ...(name ? { code: name } : {}),
      ...(meta?.requestId ? { requestId: meta.requestId } : {}),
    },
    { cause: error },
  );
}
