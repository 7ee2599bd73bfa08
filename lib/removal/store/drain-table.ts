import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import definition from './drain-table.json' with { type: 'json' };

/**
 * The drain table's CloudFormation `Properties` without `TableName`: the one
 * definition of its keys, billing and TTL. The stack includes the JSON file
 * (`${file(./lib/removal/store/drain-table.json)}`) and the local DynamoDB helper
 * creates the table from it, so the two cannot drift apart.
 */
export const DRAIN_TABLE_DEFINITION = definition;

/**
 * The attribute DynamoDB's TTL reads (epoch seconds). Only a released group
 * item that holds no drain record carries it (lib/removal/store/lease-item.ts):
 * expiry is decided by `expiresAtMs` in a condition, TTL merely sweeps old
 * items away later (it may lag by days).
 */
export const TTL_ATTRIBUTE = definition.TimeToLiveSpecification.AttributeName;

/**
 * How long a released group item with no drain record outlives the release
 * before DynamoDB's TTL may delete it: an item that is gone says the group
 * was not held for at least this long (lib/removal/lease/plan-still-good.ts).
 */
export const LEASE_ITEM_LINGER_MS = 3_600_000;

/** The TTL value (epoch seconds, as a DynamoDB number) of an item released at `heldUntilMs`. */
export function ttlAfter(heldUntilMs: number): string {
  return String(Math.ceil((heldUntilMs + LEASE_ITEM_LINGER_MS) / 1_000));
}

/**
 * The CreateTable request for `tableName` (the API takes TTL in a separate
 * UpdateTimeToLive call, so it is left out here).
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { BillingMode, AttributeDefinitions, KeySchema } = definition;
  return {
    TableName: tableName,
    BillingMode: BillingMode as 'PAY_PER_REQUEST',
    AttributeDefinitions: AttributeDefinitions.map((a) => ({
      AttributeName: a.AttributeName,
      AttributeType: a.AttributeType as 'S',
    })),
    KeySchema: KeySchema.map((k) => ({
      AttributeName: k.AttributeName,
      KeyType: k.KeyType as 'HASH' | 'RANGE',
    })),
  };
}
