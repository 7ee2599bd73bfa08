import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DrainRecord, groupKeyOf, recordsOf, toEntry } from './drain-record.ts';
import type { DrainStep } from './drain-steps.ts';
import { TTL_ATTRIBUTE, ttlAfter } from './drain-table.ts';
import type { createDrainWriter } from './drain-writes.ts';
import { type DynamoClientFactory, dynamoSdk, isConditionalFailure, storeError } from './dynamo.ts';
import { type HeldLease, LEASE_NAMES, NO_RECORDS, releaseParts, takeParts } from './lease-item.ts';

type Item = Record<string, AttributeValue>;

/** A take that writes a group's first records, when the group's plan is still good. */
export interface TakeWithRecords {
  owner: string;
  /** The lease's end (epoch ms). */
  expiresAtMs: number;
  /**
   * The group's last hold must have ended before this instant, strictly
   * (the plan's listing less the clock skew margin,
   * lib/removal/lease/plan-still-good.ts `stillGoodBounds`).
   */
  heldBeforeMs: number;
  /** Whether no item at all counts as held long enough ago (TTL deleted it, or never held). */
  absentOk: boolean;
}

/**
 * The writes that change a group's lease and its drain records together, on
 * the one group item (lib/removal/store/lease-item.ts): the inline sweep's
 * drain start (take + first records) and a settle's end (records ended +
 * lease released).
 */
export function createLeaseWrites(options: {
  tableName: string;
  client: DynamoClientFactory;
  writer: Pick<ReturnType<typeof createDrainWriter>, 'applyWhole' | 'noteSize'>;
}) {
  const { tableName, client, writer } = options;

  /**
   * One conditional UpdateItem: `owner` takes the lease of the records'
   * group until `expiresAtMs` and writes `list` (that group's new records,
   * state `draining`), only when the group was last held before
   * `heldBeforeMs` (no item: only with `absentOk`) and the item holds no
   * record. The new lease's fence and the records as written; undefined,
   * nothing written, when refused (take the lease as usual then).
   */
  async function takeAndRecord(
    list: readonly DrainRecord[],
    take: TakeWithRecords,
  ): Promise<{ fence: number; records: DrainRecord[] } | undefined> {
    const [first] = list;
    if (first === undefined) throw new RangeError('a take with records needs at least one record');
    const servers: AttributeValue = {
      M: Object.fromEntries(list.map((r) => [r.serverId, toEntry(r)])),
    };
    const parts = takeParts(
      `${first.projectId}/${first.groupId}`,
      take.owner,
      take.expiresAtMs,
      servers,
    );
    const free = `${take.absentOk ? 'attribute_not_exists(pk) OR ' : ''}expiresAtMs < :heldBefore`;
    const [db, { UpdateItemCommand }] = await Promise.all([client(), dynamoSdk()]);
    try {
      const answer = await db.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: groupKeyOf(first.projectId, first.groupId),
          UpdateExpression: parts.UpdateExpression,
          ConditionExpression: `(${free}) AND ${NO_RECORDS}`,
          ExpressionAttributeNames: LEASE_NAMES,
          ExpressionAttributeValues: {
            ...parts.values,
            ':heldBefore': { N: String(take.heldBeforeMs) },
            ':zero': { N: '0' },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const after = answer.Attributes ?? {};
      writer.noteSize(first, list.length);
      return { fence: Number(after.fence?.N ?? Number.NaN), records: recordsOf(after, tableName) };
    } catch (error) {
      if (isConditionalFailure(error)) return undefined;
      throw storeError('takeAndRecord', tableName, error);
    }
  }

  /**
   * `step` (an end: `remove`) over one group item's `list` and the release
   * of `lease` at `now`, in one UpdateItem; when the end leaves the item
   * with no record (as this writer last knew its size) its TTL is set in the
   * same write, conditional on that size. Undefined, nothing written, when
   * refused (end and release apart then).
   */
  async function endAndRelease(
    step: DrainStep,
    list: readonly DrainRecord[],
    release: { lease: HeldLease; now: number },
  ): Promise<DrainRecord[] | undefined> {
    let ttlSet = false;
    const written = await writer.applyWhole(step, list, (whole) => {
      ttlSet = whole === list.length;
      const parts = releaseParts(release.lease, release.now, ttlSet);
      return {
        sets: parts.sets,
        condition: ttlSet ? `${parts.condition} AND size(#s) = :whole` : parts.condition,
        names: LEASE_NAMES,
        values: { ...parts.values, ...(ttlSet ? { ':whole': { N: String(whole) } } : {}) },
      };
    });
    if (written === undefined) return undefined;
    const left = Object.keys(written.after.servers?.M ?? {}).length;
    const [first] = list;
    if (!ttlSet && left === 0 && first !== undefined) {
      await setTtlIfEmpty(groupKeyOf(first.projectId, first.groupId), release);
    }
    return written.records;
  }

  // A released item found empty after an end whose size was unknown: its TTL,
  // conditional on still holding no record and still released by us. Best
  // effort: without it the item lingers until the group's next release.
  async function setTtlIfEmpty(Key: Item, release: { lease: HeldLease; now: number }) {
    const [db, { UpdateItemCommand }] = await Promise.all([client(), dynamoSdk()]);
    await db
      .send(
        new UpdateItemCommand({
          TableName: tableName,
          Key,
          UpdateExpression: 'SET #ttl = :ttl',
          ConditionExpression: `releasedFence = :fence AND fence = :fence AND ${NO_RECORDS}`,
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE, '#s': 'servers' },
          ExpressionAttributeValues: {
            ':ttl': { N: ttlAfter(release.now) },
            ':fence': { N: String(release.lease.fence) },
            ':zero': { N: '0' },
          },
        }),
      )
      .catch(() => undefined);
  }

  return { takeAndRecord, endAndRelease };
}
