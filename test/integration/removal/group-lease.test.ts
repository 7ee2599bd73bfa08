import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupLease, type GroupLease } from '../../../lib/removal/lease/group-lease.ts';
import { LeaseLostError } from '../../../lib/removal/store/store-errors.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';

const T0 = Date.UTC(2026, 0, 1);
const TTL = 60_000;

describe('createGroupLease against a local DynamoDB', () => {
  let db: LocalDynamoDb;
  let leases: GroupLease;
  beforeAll(async () => {
    db = await startLocalDynamoDb();
    leases = createGroupLease({ tableName: db.tableName, client: async () => db.client });
  });
  afterAll(() => db.close());

  it('gives the lease to exactly one of two concurrent actors', async () => {
    const [a, b] = await Promise.all([
      leases.acquireLease('p1/g-pair', 'actor-a', TTL, T0),
      leases.acquireLease('p1/g-pair', 'actor-b', TTL, T0),
    ]);
    expect([a.acquired, b.acquired].filter(Boolean)).toHaveLength(1);
    const loser = a.acquired ? b : a;
    const winner = a.acquired ? a : b;
    expect(loser).toMatchObject({
      acquired: false,
      holder: winner.acquired ? winner.lease.owner : undefined,
      expiresAtMs: T0 + TTL,
    });
  });

  it('gives the lease to exactly one of many concurrent actors', async () => {
    const owners = Array.from({ length: 8 }, (_, i) => `actor-${i}`);
    const results = await Promise.all(
      owners.map((owner) => leases.acquireLease('p1/g-many', owner, TTL, T0)),
    );
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
  });

  it('keeps a live lease from others and lets one actor take an expired one', async () => {
    const first = await leases.acquireLease('p1/g-expiry', 'old', TTL, T0);
    expect(first.acquired).toBe(true);
    const early = await leases.acquireLease('p1/g-expiry', 'new', TTL, T0 + TTL - 1);
    expect(early.acquired).toBe(false);
    const [x, y] = await Promise.all([
      leases.acquireLease('p1/g-expiry', 'new-x', TTL, T0 + TTL),
      leases.acquireLease('p1/g-expiry', 'new-y', TTL, T0 + TTL),
    ]);
    expect([x.acquired, y.acquired].filter(Boolean)).toHaveLength(1);
    const taken = x.acquired ? x.lease : y.acquired ? y.lease : undefined;
    if (!first.acquired || taken === undefined) throw new Error('unreachable');
    expect(taken.fence).toBeGreaterThan(first.lease.fence);
  });

  it('renews only while held, and the old holder loses it after a takeover', async () => {
    const got = await leases.acquireLease('p1/g-renew', 'a', TTL, T0);
    if (!got.acquired) throw new Error('not acquired');
    const renewed = await leases.renewLease(got.lease, TTL, T0 + TTL / 2);
    expect(renewed.expiresAtMs).toBe(T0 + TTL / 2 + TTL);
    expect((await leases.acquireLease('p1/g-renew', 'b', TTL, T0 + TTL)).acquired).toBe(false);
    const taken = await leases.acquireLease('p1/g-renew', 'b', TTL, renewed.expiresAtMs);
    expect(taken.acquired).toBe(true);
    await expect(leases.renewLease(renewed, TTL, renewed.expiresAtMs + 1)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(await leases.releaseLease(renewed, renewed.expiresAtMs + 2)).toBe(false);
  });

  it('does not renew an expired lease even when nobody took it', async () => {
    const got = await leases.acquireLease('p1/g-lapsed', 'a', TTL, T0);
    if (!got.acquired) throw new Error('not acquired');
    await expect(leases.renewLease(got.lease, TTL, T0 + TTL)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
  });

  it('releases for the next actor at once', async () => {
    const got = await leases.acquireLease('p1/g-release', 'a', TTL, T0);
    if (!got.acquired) throw new Error('not acquired');
    expect(await leases.releaseLease(got.lease, T0 + 5)).toBe(true);
    expect((await leases.acquireLease('p1/g-release', 'b', TTL, T0 + 1)).acquired).toBe(true);
  });

  it('tells the next taker who held the group last and until when, from the one write', async () => {
    const first = await leases.acquireLease('p1/g-previous', 'a', TTL, T0);
    expect(first).toMatchObject({ acquired: true, previous: undefined });
    if (!first.acquired) throw new Error('not acquired');
    expect(first.lease).toMatchObject({ owner: 'a', expiresAtMs: T0 + TTL, fence: 1 });
    // Released early: held until the release, not the expiry.
    await leases.releaseLease(first.lease, T0 + 7_000);
    const second = await leases.acquireLease('p1/g-previous', 'b', TTL, T0 + 8_000);
    expect(second).toMatchObject({
      acquired: true,
      previous: { owner: 'a', heldUntilMs: T0 + 7_000 },
      lease: { owner: 'b', expiresAtMs: T0 + 8_000 + TTL, fence: 2 },
    });
    if (!second.acquired) throw new Error('not acquired');
    // Never released: held until it expired.
    const third = await leases.acquireLease('p1/g-previous', 'c', TTL, second.lease.expiresAtMs);
    expect(third).toMatchObject({
      acquired: true,
      previous: { owner: 'b', heldUntilMs: second.lease.expiresAtMs },
      lease: { fence: 3 },
    });
    // The lease the take returned is the item's: it renews.
    if (!third.acquired) throw new Error('not acquired');
    const renewed = await leases.renewLease(third.lease, TTL, third.lease.expiresAtMs - 1);
    expect(renewed.fence).toBe(3);
  });

  it('never takes a released item as free once a taker that does not know releases took it', async () => {
    const got = await leases.acquireLease('p1/g-old-taker', 'a', TTL, T0);
    if (!got.acquired) throw new Error('not acquired');
    await leases.releaseLease(got.lease, T0 + 1);
    // A take that does not know releases: no releasedFence in its expression, the fence bumped.
    await db.client.send(
      new UpdateItemCommand({
        TableName: db.tableName,
        Key: { pk: { S: 'drain#p1' }, sk: { S: 'group#g-old-taker' } },
        UpdateExpression: 'SET #owner = :owner, expiresAtMs = :expires ADD fence :one',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':owner': { S: 'old-version' },
          ':expires': { N: String(T0 + 2 + TTL) },
          ':one': { N: '1' },
        },
      }),
    );
    expect(await leases.acquireLease('p1/g-old-taker', 'b', TTL, T0 + 3)).toMatchObject({
      acquired: false,
      holder: 'old-version',
    });
  });

  it('rejects a ttl or now that cannot bound a lease', async () => {
    await expect(leases.acquireLease('p1/g-bad', 'a', 0, T0)).rejects.toThrow(/ttlMs/);
    await expect(leases.acquireLease('p1/g-bad', 'a', TTL, Number.NaN)).rejects.toThrow(/now/);
  });

  describe('two actors on a group at its floor', () => {
    interface Group {
      members: Set<string>;
      floor: number;
    }

    // One actor: takes the group's lease, reads the group, and removes one
    // idle member only while more than the floor remain. The awaits between
    // read and write are where a second actor would interleave without the lease.
    async function actor(
      group: Group,
      groupKey: string,
      owner: string,
      now: number,
      pause: () => Promise<void>,
      pick = 0,
    ): Promise<string | undefined> {
      const got = await leases.acquireLease(groupKey, owner, TTL, now);
      if (!got.acquired) return undefined;
      try {
        const seen = [...group.members];
        await pause();
        if (seen.length <= group.floor) return undefined;
        // Actors pick different members, as concurrent evaluations of stale data would.
        const victim = seen.sort()[pick % seen.length] as string;
        await pause();
        group.members.delete(victim);
        return victim;
      } finally {
        await leases.releaseLease(got.lease, now);
      }
    }

    const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

    it('never takes the group below its floor', async () => {
      const group: Group = { members: new Set(['s1', 's2']), floor: 1 };
      const removed = await Promise.all([
        actor(group, 'p1/g-floor', 'remediate-1', T0, tick, 0),
        actor(group, 'p1/g-floor', 'remediate-2', T0, tick, 1),
      ]);
      expect(removed.filter(Boolean)).toHaveLength(1);
      expect(group.members.size).toBe(1);
      // The next actor, once the lease is free, reads the group fresh and holds the floor.
      expect(await actor(group, 'p1/g-floor', 'remediate-3', T0 + 1, tick)).toBeUndefined();
      expect(group.members.size).toBe(1);
    });

    it('holds the floor for any number of actors and interleavings', async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 2 }),
          fc.array(fc.integer({ min: 20, max: 60 }), { minLength: 2, maxLength: 5 }),
          async (floor, extra, delays) => {
            const groupKey = `p1/g-prop-${round++}`;
            const names = Array.from({ length: floor + extra }, (_, i) => `s${i}`);
            const group: Group = { members: new Set(names), floor };
            await Promise.all(
              delays.map((delay, i) =>
                actor(
                  group,
                  groupKey,
                  `actor-${i}`,
                  T0,
                  () => new Promise((resolve) => setTimeout(resolve, delay)),
                  i,
                ),
              ),
            );
            expect(group.members.size).toBeGreaterThanOrEqual(Math.min(floor, names.length));
          },
        ),
        { numRuns: 30 },
      );
    });
  });
});
