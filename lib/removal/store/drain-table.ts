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
 * The attribute DynamoDB's TTL reads (epoch seconds). Only leases carry it:
 * expiry is decided by `expiresAtMs` in a condition, TTL merely sweeps old
 * lease items away later (it may lag by days).
 */
export const TTL_ATTRIBUTE = definition.TimeToLiveSpecification.AttributeName;

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
