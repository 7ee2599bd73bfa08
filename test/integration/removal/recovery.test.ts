import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainUntil } from '../../../lib/config-drain.ts';
import type { AppServer } from '../../../lib/huawei/schemas.ts';
import {
  createGroupLease,
  type GroupLease,
  groupLeaseKey,
} from '../../../lib/removal/lease/group-lease.ts';
import {
  type DrainDecision,
  type DrainGroupView,
  decideDrain,
} from '../../../lib/removal/recheck/recheck.ts';
import {
  createDrainStore,
  type DrainRecord,
  type DrainStore,
} from '../../../lib/removal/store/drain-store.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import { DEFAULT_GROUP_ID, FACTORY_EPOCH, serverFactory } from '../../helpers/factories.ts';

// The building blocks composed as the next sweep will use them (part B wires
// the real pipeline): a dead invocation left its drain at some step; the next
// sweep lists the project's drains, takes the group's lease, claims each
// record from the dead owner and lets `decideDrain` say what to finish.

const HOUR = 3_600_000;
const DRAINED_AT = FACTORY_EPOCH + 5 * HOUR;
const DRAIN_SECONDS = 120;
const NEXT_SWEEP = DRAINED_AT + 5 * 60_000;
const group: DrainGroupView = {
  groupId: DEFAULT_GROUP_ID,
  scaleInAllowed: true,
  idleThresholdMinutes: 30,
  protectTagKey: 'aps-autoscaler:protect',
  minServersPerGroup: 1,
  inService: 3,
};

type Step = 'recorded' | 'maintained' | 'acting' | 'acted';

describe('recovering a drain left by a dead invocation', () => {
  let db: LocalDynamoDb;
  let store: DrainStore;
  let leases: GroupLease;
  beforeAll(async () => {
    db = await startLocalDynamoDb();
    const client = async () => db.client;
    store = createDrainStore({ tableName: db.tableName, client });
    leases = createGroupLease({ tableName: db.tableName, client });
  });
  afterAll(() => db.close());

  // Leaves the store and the server as an invocation killed right after `step` would.
  async function crashAfter(step: Step, projectId: string): Promise<AppServer | undefined> {
    const server = serverFactory({ machine_name: `APS-${step}` });
    const { records } = await store.recordDrains([
      {
        projectId,
        serverId: server.id,
        groupId: DEFAULT_GROUP_ID,
        owner: 'dead-sweep',
        drainedAtMs: DRAINED_AT,
        drainUntilMs: drainUntil(DRAINED_AT, DRAIN_SECONDS),
      },
    ]);
    if (step === 'recorded') return server;
    if (step === 'maintained') return { ...server, maintain_status: true };
    expect((await store.markActing(records, 'dead-sweep')).conflicts).toEqual([]);
    if (step === 'acting') return { ...server, maintain_status: true };
    return undefined;
  }

  async function recover(
    projectId: string,
    server: AppServer | undefined,
  ): Promise<{ decisions: DrainDecision[]; left: DrainRecord[] }> {
    const got = await leases.acquireLease(
      groupLeaseKey(projectId, DEFAULT_GROUP_ID),
      'next-sweep',
      60_000,
      NEXT_SWEEP,
    );
    if (!got.acquired) throw new Error('lease not acquired');
    const decisions: DrainDecision[] = [];
    const claims = await store.claimDrains(await store.listDrains(projectId), {
      toOwner: 'next-sweep',
      now: NEXT_SWEEP,
      ownerUntilMs: NEXT_SWEEP + 60_000,
    });
    expect(claims.conflicts).toEqual([]);
    for (const claimed of claims.records) {
      const decision = decideDrain({
        record: claimed,
        server,
        sessions: [],
        group,
        now: NEXT_SWEEP,
      });
      decisions.push(decision);
      if (decision.kind === 'undo' || decision.kind === 'forget') {
        await store.endDrains('next-sweep', { cleared: [claimed] });
      } else if (decision.kind === 'act') {
        const acting =
          claimed.state === 'draining'
            ? (await store.markActing([claimed], 'next-sweep')).records
            : [claimed];
        await store.endDrains('next-sweep', { completed: acting });
      }
    }
    await leases.releaseLease(got.lease, NEXT_SWEEP);
    return { decisions, left: await store.listDrains(projectId) };
  }

  it.each<[Step, Partial<DrainDecision>]>([
    ['recorded', { kind: 'undo', reason: 'maintenance-lifted', unmaintain: false }],
    ['maintained', { kind: 'act' }],
    ['acting', { kind: 'act' }],
    ['acted', { kind: 'forget', reason: 'action-done', unmaintain: false }],
  ])(
    'finishes or undoes a drain killed after the %s step, leaving no record',
    async (step, expected) => {
      const projectId = `p-${step}`;
      const server = await crashAfter(step, projectId);
      const { decisions, left } = await recover(projectId, server);
      expect(decisions).toHaveLength(1);
      expect(decisions[0]).toMatchObject(expected);
      expect(left).toEqual([]);
    },
  );

  it('lets only one of two recovering sweeps claim a dead drain', async () => {
    const projectId = 'p-two-sweeps';
    const server = await crashAfter('maintained', projectId);
    if (server === undefined) throw new Error('unreachable');
    const dead = await store.listDrains(projectId);
    const results = await Promise.all(
      ['sweep-1', 'sweep-2'].map((toOwner) =>
        store.claimDrains(dead, { toOwner, now: NEXT_SWEEP, ownerUntilMs: NEXT_SWEEP + 60_000 }),
      ),
    );
    expect(results.map((r) => r.records.length).sort()).toEqual([0, 1]);
    expect(results.flatMap((r) => r.conflicts)).toMatchObject([{ kind: 'owner-mismatch' }]);
  });
});
