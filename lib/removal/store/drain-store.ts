import type { AttributeValue, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  type DrainRecord,
  DrainRecordSchema,
  partitionOf,
  recordsOf,
  toEntry,
} from './drain-record.ts';
import { byItem, type DrainStep, ownedIn } from './drain-steps.ts';
import { TTL_ATTRIBUTE } from './drain-table.ts';
import { createDrainWriter, type DrainWrite, merge } from './drain-writes.ts';
import { type DynamoClientFactory, defaultDynamoClient, dynamoSdk, storeError } from './dynamo.ts';
import type { HeldLease } from './lease-item.ts';
import { createLeaseWrites, type TakeWithRecords } from './lease-writes.ts';

type Item = Record<string, AttributeValue>;

export {
  type DrainRecord,
  DrainRecordSchema,
  type DrainState,
  DrainStateSchema,
} from './drain-record.ts';

export interface DrainStoreOptions {
  tableName: string;
  client?: DynamoClientFactory;
  /** Items per Query page (DynamoDB's own 1 MB page when left out); tests use it to page. */
  queryPageSize?: number;
}

export type { DrainWrite } from './drain-writes.ts';

/**
 * The durable record of the servers we drained: ONE DynamoDB item per
 * drained group (`pk` = `drain#<project>`, `sk` = `group#<group>`), its
 * `servers` map holding each server's record, so every step of a group's
 * drain is one request however many servers it drains (20 at most per
 * request: {@link SERVERS_PER_WRITE}). Every write is conditional on each
 * record it touches, so two actors never both believe they own one drain; a
 * refused condition is that server's `DrainConflictError` (the others of
 * the write are then tried one by one), any other failure throws a
 * `DrainStoreError`. Records an older version wrote as items of their own
 * (`sk` = `server#<id>`) are read and settled as they are for one release
 * (docs/drain-lifecycle.md). Reads are strongly consistent.
 */
export function createDrainStore(options: DrainStoreOptions) {
  const { tableName, client = defaultDynamoClient, queryPageSize } = options;
  const dynamo = () => Promise.all([client(), dynamoSdk()]);

  const writer = createDrainWriter({ tableName, client });
  const { getDrain, apply, applyWhole, putGroup } = writer;
  const { takeAndRecord, endAndRelease } = createLeaseWrites({ tableName, client, writer });

  const record: DrainStep = {
    operation: 'recordDrain',
    // The group item exists (a Put was refused): add the entries no one holds.
    set: (path, i) => [`${path.slice(0, -1)} = :entry${i}`],
    condition: (path) => `attribute_exists(#s) AND attribute_not_exists(${path.slice(0, -1)})`,
    values: (r, i) => ({ [`:entry${i}`]: toEntry(r) }),
    shared: {},
    guess: () => 'already-recorded',
    // An item that holds a record never carries a TTL (lib/removal/store/lease-item.ts).
    extra: { removes: ['#ttl'], names: { '#ttl': TTL_ATTRIBUTE } },
  };

  // New records of one group item: one Update adding them to the item (its
  // lease's take made it); a Put when the group has no item; else the Update
  // again, one record at a time, to name each refused one.
  async function recordItem(list: readonly DrainRecord[]): Promise<DrainWrite> {
    const added = await applyWhole(record, list, () => ({}));
    if (added !== undefined) return { records: added.records, conflicts: [] };
    if (await putGroup(list)) return { records: [...list], conflicts: [] };
    return merge(await Promise.all(list.map((one) => apply(record, [one]))));
  }

  return {
    getDrain,

    /**
     * Writes new records in state `draining`, one request per group (per 20
     * servers); a server that has a record already, whoever owns it, is
     * refused (`already-recorded`). Call BEFORE requesting maintenance, so a
     * server we put into maintenance always has a record.
     */
    async recordDrains(records: readonly Omit<DrainRecord, 'state'>[]): Promise<DrainWrite> {
      const full = records.map((r) => DrainRecordSchema.parse({ ...r, state: 'draining' }));
      return merge(await Promise.all(byItem(full).map(recordItem)));
    },

    /**
     * The inline sweep's drain start for one group whose plan is still good:
     * the group's lease and its new records (state `draining`) in ONE
     * conditional UpdateItem (lib/removal/store/lease-writes.ts); undefined,
     * nothing written, when the group was held since `heldBeforeMs` or its
     * item holds records (take the lease as usual then).
     */
    async takeAndRecord(
      records: readonly Omit<DrainRecord, 'state'>[],
      take: TakeWithRecords,
    ): Promise<{ fence: number; records: DrainRecord[] } | undefined> {
      const full = records.map((r) => DrainRecordSchema.parse({ ...r, state: 'draining' }));
      if (byItem(full).length !== 1) throw new RangeError('a take with records names one group');
      return takeAndRecord(full, take);
    },

    /** Every record of `projectId` (all pages), by server id: what the next sweep recovers. */
    async listDrains(projectId: string): Promise<DrainRecord[]> {
      const [db, { QueryCommand }] = await dynamo();
      const records: DrainRecord[] = [];
      let start: Item | undefined;
      do {
        let answer: QueryCommandOutput;
        try {
          answer = await db.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: partitionOf(projectId) } },
              ConsistentRead: true,
              ...(queryPageSize ? { Limit: queryPageSize } : {}),
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
        } catch (error) {
          throw storeError('Query', tableName, error);
        }
        for (const item of answer.Items ?? []) {
          // Only drain items: other items may share the project's partition (a budget ledger).
          if (/^(group|server)#/.test(item.sk?.S ?? ''))
            records.push(...recordsOf(item, tableName));
        }
        start = answer.LastEvaluatedKey;
      } while (start !== undefined);
      return records;
    },

    /** `draining` → `acting`, only by `owner`: call right before the removal or release. */
    markActing(records: readonly DrainRecord[], owner: string): Promise<DrainWrite> {
      const owned = ownedIn(owner, 'draining');
      return apply(
        {
          operation: 'markActing',
          set: (path) => [`${path}#state = :acting`],
          ...owned,
          shared: { ...owned.shared, ':acting': { S: 'acting' } },
        },
        records,
      );
    },

    /**
     * Hands records to `toOwner` (crash recovery: the next sweep, holding the
     * group's lease, takes over a dead invocation's drains), each from its own
     * owner. Refused while that owner is alive: `ownerUntilMs` (else
     * `drainUntilMs`) still after `now`. The new owner holds them until `ownerUntilMs`.
     */
    claimDrains(
      records: readonly DrainRecord[],
      claim: { toOwner: string; now: number; ownerUntilMs: number },
    ): Promise<DrainWrite> {
      const index = new Map(records.map((r, i) => [r.serverId, i]));
      return apply(
        {
          operation: 'claimDrain',
          set: (path) => [`${path}#owner = :to`, `${path}ownerUntilMs = :until`],
          condition: (path, r) =>
            `${path}#owner = :from${index.get(r.serverId)} AND (${path}ownerUntilMs <= :now OR (attribute_not_exists(${path}ownerUntilMs) AND ${path}drainUntilMs <= :now))`,
          values: (r) => ({ [`:from${index.get(r.serverId)}`]: { S: r.owner } }),
          shared: {
            ':to': { S: claim.toOwner },
            ':now': { N: String(claim.now) },
            ':until': { N: String(claim.ownerUntilMs) },
          },
          guess: ownedIn('').guess,
        },
        records,
      );
    },

    /**
     * Maintenance confirmed: the period starts now, so `drainUntilMs` and
     * `ownerUntilMs` move to the confirmed instant's. Only their owner, only
     * while `draining`.
     */
    confirmMaintenance(
      records: readonly DrainRecord[],
      owner: string,
      times: Pick<DrainRecord, 'drainUntilMs' | 'ownerUntilMs'>,
    ): Promise<DrainWrite> {
      const owned = ownedIn(owner, 'draining');
      return apply(
        {
          operation: 'confirmMaintenance',
          set: (path) => [`${path}drainUntilMs = :drain`, `${path}ownerUntilMs = :until`],
          ...owned,
          shared: {
            ...owned.shared,
            ':drain': { N: String(times.drainUntilMs) },
            ':until': { N: String(times.ownerUntilMs ?? times.drainUntilMs) },
          },
        },
        records,
      );
    },

    /**
     * Ends drains in one request per group: `completed` (the action
     * succeeded: only in state `acting`) and `cleared` (maintenance undone or
     * found lifted: in any state), only by `owner`. The group item stays (it
     * holds the group's lease). With `release` (the group's lease, held by
     * this actor, whose last change this is) and one group item's records,
     * the lease is released in the same write (`released`); refused, the end
     * is written alone and the caller releases.
     */
    async endDrains(
      owner: string,
      ended: { completed?: readonly DrainRecord[]; cleared?: readonly DrainRecord[] },
      release?: { lease: HeldLease; now: number },
    ): Promise<DrainWrite & { released: boolean }> {
      const completed = new Set(ended.completed?.map((r) => r.serverId));
      const acting = ownedIn(owner, 'acting');
      const any = ownedIn(owner);
      const step: DrainStep = {
        operation: 'endDrain',
        remove: true,
        condition: (path, r) => (completed.has(r.serverId) ? acting : any).condition(path),
        shared: acting.shared,
        guess: (current, r) => (completed.has(r.serverId) ? acting : any).guess(current),
      };
      const all = [...(ended.completed ?? []), ...(ended.cleared ?? [])];
      const items = byItem(all);
      const [only] = items;
      if (release !== undefined && items.length === 1 && only?.[0]?.item !== 'server' && only) {
        const records = await endAndRelease(step, only, release);
        if (records !== undefined) return { records, conflicts: [], released: true };
      }
      return { ...(await apply(step, all)), released: false };
    },
  };
}

export type DrainStore = ReturnType<typeof createDrainStore>;
