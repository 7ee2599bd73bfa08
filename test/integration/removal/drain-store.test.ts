import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrainStore, type DrainRecord } from '../../../lib/removal/store/drain-store.ts';
import { DrainConflictError, DrainStoreError } from '../../../lib/removal/store/store-errors.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';

const T0 = Date.UTC(2026, 0, 1);

const LATER = T0 + 3_600_000;
const claim = (fromOwner: string, toOwner: string, now = LATER) => ({
  fromOwner,
  toOwner,
  now,
  ownerUntilMs: now + 120_000,
});

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
    const written = await store.recordDrain(drain('s-read'));
    expect(written.state).toBe('draining');
    expect(await store.getDrain('p1', 's-read')).toEqual(written);
  });

  it('keeps the sessions a drain logs off as a list, and reads a record without them', async () => {
    const written = await store.recordDrain(drain('s-logoff', { logoffSessionIds: ['x', 'y'] }));
    expect(written.logoffSessionIds).toEqual(['x', 'y']);
    expect(await store.getDrain('p1', 's-logoff')).toEqual(written);
    const claimed = await store.claimDrain('p1', 's-logoff', claim('sweep-a', 'sweep-b'));
    expect(claimed.logoffSessionIds).toEqual(['x', 'y']);
    const plain = await store.recordDrain(drain('s-plain'));
    expect(await store.getDrain('p1', 's-plain')).toEqual(plain);
    expect(plain).not.toHaveProperty('logoffSessionIds');
  });

  it('refuses a second record of the same server, whoever asks', async () => {
    await store.recordDrain(drain('s-twice'));
    const error = await store
      .recordDrain(drain('s-twice', { owner: 'sweep-b' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainConflictError);
    expect(error).toMatchObject({ kind: 'already-recorded', currentOwner: 'sweep-a' });
    expect((await store.getDrain('p1', 's-twice'))?.owner).toBe('sweep-a');
  });

  it('lets exactly one of many concurrent recorders win', async () => {
    const owners = ['a', 'b', 'c', 'd', 'e', 'f'];
    const results = await Promise.allSettled(
      owners.map((owner) => store.recordDrain(drain('s-race', { owner }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<DrainRecord>).value.owner;
    expect((await store.getDrain('p1', 's-race'))?.owner).toBe(winner);
  });

  it('returns undefined for a server we never drained', async () => {
    expect(await store.getDrain('p1', 'operator-maintained')).toBeUndefined();
  });

  it('lists every record of one project across pages, and none of another', async () => {
    const mine = Array.from({ length: 30 }, (_, i) => `list-${String(i).padStart(2, '0')}`);
    const paged = createDrainStore({
      tableName: db.tableName,
      client: async () => db.client,
      queryPageSize: 7,
    });
    await Promise.all(mine.map((id) => store.recordDrain(drain(id, { projectId: 'p-list' }))));
    await store.recordDrain(drain('other', { projectId: 'p-other' }));
    const listed = await paged.listDrains('p-list');
    expect(listed.map((r) => r.serverId).sort()).toEqual(mine);
    expect(listed.every((r) => r.projectId === 'p-list')).toBe(true);
  });

  it('moves draining → acting only for its owner, then completes', async () => {
    await store.recordDrain(drain('s-act'));
    await expect(store.markActing('p1', 's-act', 'sweep-b')).rejects.toMatchObject({
      kind: 'owner-mismatch',
    });
    const acting = await store.markActing('p1', 's-act', 'sweep-a');
    expect(acting.state).toBe('acting');
    await expect(store.markActing('p1', 's-act', 'sweep-a')).rejects.toMatchObject({
      kind: 'state-mismatch',
    });
    await store.completeDrain('p1', 's-act', 'sweep-a');
    expect(await store.getDrain('p1', 's-act')).toBeUndefined();
  });

  it('completes only a record in state acting', async () => {
    await store.recordDrain(drain('s-early'));
    await expect(store.completeDrain('p1', 's-early', 'sweep-a')).rejects.toMatchObject({
      kind: 'state-mismatch',
    });
    expect(await store.getDrain('p1', 's-early')).toBeDefined();
  });

  it('clears only for its owner, and says when the record is gone', async () => {
    await store.recordDrain(drain('s-clear'));
    await expect(store.clearDrain('p1', 's-clear', 'sweep-b')).rejects.toMatchObject({
      kind: 'owner-mismatch',
    });
    await store.clearDrain('p1', 's-clear', 'sweep-a');
    await expect(store.clearDrain('p1', 's-clear', 'sweep-a')).rejects.toMatchObject({
      kind: 'not-recorded',
    });
  });

  it('hands a record to the next owner once, for crash recovery', async () => {
    await store.recordDrain(drain('s-claim', { owner: 'dead-sweep' }));
    const results = await Promise.allSettled([
      store.claimDrain('p1', 's-claim', claim('dead-sweep', 'sweep-x')),
      store.claimDrain('p1', 's-claim', claim('dead-sweep', 'sweep-y')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const owner = (await store.getDrain('p1', 's-claim'))?.owner;
    expect(['sweep-x', 'sweep-y']).toContain(owner);
    await expect(store.clearDrain('p1', 's-claim', 'dead-sweep')).rejects.toBeInstanceOf(
      DrainConflictError,
    );
  });

  it('refuses to claim a record while its owner is alive, and after lets one claim it', async () => {
    await store.recordDrain(drain('s-live', { owner: 'live-sweep', ownerUntilMs: T0 + 240_000 }));
    // Past the drain period, but the owner promised to settle until T0 + 240 s.
    await expect(
      store.claimDrain('p1', 's-live', claim('live-sweep', 'other', T0 + 200_000)),
    ).rejects.toMatchObject({ kind: 'owner-mismatch', currentOwner: 'live-sweep' });
    expect((await store.getDrain('p1', 's-live'))?.owner).toBe('live-sweep');
    const claimed = await store.claimDrain('p1', 's-live', claim('live-sweep', 'other'));
    expect(claimed).toMatchObject({ owner: 'other', ownerUntilMs: LATER + 120_000 });
    // A record of an older version (no ownerUntilMs): its drain period stands for it.
    await store.recordDrain(drain('s-old', { owner: 'old' }));
    await expect(
      store.claimDrain('p1', 's-old', claim('old', 'other', T0 + 60_000)),
    ).rejects.toBeInstanceOf(DrainConflictError);
  });

  it('moves the period to the confirmed maintenance, only for its draining owner', async () => {
    await store.recordDrain(drain('s-confirm', { ownerUntilMs: T0 + 240_000 }));
    const times = { drainUntilMs: T0 + 128_000, ownerUntilMs: T0 + 248_000 };
    await expect(
      store.confirmMaintenance('p1', 's-confirm', 'someone-else', times),
    ).rejects.toMatchObject({ kind: 'owner-mismatch' });
    const confirmed = await store.confirmMaintenance('p1', 's-confirm', 'sweep-a', times);
    expect(confirmed).toMatchObject(times);
    expect(await store.getDrain('p1', 's-confirm')).toEqual(confirmed);
  });

  it('rejects a record with a bad field before writing anything', async () => {
    await expect(store.recordDrain(drain('s-bad', { drainUntilMs: -1 }))).rejects.toThrow(
      /drainUntilMs/,
    );
    expect(await store.getDrain('p1', 's-bad')).toBeUndefined();
  });

  it('wraps an unreachable table in DrainStoreError naming the table and operation', async () => {
    const missing = createDrainStore({ tableName: 'no-such-table', client: async () => db.client });
    const error = await missing.getDrain('p1', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainStoreError);
    expect(String(error)).toMatch(
      /GetItem on table no-such-table failed: ResourceNotFoundException/,
    );
  });
});
