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

/**
 * The lease item as it stood before an acquisition: who held the group last
 * and until when (epoch ms, on that holder's clock): its expiry, or, once
 * released, the instant it let go.
 */
export interface PreviousHold {
  owner: string;
  heldUntilMs: number;
}

export type AcquireResult =
  | {
      acquired: true;
      lease: Lease;
      /**
       * The item before this acquisition; undefined when there was none: the
       * group was never held, or not for {@link LEASE_ITEM_LINGER_MS} (TTL
       * deleted the item; it never deletes one sooner).
       */
      previous: PreviousHold | undefined;
    }
  | { acquired: false; holder: string | undefined; expiresAtMs: number | undefined };

export interface GroupLeaseOptions {
  tableName: string;
  client?: DynamoClientFactory;
}

/**
 * How long a lease item outlives its hold (its expiry, or the instant it was
 * released) before DynamoDB's TTL may delete it: an item that is gone says
 * the group was not held for at least this long. Expiry itself is decided by
 * `expiresAtMs` in the conditions.
 */
export const LEASE_ITEM_LINGER_MS = 3_600_000;

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

// A malformed time reads as NaN, which no comparison passes: the caller then
// treats the group as held recently (fail safe).
function toPrevious(item: Record<string, AttributeValue> | undefined): PreviousHold | undefined {
  if (item === undefined) return undefined;
  return { owner: item.owner?.S ?? '', heldUntilMs: Number(item.expiresAtMs?.N ?? Number.NaN) };
}

function ttlSeconds(heldUntilMs: number): string {
  return String(Math.ceil((heldUntilMs + LEASE_ITEM_LINGER_MS) / 1_000));
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
     * expired (`expiresAtMs ≤ now`) or was released, or `owner` holds it
     * already (a retried call); with the item as it was before (`previous`),
     * from the same conditional write. Otherwise `{ acquired: false }` with
     * the holder, as read just after.
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
              'SET #owner = :owner, expiresAtMs = :expires, #ttl = :ttl REMOVE releasedFence ADD fence :one',
            // Released only if the release named the current fence: a taker
            // that does not know releases (an older version, mid-deploy)
            // bumps the fence and so never leaves its lease looking released.
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAtMs <= :now OR releasedFence = fence OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':owner': { S: owner },
              ':expires': { N: String(expiresAtMs) },
              ':ttl': { N: ttlSeconds(expiresAtMs) },
              ':now': { N: String(now) },
              ':one': { N: '1' },
            },
            // The item before the write: who held the group last and until
            // when, at no extra request. The new lease follows from it (the
            // ADD made the fence one more, atomically with the condition).
            ReturnValues: 'ALL_OLD',
          }),
        );
        const old = answer.Attributes;
        const fence = Number(old?.fence?.N ?? 0) + 1;
        return {
          acquired: true,
          lease: { groupKey, owner, expiresAtMs, fence },
          previous: toPrevious(old),
        };
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
     * Gives the lease up so the next actor need not wait for expiry. The
     * item stays, marked released (`releasedFence` = its fence), with `now`
     * as the time it was held until
     * (TTL deletes it {@link LEASE_ITEM_LINGER_MS} later): the next taker
     * learns when the group was last held (lib/removal/lease/plan-still-good.ts).
     * @returns false when it was no longer ours (expired and taken): nothing written.
     */
    async releaseLease(lease: Lease, now: number): Promise<boolean> {
      if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`);
      const [dynamo, { UpdateItemCommand }] = await Promise.all([client(), dynamoSdk()]);
      try {
        await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(lease.groupKey),
            UpdateExpression: 'SET expiresAtMs = :now, releasedFence = :fence, #ttl = :ttl',
            ConditionExpression: '#owner = :owner AND fence = :fence',
            ExpressionAttributeNames: { '#owner': 'owner', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':owner': { S: lease.owner },
              ':fence': { N: String(lease.fence) },
              ':now': { N: String(now) },
              ':ttl': { N: ttlSeconds(now) },
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
