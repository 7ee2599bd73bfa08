import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LEASE_ITEM_LINGER_MS } from '../store/drain-table.ts';
import {
  type DynamoClientFactory,
  defaultDynamoClient,
  dynamoSdk,
  isConditionalFailure,
  storeError,
} from '../store/dynamo.ts';
import {
  LEASE_NAMES,
  leaseItemKey,
  NO_RECORDS,
  releaseParts,
  takeParts,
} from '../store/lease-item.ts';
import { LeaseLostError } from '../store/store-errors.ts';

export { LEASE_ITEM_LINGER_MS } from '../store/drain-table.ts';

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

/** How a report, a log line or an error names a group another actor holds. */
export function leaseHeldBy(holder: string | undefined): string {
  return `group lease held by ${holder ?? 'another actor'}`;
}

/** The lease key of one server group: group ids are unique only within a project. */
export function groupLeaseKey(projectId: string, groupId: string): string {
  return `${projectId}/${groupId}`;
}

function keyOf(groupKey: string): Record<string, AttributeValue> {
  return leaseItemKey(groupKey).key;
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

function checkTiming(ttlMs: number, now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`);
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive whole number of ms, got ${ttlMs}`);
  }
}

/**
 * One actor per group: the lease lives on the group's drain item (`pk` =
 * `drain#<project>`, `sk` = `group#<group>`, beside its records;
 * lib/removal/store/lease-item.ts), taken and renewed with conditional
 * writes, so of any number of concurrent callers exactly one holds a group
 * at a time. Time is the caller's `now` (epoch ms); leases are short, so
 * clock skew between invocations must stay well below `ttlMs`.
 */
export function createGroupLease(options: GroupLeaseOptions) {
  const { tableName, client = defaultDynamoClient } = options;

  return {
    /**
     * Takes the lease on `groupKey` (`<project id>/<group id>`) for `ttlMs`
     * when nobody holds it (no item, or an item no lease was ever taken on:
     * an older version's drain item), it expired (`expiresAtMs ≤ now`) or was
     * released, or `owner` holds it already (a retried call); with the item
     * as it was before (`previous`), from the same conditional write. The
     * item's records are left as they are. Otherwise `{ acquired: false }`
     * with the holder, as read just after.
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
      const take = takeParts(groupKey, owner, expiresAtMs);
      try {
        const answer = await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(groupKey),
            UpdateExpression: take.UpdateExpression,
            // Released only if the release named the current fence: a taker
            // that does not know releases bumps the fence and so never
            // leaves its lease looking released.
            ConditionExpression:
              'attribute_not_exists(pk) OR attribute_not_exists(expiresAtMs) OR expiresAtMs <= :now OR releasedFence = fence OR #owner = :leaseOwner',
            ExpressionAttributeNames: LEASE_NAMES,
            ExpressionAttributeValues: { ...take.values, ':now': { N: String(now) } },
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
            UpdateExpression: 'SET expiresAtMs = :expires',
            ConditionExpression: '#owner = :owner AND fence = :fence AND expiresAtMs > :now',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':owner': { S: lease.owner },
              ':fence': { N: String(lease.fence) },
              ':expires': { N: String(expiresAtMs) },
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
     * as the time it was held until: the next taker learns when the group
     * was last held (lib/removal/lease/plan-still-good.ts). When the item
     * holds no drain record, TTL deletes it {@link LEASE_ITEM_LINGER_MS}
     * later; one that holds records gets no TTL (a second request, only then).
     * @returns false when it was no longer ours (expired and taken): nothing written.
     */
    async releaseLease(lease: Lease, now: number): Promise<boolean> {
      if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`);
      const [dynamo, { UpdateItemCommand }] = await Promise.all([client(), dynamoSdk()]);
      const release = async (ttl: boolean) => {
        const parts = releaseParts(lease, now, ttl);
        await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(lease.groupKey),
            UpdateExpression: `SET ${parts.sets.join(', ')}`,
            ConditionExpression: ttl ? `${parts.condition} AND ${NO_RECORDS}` : parts.condition,
            ExpressionAttributeNames: ttl ? LEASE_NAMES : { '#owner': 'owner' },
            ExpressionAttributeValues: ttl
              ? { ...parts.values, ':zero': { N: '0' } }
              : parts.values,
          }),
        );
      };
      try {
        try {
          await release(true);
        } catch (error) {
          // Refused: ours but holding records (then no TTL), or no longer ours.
          if (!isConditionalFailure(error)) throw error;
          await release(false);
        }
        return true;
      } catch (error) {
        if (isConditionalFailure(error)) return false;
        throw storeError('releaseLease', tableName, error);
      }
    },
  };
}

export type GroupLease = ReturnType<typeof createGroupLease>;
