import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupLease, type Lease } from '../../../lib/removal/lease/group-lease.ts';
import { groupKeyOf, toServerItem } from '../../../lib/removal/store/drain-record.ts';
import { createDrainStore, type DrainRecord } from '../../../lib/removal/store/drain-store.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';

// The group's lease and its drain records on ONE item (lib/removal/store/lease-item.ts,
// lease-writes.ts): the drain start's one write, the settle's end with the
// release, TTL only on an item with no record, recovery's listing.

const T0 = Date.UTC(2026, 0, 1);
const HOLD = 130_000;

function drain(serverId: string, groupId: string): Omit<DrainRecord, 'state'> {
  return {
    projectId: 'p1',
    serverId,
    groupId,
    owner: 'sweep-a',
    drainedAtMs: T0,
    drainUntilMs: T0 + 10_000,
    ownerUntilMs: T0 + HOLD,
  };
}

describe('a group lease and its drain records on one item, local DynamoDB', () => {
  let db: LocalDynamoDb;
  const sent: string[] = [];
  let store: ReturnType<typeof createDrainStore>;
  let leases: ReturnType<typeof createGroupLease>;
  beforeAll(async () => {
    db = await startLocalDynamoDb();
    const client = async () =>
      ({
        send: (command: { constructor: { name: string } }) => {
          sent.push(command.constructor.name);
          return db.client.send(command as never);
        },
      }) as unknown as DynamoDBClient;
    store = createDrainStore({ tableName: db.tableName, client });
    leases = createGroupLease({ tableName: db.tableName, client });
  });
  afterAll(() => db.close());

  const item = async (groupId: string) =>
    (
      await db.client.send(
        new GetItemCommand({
          TableName: db.tableName,
          Key: groupKeyOf('p1', groupId),
          ConsistentRead: true,
        }),
      )
    ).Item;
  const take = (heldBeforeMs: number, absentOk = true) => ({
    owner: 'sweep-a',
    expiresAtMs: T0 + HOLD,
    heldBeforeMs,
    absentOk,
  });

  it('takes the lease and writes the records in ONE request when the plan is still good', async () => {
    sent.length = 0;
    const ids = Array.from({ length: 20 }, (_, i) => `one-${i}`);
    const taken = await store.takeAndRecord(
      ids.map((id) => drain(id, 'g-one')),
      take(T0 - 10_000),
    );
    expect(sent).toEqual(['UpdateItemCommand']);
    expect(taken?.fence).toBe(1);
    expect(taken?.records.map((r) => r.serverId).sort()).toEqual([...ids].sort());
    const after = await item('g-one');
    expect(after).toMatchObject({ owner: { S: 'sweep-a' }, expiresAtMs: { N: String(T0 + HOLD) } });
    expect(after).not.toHaveProperty('ttl');
    // The settle's end and the release: one request, and the emptied item gets its TTL.
    sent.length = 0;
    const lease: Lease = {
      groupKey: 'p1/g-one',
      owner: 'sweep-a',
      expiresAtMs: T0 + HOLD,
      fence: 1,
    };
    const acting = await store.markActing(taken?.records ?? [], 'sweep-a');
    const ended = await store.endDrains(
      'sweep-a',
      { completed: acting.records },
      { lease, now: T0 + 20_000 },
    );
    expect(sent).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
    expect(ended).toMatchObject({ released: true, conflicts: [] });
    const released = await item('g-one');
    expect(released?.servers).toEqual({ M: {} });
    expect(released).toMatchObject({
      releasedFence: { N: '1' },
      expiresAtMs: { N: String(T0 + 20_000) },
      ttl: { N: String(Math.ceil((T0 + 20_000 + 3_600_000) / 1_000)) },
    });
    // The next taker learns when the group was last held.
    const next = await leases.acquireLease('p1/g-one', 'b', 60_000, T0 + 30_000);
    expect(next).toMatchObject({ acquired: true, previous: { heldUntilMs: T0 + 20_000 } });
    expect(await item('g-one')).not.toHaveProperty('ttl');
  });

  it('refuses, writing nothing, when the group was held since the listing or holds records', async () => {
    const first = await store.takeAndRecord([drain('late-0', 'g-late')], take(T0 - 10_000));
    expect(first).toBeDefined();
    const lease: Lease = {
      groupKey: 'p1/g-late',
      owner: 'sweep-a',
      expiresAtMs: T0 + HOLD,
      fence: 1,
    };
    await store.endDrains('sweep-a', { cleared: first?.records ?? [] }, { lease, now: T0 + 5_000 });
    const before = await item('g-late');
    // Released at T0 + 5 s: a listing that began after (heldBefore T0 + 5 s) is refused, strictly.
    expect(
      await store.takeAndRecord([drain('late-1', 'g-late')], take(T0 + 5_000)),
    ).toBeUndefined();
    expect(await item('g-late')).toEqual(before);
    expect(await store.takeAndRecord([drain('late-1', 'g-late')], take(T0 + 5_001))).toBeDefined();
    // Now it holds a record (and a live lease): refused however late the listing.
    expect(
      await store.takeAndRecord([drain('late-2', 'g-late')], take(T0 + HOLD * 10)),
    ).toBeUndefined();
    // An item of an older version (records, no lease ever taken): refused too.
    await store.recordDrains([drain('old-0', 'g-older')]);
    expect(await store.takeAndRecord([drain('old-1', 'g-older')], take(T0))).toBeUndefined();
    // No item at all: only when a gone item is old enough (absentOk).
    expect(await store.takeAndRecord([drain('new-0', 'g-new')], take(T0, false))).toBeUndefined();
    expect(await item('g-new')).toBeUndefined();
  });

  it('never leaves a TTL on an item that holds a drain record', async () => {
    const key = 'p1/g-ttl';
    const hasTtl = async () => (await item('g-ttl'))?.ttl !== undefined;
    const a = await leases.acquireLease(key, 'a', 60_000, T0);
    if (!a.acquired) throw new Error('not acquired');
    expect(await hasTtl()).toBe(false);
    await leases.releaseLease(a.lease, T0 + 1);
    // Released with no record: TTL an hour later.
    expect(await hasTtl()).toBe(true);
    const b = await leases.acquireLease(key, 'b', 60_000, T0 + 2);
    if (!b.acquired) throw new Error('not acquired');
    // The take removed it; so does every record write.
    expect(await hasTtl()).toBe(false);
    const recorded = await store.recordDrains([drain('ttl-0', 'g-ttl')]);
    expect(recorded.records).toHaveLength(1);
    expect(await hasTtl()).toBe(false);
    // Released while it holds a record: marked released, no TTL.
    expect(await leases.releaseLease(b.lease, T0 + 3)).toBe(true);
    expect(await item('g-ttl')).toMatchObject({ releasedFence: { N: '2' } });
    expect(await hasTtl()).toBe(false);
    // A TTL set behind our back is removed by the next record write.
    await db.client.send(
      new UpdateItemCommand({
        TableName: db.tableName,
        Key: groupKeyOf('p1', 'g-ttl'),
        UpdateExpression: 'SET #ttl = :t',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':t': { N: '1' } },
      }),
    );
    await store.recordDrains([drain('ttl-1', 'g-ttl')]);
    expect(await hasTtl()).toBe(false);
    // An end with the release whose size this writer does not know: still one
    // TTL, set only once the item is found empty.
    const c = await leases.acquireLease(key, 'sweep-a', 60_000, T0 + 4);
    if (!c.acquired) throw new Error('not acquired');
    const fresh = createDrainStore({ tableName: db.tableName, client: async () => db.client });
    const mine = (await fresh.listDrains('p1')).filter((r) => r.groupId === 'g-ttl');
    const partial = await fresh.endDrains(
      'sweep-a',
      { cleared: mine.slice(0, 1) },
      { lease: c.lease, now: T0 + 5 },
    );
    expect(partial.released).toBe(true);
    expect(await hasTtl()).toBe(false);
    const d = await leases.acquireLease(key, 'sweep-a', 60_000, T0 + 6);
    if (!d.acquired) throw new Error('not acquired');
    await fresh.endDrains('sweep-a', { cleared: mine.slice(1) }, { lease: d.lease, now: T0 + 7 });
    expect(await hasTtl()).toBe(true);
  });

  it('sets no TTL when another writer added a record since this one last wrote the item', async () => {
    const taken = await store.takeAndRecord([drain('stale-0', 'g-stale')], take(T0 - 10_000));
    const other = createDrainStore({ tableName: db.tableName, client: async () => db.client });
    await other.recordDrains([{ ...drain('stale-1', 'g-stale'), owner: 'remediate-1' }]);
    const lease: Lease = {
      groupKey: 'p1/g-stale',
      owner: 'sweep-a',
      expiresAtMs: T0 + HOLD,
      fence: 1,
    };
    const ended = await store.endDrains(
      'sweep-a',
      { cleared: taken?.records ?? [] },
      { lease, now: T0 + 1 },
    );
    // The write that would have set the TTL was refused on the item's size: the end alone.
    expect(ended).toMatchObject({ released: false, conflicts: [] });
    const after = await item('g-stale');
    expect(Object.keys(after?.servers?.M ?? {})).toEqual(['stale-1']);
    expect(after).not.toHaveProperty('ttl');
  });

  it('ends the records and leaves the release to the caller when the lease is no longer ours', async () => {
    const taken = await store.takeAndRecord([drain('lost-0', 'g-lost')], take(T0 - 10_000));
    const stale: Lease = { groupKey: 'p1/g-lost', owner: 'sweep-a', expiresAtMs: T0, fence: 7 };
    const ended = await store.endDrains(
      'sweep-a',
      { cleared: taken?.records ?? [] },
      { lease: stale, now: T0 + 1 },
    );
    expect(ended).toMatchObject({ released: false, conflicts: [] });
    expect(ended.records).toHaveLength(1);
    expect(await item('g-lost')).toMatchObject({ servers: { M: {} }, owner: { S: 'sweep-a' } });
    expect(await item('g-lost')).not.toHaveProperty('releasedFence');
  });

  it("recovery's listing skips items that hold only a lease, and reads an older server item", async () => {
    const project = 'p-list';
    const l = createGroupLease({ tableName: db.tableName, client: async () => db.client });
    const held = await l.acquireLease(`${project}/g-lease-only`, 'a', 60_000, T0);
    if (held.acquired) await l.releaseLease(held.lease, T0 + 1);
    // A lease-only item without a `servers` map at all.
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: {
          ...groupKeyOf(project, 'g-bare'),
          owner: { S: 'x' },
          expiresAtMs: { N: String(T0) },
          fence: { N: '1' },
        },
      }),
    );
    const old: DrainRecord = { ...drain('s-old', 'g-old'), projectId: project, state: 'draining' };
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: toServerItem(old) }));
    await store.recordDrains([{ ...drain('s-new', 'g-new'), projectId: project }]);
    const listed = await store.listDrains(project);
    expect(listed.map((r) => r.serverId).sort()).toEqual(['s-new', 's-old']);
    expect(listed.find((r) => r.serverId === 's-old')?.item).toBe('server');
  });
});
