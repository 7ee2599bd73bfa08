import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKeyOf, toServerItem } from '../../../lib/removal/store/drain-record.ts';
import {
  createDrainStore,
  type DrainRecord,
  type DrainWrite,
} from '../../../lib/removal/store/drain-store.ts';
import { DrainConflictError, DrainStoreError } from '../../../lib/removal/store/store-errors.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';

const T0 = Date.UTC(2026, 0, 1);

const LATER = T0 + 3_600_000;
const claim = (toOwner: string, now = LATER) => ({ toOwner, now, ownerUntilMs: now + 120_000 });

/** The one record a write of one record wrote, or the conflict it met, thrown. */
async function one(write: Promise<DrainWrite>): Promise<DrainRecord> {
  const { records, conflicts } = await write;
  if (conflicts[0] !== undefined) throw conflicts[0];
  if (records[0] === undefined) throw new Error('nothing written');
  return records[0];
}

function drain(serverId: string, overrides: Partial<DrainRecord> = {}): Omit<DrainRecord, 'state'> {
  return {
    projectId: 'p1',
    serverId,
    groupId: 'g1',
    instanceId: `i-${serverId}`,
    machineName: `m-${serverId}`,
    owner: 'sweep-a',
    drainedAtMs: T0,
    drainUntilMs: T0 + 120_000,
    ...overrides,
  };
}

describe('createDrainStore against a local DynamoDB', () => {
  let db: LocalDynamoDb;
  let store: ReturnType<typeof createDrainStore>;
  beforeAll(async () => {
    db = await startLocalDynamoDb();
    store = createDrainStore({ tableName: db.tableName, client: async () => db.client });
  });
  afterAll(() => db.close());

  it('records a drain and reads it back, strongly consistent', async () => {
    const written = await one(store.recordDrains([drain('s-read')]));
    expect(written.state).toBe('draining');
    expect(await store.getDrain('p1', 's-read', 'g1')).toEqual(written);
  });

  it('keeps the sessions a drain logs off as a list, and reads a record without them', async () => {
    const written = await one(
      store.recordDrains([drain('s-logoff', { logoffSessionIds: ['x', 'y'] })]),
    );
    const logoff = written;
    expect(written.logoffSessionIds).toEqual(['x', 'y']);
    expect(await store.getDrain('p1', 's-logoff', 'g1')).toEqual(written);
    const claimed = await one(store.claimDrains([logoff], claim('sweep-b')));
    expect(claimed.logoffSessionIds).toEqual(['x', 'y']);
    const plain = await one(store.recordDrains([drain('s-plain')]));
    expect(await store.getDrain('p1', 's-plain', 'g1')).toEqual(plain);
    expect(plain).not.toHaveProperty('logoffSessionIds');
  });

  it('refuses a second record of the same server, whoever asks', async () => {
    await one(store.recordDrains([drain('s-twice')]));
    const error = await one(store.recordDrains([drain('s-twice', { owner: 'sweep-b' })])).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DrainConflictError);
    expect(error).toMatchObject({ kind: 'already-recorded', currentOwner: 'sweep-a' });
    expect((await store.getDrain('p1', 's-twice', 'g1'))?.owner).toBe('sweep-a');
  });

  it('lets exactly one of many concurrent recorders win', async () => {
    const owners = ['a', 'b', 'c', 'd', 'e', 'f'];
    const results = await Promise.allSettled(
      owners.map((owner) => one(store.recordDrains([drain('s-race', { owner })]))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<DrainRecord>).value.owner;
    expect((await store.getDrain('p1', 's-race', 'g1'))?.owner).toBe(winner);
  });

  it('returns undefined for a server we never drained', async () => {
    expect(await store.getDrain('p1', 'operator-maintained', 'g1')).toBeUndefined();
  });

  it('lists every record of one project across pages, and none of another', async () => {
    const mine = Array.from({ length: 30 }, (_, i) => `list-${String(i).padStart(2, '0')}`);
    const paged = createDrainStore({
      tableName: db.tableName,
      client: async () => db.client,
      queryPageSize: 7,
    });
    await store.recordDrains(mine.map((id) => drain(id, { projectId: 'p-list', groupId: id })));
    await one(store.recordDrains([drain('other', { projectId: 'p-other' })]));
    const listed = await paged.listDrains('p-list');
    expect(listed.map((r) => r.serverId).sort()).toEqual(mine);
    expect(listed.every((r) => r.projectId === 'p-list')).toBe(true);
  });

  it('moves draining → acting only for its owner, then completes', async () => {
    const record = await one(store.recordDrains([drain('s-act')]));
    await expect(one(store.markActing([record], 'sweep-b'))).rejects.toMatchObject({
      kind: 'owner-mismatch',
    });
    const acting = await one(store.markActing([record], 'sweep-a'));
    expect(acting.state).toBe('acting');
    await expect(one(store.markActing([record], 'sweep-a'))).rejects.toMatchObject({
      kind: 'state-mismatch',
    });
    await one(store.endDrains('sweep-a', { completed: [acting] }));
    expect(await store.getDrain('p1', 's-act', 'g1')).toBeUndefined();
  });

  it('completes only a record in state acting', async () => {
    const record = await one(store.recordDrains([drain('s-early')]));
    await expect(one(store.endDrains('sweep-a', { completed: [record] }))).rejects.toMatchObject({
      kind: 'state-mismatch',
    });
    expect(await store.getDrain('p1', 's-early', 'g1')).toBeDefined();
  });

  it('clears only for its owner, and says when the record is gone', async () => {
    const record = await one(store.recordDrains([drain('s-clear')]));
    await expect(one(store.endDrains('sweep-b', { cleared: [record] }))).rejects.toMatchObject({
      kind: 'owner-mismatch',
    });
    await one(store.endDrains('sweep-a', { cleared: [record] }));
    await expect(one(store.endDrains('sweep-a', { cleared: [record] }))).rejects.toMatchObject({
      kind: 'not-recorded',
    });
  });

  it('hands a record to the next owner once, for crash recovery', async () => {
    const dead = await one(store.recordDrains([drain('s-claim', { owner: 'dead-sweep' })]));
    const results = await Promise.allSettled([
      one(store.claimDrains([dead], claim('sweep-x'))),
      one(store.claimDrains([dead], claim('sweep-y'))),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const owner = (await store.getDrain('p1', 's-claim', 'g1'))?.owner;
    expect(['sweep-x', 'sweep-y']).toContain(owner);
    await expect(one(store.endDrains('dead-sweep', { cleared: [dead] }))).rejects.toBeInstanceOf(
      DrainConflictError,
    );
  });

  it('refuses to claim a record while its owner is alive, and after lets one claim it', async () => {
    const live = await one(
      store.recordDrains([drain('s-live', { owner: 'live-sweep', ownerUntilMs: T0 + 240_000 })]),
    );
    // Past the drain period, but the owner promised to settle until T0 + 240 s.
    await expect(
      one(store.claimDrains([live], claim('other', T0 + 200_000))),
    ).rejects.toMatchObject({ kind: 'owner-mismatch', currentOwner: 'live-sweep' });
    expect((await store.getDrain('p1', 's-live', 'g1'))?.owner).toBe('live-sweep');
    const claimed = await one(store.claimDrains([live], claim('other')));
    expect(claimed).toMatchObject({ owner: 'other', ownerUntilMs: LATER + 120_000 });
    // A record of an older version (no ownerUntilMs): its drain period stands for it.
    const old = await one(store.recordDrains([drain('s-old', { owner: 'old' })]));
    await expect(one(store.claimDrains([old], claim('other', T0 + 60_000)))).rejects.toBeInstanceOf(
      DrainConflictError,
    );
  });

  it('moves the period to the confirmed maintenance, only for its draining owner', async () => {
    const record = await one(
      store.recordDrains([drain('s-confirm', { ownerUntilMs: T0 + 240_000 })]),
    );
    const times = { drainUntilMs: T0 + 128_000, ownerUntilMs: T0 + 248_000 };
    await expect(
      one(store.confirmMaintenance([record], 'someone-else', times)),
    ).rejects.toMatchObject({ kind: 'owner-mismatch' });
    const confirmed = await one(store.confirmMaintenance([record], 'sweep-a', times));
    expect(confirmed).toMatchObject(times);
    expect(await store.getDrain('p1', 's-confirm', 'g1')).toEqual(confirmed);
  });

  // A store on the same table that lists each command it sends.
  const countingStore = () => {
    const sent: string[] = [];
    const counted = createDrainStore({
      tableName: db.tableName,
      client: async () =>
        ({
          send: (command: { constructor: { name: string } }) => {
            sent.push(command.constructor.name);
            return db.client.send(command as never);
          },
        }) as unknown as DynamoDBClient,
    });
    return { sent, counted };
  };

  it('writes every step of a 20-server group drain in one request each, and keeps the emptied item', async () => {
    const { sent, counted } = countingStore();
    const ids = Array.from({ length: 20 }, (_, i) => `g20-${i}`);
    const written = await counted.recordDrains(ids.map((id) => drain(id, { groupId: 'g20' })));
    const times = { drainUntilMs: T0 + 130_000, ownerUntilMs: T0 + 250_000 };
    const confirmed = await counted.confirmMaintenance(written.records, 'sweep-a', times);
    const acting = await counted.markActing(confirmed.records, 'sweep-a');
    const [gone, ...rest] = acting.records;
    const ended = await counted.endDrains('sweep-a', {
      completed: rest,
      cleared: gone === undefined ? [] : [gone],
    });
    for (const w of [written, confirmed, acting, ended]) {
      expect(w.conflicts).toEqual([]);
      expect(w.records).toHaveLength(20);
    }
    expect(
      acting.records.every((r) => r.state === 'acting' && r.drainUntilMs === times.drainUntilMs),
    ).toBe(true);
    // With no item yet (no lease was taken): the update refused, a Put; then
    // confirm, acting, end: one request each for 20 servers. The item stays
    // (it would hold the group's lease), empty.
    expect(sent).toEqual([
      'UpdateItemCommand',
      'PutItemCommand',
      'UpdateItemCommand',
      'UpdateItemCommand',
      'UpdateItemCommand',
    ]);
    const item = await db.client.send(
      new GetItemCommand({ TableName: db.tableName, Key: groupKeyOf('p1', 'g20') }),
    );
    expect(item.Item?.servers).toEqual({ M: {} });
    expect(await counted.listDrains('p1')).not.toContainEqual(
      expect.objectContaining({ groupId: 'g20' }),
    );
  });

  it('writes the others of a group and names the one refused when one server is taken', async () => {
    const taken = await one(store.recordDrains([drain('mix-1', { groupId: 'mix', owner: 'b' })]));
    const { sent, counted } = countingStore();
    const write = await counted.recordDrains(
      ['mix-0', 'mix-1', 'mix-2'].map((id) => drain(id, { groupId: 'mix' })),
    );
    // The whole update refused, the Put refused (the item exists), then one
    // update a record: never the refused whole update again.
    expect(sent.filter((c) => c === 'UpdateItemCommand')).toHaveLength(4);
    expect(sent.slice(0, 2)).toEqual(['UpdateItemCommand', 'PutItemCommand']);
    expect(write.records.map((r) => r.serverId).sort()).toEqual(['mix-0', 'mix-2']);
    expect(write.conflicts).toMatchObject([
      { serverId: 'mix-1', kind: 'already-recorded', currentOwner: 'b' },
    ]);
    const acting = await store.markActing([...write.records, taken], 'sweep-a');
    expect(acting.records.map((r) => r.serverId).sort()).toEqual(['mix-0', 'mix-2']);
    expect(acting.conflicts).toMatchObject([{ serverId: 'mix-1', kind: 'owner-mismatch' }]);
  });

  it('ends only its own drains when another actor added one to the group meanwhile', async () => {
    const mine = await store.recordDrains(
      ['both-0', 'both-1'].map((id) => drain(id, { groupId: 'both' })),
    );
    // Another container's store (its own idea of the item) adds a third server.
    const other = createDrainStore({ tableName: db.tableName, client: async () => db.client });
    await one(other.recordDrains([drain('both-2', { groupId: 'both', owner: 'sweep-b' })]));
    const ended = await store.endDrains('sweep-a', { cleared: mine.records });
    expect(ended.conflicts).toEqual([]);
    expect((await store.listDrains('p1')).filter((r) => r.groupId === 'both')).toMatchObject([
      { serverId: 'both-2', owner: 'sweep-b' },
    ]);
  });

  it('takes one request per 20 servers of a group, never one expression past its limit', async () => {
    const ids = Array.from({ length: 45 }, (_, i) => `big-${i}`);
    const write = await store.recordDrains(ids.map((id) => drain(id, { groupId: 'big' })));
    expect(write.records).toHaveLength(45);
    const claimed = await store.claimDrains(write.records, claim('next'));
    expect(claimed.conflicts).toEqual([]);
    expect(claimed.records.every((r) => r.owner === 'next')).toBe(true);
  });

  it('reads, claims and ends a record an older version wrote as an item of its own', async () => {
    const old: DrainRecord = {
      ...drain('s-v1', { projectId: 'p-v1', owner: 'v1' }),
      state: 'draining',
    };
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: toServerItem(old) }));
    await one(store.recordDrains([drain('s-v2', { projectId: 'p-v1' })]));
    const listed = await store.listDrains('p-v1');
    expect(listed.map((r) => [r.serverId, r.item])).toEqual([
      ['s-v2', undefined],
      ['s-v1', 'server'],
    ]);
    // An item of another kind in the partition is not a drain.
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: { pk: { S: 'drain#p-v1' }, sk: { S: 'budget#g1' }, used: { N: '3' } },
      }),
    );
    expect(await store.listDrains('p-v1')).toHaveLength(2);
    const read = await store.getDrain('p-v1', 's-v1', 'g1');
    expect(read).toEqual({ ...old, item: 'server' });
    const claimed = await one(store.claimDrains([read as DrainRecord], claim('v2')));
    const acting = await one(store.markActing([claimed], 'v2'));
    expect(acting).toMatchObject({ owner: 'v2', state: 'acting', item: 'server' });
    await one(store.endDrains('v2', { completed: [acting] }));
    expect(await store.getDrain('p-v1', 's-v1', 'g1')).toBeUndefined();
    expect((await store.listDrains('p-v1')).map((r) => r.serverId)).toEqual(['s-v2']);
  });

  it('rejects a record with a bad field before writing anything', async () => {
    await expect(one(store.recordDrains([drain('s-bad', { drainUntilMs: -1 })]))).rejects.toThrow(
      /drainUntilMs/,
    );
    expect(await store.getDrain('p1', 's-bad', 'g1')).toBeUndefined();
  });

  it('wraps an unreachable table in DrainStoreError naming the table and operation', async () => {
    const missing = createDrainStore({ tableName: 'no-such-table', client: async () => db.client });
    const error = await missing.getDrain('p1', 'x', 'g1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainStoreError);
    expect(String(error)).toMatch(
      /GetItem on table no-such-table failed: ResourceNotFoundException/,
    );
  });
});
