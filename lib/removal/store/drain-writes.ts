import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DrainRecord,
  groupKeyOf,
  recordsOf,
  serverKeyOf,
  toGroupItem,
} from './drain-record.ts';
import {
  byItem,
  type DrainStep,
  groupUpdate,
  type ItemExtra,
  serverUpdate,
} from './drain-steps.ts';
import { type DynamoClientFactory, dynamoSdk, isConditionalFailure, storeError } from './dynamo.ts';
import { DrainConflictError, DrainStoreError } from './store-errors.ts';

type Item = Record<string, AttributeValue>;

/** What one write of many records did: the records as written, and each one refused. */
export interface DrainWrite {
  records: DrainRecord[];
  conflicts: DrainConflictError[];
}

/** Writes merged into one answer. */
export function merge(writes: readonly DrainWrite[]): DrainWrite {
  return {
    records: writes.flatMap((w) => w.records),
    conflicts: writes.flatMap((w) => w.conflicts),
  };
}

/**
 * How a {@link DrainStep} reaches the table: one UpdateItem per group item
 * (per 20 of its servers), one request per older server item; a refused
 * condition of a write of many is tried again one record at a time, so the
 * refused record is named and the others are written. Also the read of one
 * record, which a refusal uses to say why.
 */
export function createDrainWriter(options: { tableName: string; client: DynamoClientFactory }) {
  const { tableName, client } = options;
  const dynamo = () => Promise.all([client(), dynamoSdk()]);
  // How many servers each group item held when last written: an end that
  // releases the lease and leaves the item empty may then set its TTL in the
  // same write (conditional on that count). A stale count only costs that.
  const sizes = new Map<string, number>();
  const sizeKey = (r: DrainRecord) => `${r.projectId}\u0000${r.groupId}`;

  async function getItem(key: Item): Promise<Item | undefined> {
    const [db, { GetItemCommand }] = await dynamo();
    try {
      const answer = await db.send(
        new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      return answer.Item;
    } catch (error) {
      throw storeError('GetItem', tableName, error);
    }
  }

  /** The record of `serverId` drained from `groupId`, or `undefined` when we hold none. */
  async function getDrain(
    projectId: string,
    serverId: string,
    groupId: string,
  ): Promise<DrainRecord | undefined> {
    const group = await getItem(groupKeyOf(projectId, groupId));
    const found = group && recordsOf(group, tableName).find((r) => r.serverId === serverId);
    if (found !== undefined) return found;
    const old = await getItem(serverKeyOf(projectId, serverId));
    return old === undefined ? undefined : recordsOf(old, tableName)[0];
  }

  // After a refused condition: read the record once to say why, best effort.
  async function conflict(step: DrainStep, record: DrainRecord, cause: unknown) {
    const { projectId, serverId, groupId } = record;
    const current = await getDrain(projectId, serverId, groupId).catch(() => undefined);
    return new DrainConflictError(
      {
        kind: step.guess(current, record),
        operation: step.operation,
        projectId,
        serverId,
        currentOwner: current?.owner,
        currentState: current?.state,
      },
      { cause },
    );
  }

  // One request for the records of one item; refused, each is tried alone to find which.
  async function applyItem(
    step: DrainStep,
    list: readonly DrainRecord[],
    write: (db: DynamoDBClient, sdk: typeof import('@aws-sdk/client-dynamodb')) => Promise<Item>,
  ): Promise<DrainWrite> {
    const [db, sdk] = await dynamo();
    try {
      return { records: writtenOf(step, list, await write(db, sdk)), conflicts: [] };
    } catch (error) {
      if (error instanceof DrainStoreError) throw error;
      if (!isConditionalFailure(error)) throw storeError(step.operation, tableName, error);
      const [only] = list;
      if (list.length === 1 && only !== undefined) {
        return { records: [], conflicts: [await conflict(step, only, error)] };
      }
      return merge(await Promise.all(list.map((record) => apply(step, [record]))));
    }
  }

  // `step` over `records` of any groups: one UpdateItem per group item (per 20 servers).
  async function apply(step: DrainStep, records: readonly DrainRecord[]): Promise<DrainWrite> {
    const writes = byItem(records).map((list) => {
      const [first] = list;
      if (first === undefined) return { records: [], conflicts: [] };
      if (first.item === 'server') {
        return applyItem(step, list, async (db, sdk) => {
          const input = { TableName: tableName, Key: serverKeyOf(first.projectId, first.serverId) };
          const parts = serverUpdate(step, first);
          if (step.remove) {
            await db.send(new sdk.DeleteItemCommand({ ...input, ...parts }));
            return {};
          }
          const answer = await db.send(
            new sdk.UpdateItemCommand({ ...input, ...parts, ReturnValues: 'ALL_NEW' }),
          );
          return answer.Attributes ?? {};
        });
      }
      return applyItem(step, list, () => updateGroup(step, list));
    });
    return merge(await Promise.all(writes));
  }

  // The records of `list` as a write of `step` left them in the item `after`.
  function writtenOf(step: DrainStep, list: readonly DrainRecord[], after: Item): DrainRecord[] {
    if (step.remove) return [...list];
    const ids = new Set(list.map((r) => r.serverId));
    return recordsOf(after, tableName).filter((r) => ids.has(r.serverId));
  }

  // One UpdateItem of `step` over one group item's `list` (non-empty), with
  // `more` clauses on the item: the item after, its size noted. Throws when refused.
  async function updateGroup(
    step: DrainStep,
    list: readonly DrainRecord[],
    more?: ItemExtra,
  ): Promise<Item> {
    const first = list[0] as DrainRecord;
    const [db, { UpdateItemCommand }] = await dynamo();
    const answer = await db.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: groupKeyOf(first.projectId, first.groupId),
        ...groupUpdate(step, list, more),
        ReturnValues: 'ALL_NEW',
      }),
    );
    const after = answer.Attributes ?? {};
    sizes.set(sizeKey(first), Object.keys(after.servers?.M ?? {}).length);
    return after;
  }

  /**
   * `step` over one group item's `list` in ONE UpdateItem with `extra`
   * clauses on the item, never split: the records as written and the item
   * after, or undefined when the condition was refused (nothing written).
   * `extra` is given how many servers the item held when this writer last
   * wrote it (undefined: unknown).
   */
  async function applyWhole(
    step: DrainStep,
    list: readonly DrainRecord[],
    extra: (whole: number | undefined) => ItemExtra,
  ): Promise<{ records: DrainRecord[]; after: Item } | undefined> {
    const [first] = list;
    if (first === undefined) return { records: [], after: {} };
    try {
      const after = await updateGroup(step, list, extra(sizes.get(sizeKey(first))));
      return { records: writtenOf(step, list, after), after };
    } catch (error) {
      if (isConditionalFailure(error)) return undefined;
      throw storeError(step.operation, tableName, error);
    }
  }

  /**
   * Writes a new group item holding `list` (one group's records); false,
   * writing nothing, when the group has an item already.
   */
  async function putGroup(list: readonly DrainRecord[]): Promise<boolean> {
    const [first] = list;
    if (first === undefined) return true;
    const [db, { PutItemCommand }] = await dynamo();
    try {
      await db.send(
        new PutItemCommand({
          TableName: tableName,
          Item: toGroupItem(list),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      sizes.set(sizeKey(first), list.length);
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw storeError('recordDrain', tableName, error);
    }
  }

  /** Notes that `record`'s group item now holds `servers` records (written by another write here). */
  function noteSize(record: DrainRecord, servers: number): void {
    sizes.set(sizeKey(record), servers);
  }

  return { getDrain, apply, applyWhole, putGroup, noteSize };
}
