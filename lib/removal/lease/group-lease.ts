import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../store/drain-table.ts';
import {
  type DynamoClientFactory,
  defaultDynamoClient,
  dynamoSdk,
  isConditionalFailure,
  storeError,
} from '../store/dynamo.ts';
import { LeaseLostError } from '../store/store-errors.ts';

/**
 * How long one actor holds a group: longer than its slowest act step (a
 * re-read and a removal, each bounded by HTTP_TIMEOUT_MS and retries) plus
 * the clock skew between invocations; checked before every server and renewed
 * once half of it is spent (lib/removal/actuation/settle-group.ts).
 */
export const LEASE_TTL_MS = 120_000;

/** A lease held on one group until `expiresAtMs` (epoch ms). */
export interface Lease {
  groupKey: string;
  owner: string;
  expiresAtMs: number;
  /**
   * Grows by one on every acquisition: a fencing token that tells a stale
   * holder (paused past its expiry) from the current one.
   */
  fence: number;
}

export type AcquireResult =
  | { acquired: true; lease: Lease }
  | { acquired: false; holder: string | undefined; expiresAtMs: number | undefined };

export interface GroupLeaseOptions {
  tableName: string;
  client?: DynamoClientFactory;
}

// Lease items linger this long past expiry before DynamoDB's TTL may delete
// them; expiry itself is decided by `expiresAtMs` in the conditions.
const TTL_MARGIN_SECONDS = 3_600;

/** How a report, a log line or an error names a group another actor holds. */
export function leaseHeldBy(holder: string | undefined): string {
  return `group lease held by ${holder ?? 'another actor'}`;
}

/** The lease key of one server group: group ids are unique only within a project. */
export function groupLeaseKey(projectId: string, groupId: string): string {
  return `${projectId}/${groupId}`;
}

function keyOf(groupKey: string): Record<string, AttributeValue> {
  return { pk: { S: `lease#${groupKey}` }, sk: { S: 'lease' } };
}

function toLease(groupKey: string, item: Record<string, AttributeValue> | undefined): Lease {
  return {
    groupKey,
    owner: item?.owner?.S ?? '',
    expiresAtMs: Number(item?.expiresAtMs?.N ?? Number.NaN),
    fence: Number(item?.fence?.N ?? Number.NaN),
  };
}

function ttlSeconds(expiresAtMs: number): string {
  return String(Math.ceil(expiresAtMs / 1_000) + TTL_MARGIN_SECONDS);
}

function checkTiming(ttlMs: number, now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`);
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive whole number of ms, got ${ttlMs}`);
  }
}

/**
 * One actor per group: a lease item per group key (`pk` = `lease#<key>`),
 * taken and renewed with conditional writes, so of any number of concurrent
 * callers exactly one holds a group at a time. Time is the caller's `now`
 * (epoch ms); leases are short, so clock skew between invocations must stay
 * well below `ttlMs`.
 */
export function createGroupLease(options: GroupLeaseOptions) {
  const { tableName, client = defaultDynamoClient } = options;

  return {
    /**
     * Takes the lease on `groupKey` for `ttlMs` when nobody holds it, it
     * expired (`expiresAtMs ≤ now`), or `owner` holds it already (a retried
     * call). Otherwise `{ acquired: false }` with the holder, as read just after.
     */
    async acquireLease(
      groupKey: string,
      owner: string,
      ttlMs: number,
      now: number,
    ): Promise<AcquireResult> {
      checkTiming(ttlMs, now);
      const [dynamo, { UpdateItemCommand, GetItemCommand }] = await Promise.all([
        client(),
        dynamoSdk(),
      ]);
      const expiresAtMs = now + ttlMs;
      try {
        const answer = await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(groupKey),
            UpdateExpression:
              'SET #owner = :owner, expiresAtMs = :expires, #ttl = :ttl ADD fence :one',
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAtMs <= :now OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':owner': { S: owner },
              ':expires': { N: String(expiresAtMs) },
              ':ttl': { N: ttlSeconds(expiresAtMs) },
              ':now': { N: String(now) },
              ':one': { N: '1' },
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { acquired: true, lease: toLease(groupKey, answer.Attributes) };
      } catch (error) {
        if (!isConditionalFailure(error)) throw storeError('acquireLease', tableName, error);
      }
      try {
        const current = await dynamo.send(
          new GetItemCommand({ TableName: tableName, Key: keyOf(groupKey), ConsistentRead: true }),
        );
        const held = current.Item === undefined ? undefined : toLease(groupKey, current.Item);
        return { acquired: false, holder: held?.owner, expiresAtMs: held?.expiresAtMs };
      } catch {
        return { acquired: false, holder: undefined, expiresAtMs: undefined };
      }
    },

    /**
     * Extends a held lease to `now + ttlMs`. Throws `LeaseLostError` when it
     * expired or another owner (or a later acquisition) holds it: stop acting.
     */
    async renewLease(lease: Lease, ttlMs: number, now: number): Promise<Lease> {
      checkTiming(ttlMs, now);
      const [dynamo, { UpdateItemCommand }] = await Promise.all([client(), dynamoSdk()]);
      const expiresAtMs = now + ttlMs;
      try {
        const answer = await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(lease.groupKey),
            UpdateExpression: 'SET expiresAtMs = :expires, #ttl = :ttl',
            ConditionExpression: '#owner = :owner AND fence = :fence AND expiresAtMs > :now',
            ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':owner': { S: lease.owner },
              ':fence': { N: String(lease.fence) },
              ':expires': { N: String(expiresAtMs) },
              ':ttl': { N: ttlSeconds(expiresAtMs) },
              ':now': { N: String(now) },
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toLease(lease.groupKey, answer.Attributes);
      } catch (error) {
        if (isConditionalFailure(error)) {
          throw new LeaseLostError(
            { groupKey: lease.groupKey, owner: lease.owner },
            { cause: error },
          );
        }
        throw storeError('renewLease', tableName, error);
      }
    },

    /**
     * Gives the lease up so the next actor need not wait for expiry.
     * @returns false when it was no longer ours (expired and taken): nothing deleted.
     */
    async releaseLease(lease: Lease): Promise<boolean> {
      const [dynamo, { DeleteItemCommand }] = await Promise.all([client(), dynamoSdk()]);
      try {
        await dynamo.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(lease.groupKey),
            ConditionExpression: '#owner = :owner AND fence = :fence',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':owner': { S: lease.owner },
              ':fence': { N: String(lease.fence) },
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalFailure(error)) return false;
        throw storeError('releaseLease', tableName, error);
      }
    },
  };
}

export type GroupLease = ReturnType<typeof createGroupLease>;
