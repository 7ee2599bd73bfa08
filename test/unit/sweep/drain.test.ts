import { beforeEach, describe, expect, it } from 'vitest';
import { LEASE_TTL_MS } from '../../../lib/removal/lease/group-lease.ts';
import type { DrainRecord } from '../../../lib/removal/store/drain-store.ts';
import { runSweep, type SweepOptions } from '../../../lib/sweep/sweep.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { createFakeServices, FAKE_NOW, fakeSettings } from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

const DRAIN_SECONDS = 120;

/** One group (or `groups`) of three idle members (floor 1: two are chosen), with drains on a virtual clock. */
function world(extra: { maintained?: boolean; groups?: number } = {}) {
  const groups = Array.from({ length: extra.groups ?? 1 }, () => serverGroupFactory());
  const group = groups[0] as (typeof groups)[number];
  const servers = groups.flatMap((g) =>
    [1, 2, 3].map(() => serverFactory({ server_group_id: g.id })),
  );
  if (extra.maintained) servers.push(serverFactory({ maintain_status: true }));
  const fake = createFakeServices({ groups, servers });
  const drains = createFakeDrains();
  fake.services.drains = drains.drains;
  const clock = { now: FAKE_NOW, onSleep: (): void => undefined };
  return { group, fake, drains, clock };
}

function sweep(
  w: ReturnType<typeof world>,
  overrides: Partial<SweepOptions> = {},
  budget: { deadlineAt?: number; sleep?: (ms: number) => Promise<void> } = {},
) {
  const { projectId: _p, ...settings } = fakeSettings({
    now: () => w.clock.now,
    drainSeconds: DRAIN_SECONDS,
    // The time budget: the deadline less the reserve.
    deadlineAt: budget.deadlineAt ?? FAKE_NOW + 600_000 - 20_000,
    sleep:
      budget.sleep ??
      (async (ms) => {
        w.clock.onSleep();
        w.clock.now += ms;
      }),
  });
  return runSweep({
    projects: [{ projectId: 'p-1', services: w.fake.services }],
    mode: 'inline',
    settings,
    maxRemovalsPerSweep: 10,
    concurrency: 2,
    stats: () => ({ requests: 0, retries: 0, throttled: 0 }),
    drain: { owner: 'sweep:test' },
    ...overrides,
  });
}

const outcomes = (report: Awaited<ReturnType<typeof sweep>>) =>
  report.groups.flatMap((g) => g.removals);

describe('inline sweep with a drain period', () => {
  it('records, drains in one batch, waits once for the period, re-reads and removes', async () => {
    const w = world();
    let maintainedDuringWait: string[] = [];
    w.clock.onSleep = () => {
      maintainedDuringWait = [...w.fake.servers.values()]
        .filter((s) => s.maintain_status === true)
        .map((s) => s.id);
      expect(w.drains.records.size).toBe(2);
    };
    const report = await sweep(w);
    expect(maintainedDuringWait).toHaveLength(2);
    expect(w.fake.maintenance.filter((m) => m.on)).toEqual([
      { ids: maintainedDuringWait, on: true },
    ]);
    // Recorded before the batch-maint call.
    expect(w.drains.calls.indexOf('recordDrains')).toBeLessThan(
      w.drains.calls.indexOf('markActing'),
    );
    expect(w.clock.now).toBe(FAKE_NOW + DRAIN_SECONDS * 1_000);
    expect(outcomes(report).map((r) => [r.outcome, r.drainedSeconds])).toEqual([
      ['removed', DRAIN_SECONDS],
      ['removed', DRAIN_SECONDS],
    ]);
    expect(w.fake.servers.size).toBe(1);
    expect(w.drains.records.size).toBe(0);
    expect(w.drains.leases.size).toBe(0);
  });

  it('counts the drain period from the confirmed maintenance, not from the record write', async () => {
    const w = world();
    const maintain = w.fake.services.aps.batchSetMaintenance;
    let confirmedAt = 0;
    w.fake.services.aps.batchSetMaintenance = async (ids, on) => {
      // A slow (or retried) batch-maint: it answers 8 s after the records were written.
      w.clock.now += 8_000;
      const answer = await maintain(ids, on);
      if (on) confirmedAt = w.clock.now;
      return answer;
    };
    let recordedUntil: number[] = [];
    w.clock.onSleep = () => {
      recordedUntil = [...w.drains.records.values()].map((r) => r.drainUntilMs);
    };
    const report = await sweep(w);
    const until = confirmedAt + DRAIN_SECONDS * 1_000;
    expect(recordedUntil).toEqual([until, until]);
    expect(outcomes(report).map((r) => r.outcome)).toEqual(['removed', 'removed']);
    // Removed no earlier than a full period after maintenance was confirmed.
    expect(w.clock.now).toBeGreaterThanOrEqual(until);
  });

  it('undoes the drain of a server a user connected to during the period, and never removes it', async () => {
    const w = world();
    let busy = '';
    w.clock.onSleep = () => {
      const [first] = [...w.fake.servers.values()].filter((s) => s.maintain_status === true);
      if (first === undefined) throw new Error('nothing in maintenance');
      busy = first.id;
      first.session_count = 1;
    };
    const report = await sweep(w);
    const undone = outcomes(report).find((r) => r.serverId === busy);
    expect(undone).toMatchObject({ outcome: 'drain-undone', undoReason: 'session-arrived' });
    expect(w.fake.servers.get(busy)?.maintain_status).toBe(false);
    expect(w.fake.maintenance).toContainEqual({ ids: [busy], on: false });
    expect(report.totals.outcomes['drain-undone']).toBe(1);
    expect(report.totals.outcomes.removed).toBe(1);
    expect(w.drains.records.size).toBe(0);
  });

  it('drains nothing when the period does not fit before the deadline less the reserve', async () => {
    const w = world();
    const report = await sweep(
      w,
      {},
      {
        sleep: async () => {
          throw new Error('must not wait');
        },
        deadlineAt: FAKE_NOW + DRAIN_SECONDS * 1_000 + 10_000 - 20_000,
      },
    );
    expect(report.totals.outcomes['skipped-deadline']).toBe(2);
    expect(w.fake.maintenance).toEqual([]);
    expect(w.drains.records.size).toBe(0);
  });

  it('never lifts an operator’s maintenance', async () => {
    const w = world({ maintained: true });
    const operator = [...w.fake.servers.values()].find((s) => s.maintain_status === true);
    await sweep(w);
    expect(operator?.maintain_status).toBe(true);
    expect(w.fake.maintenance.flatMap((m) => m.ids)).not.toContain(operator?.id);
  });

  it('leaves a group whose lease another actor holds draining, for the next sweep', async () => {
    const w = world();
    // Another actor can take the group only once the sweep's lease ran out: a
    // wait one lease period longer than the drain's, then someone else's lease.
    w.clock.onSleep = () => {
      w.clock.now += LEASE_TTL_MS;
      w.drains.leases.set('p-1/' + w.group.id, {
        groupKey: `p-1/${w.group.id}`,
        owner: 'remediate:other',
        expiresAtMs: w.clock.now + 10 * DRAIN_SECONDS * 1_000,
        fence: 7,
      });
    };
    const report = await sweep(w);
    expect(report.totals.outcomes.removed).toBe(0);
    expect(outcomes(report).every((r) => r.detail?.includes('remediate:other'))).toBe(true);
    expect(w.fake.calls).not.toContain('removeMember');
    expect(w.drains.records.size).toBe(2);
  });
});

describe('inline sweep drains started a slice of groups at a time', () => {
  const drain = (groupsAtOnce: number) => ({ drain: { owner: 'sweep:test', groupsAtOnce } });

  it('starts each slice on its own (one batch-maint each), waits once, and settles every group', async () => {
    const w = world({ groups: 3 });
    let sleeps = 0;
    w.clock.onSleep = () => {
      sleeps++;
      expect(w.drains.records.size).toBe(6);
    };
    const report = await sweep(w, drain(2));
    expect(w.fake.maintenance.filter((m) => m.on).map((m) => m.ids.length)).toEqual([4, 2]);
    expect(sleeps).toBe(1);
    expect(report.totals.outcomes.removed).toBe(6);
    expect(w.drains.records.size).toBe(0);
    expect(w.drains.leases.size).toBe(0);
  });

  it('a drain table failing in a later slice fails the groups not started; the started ones settle', async () => {
    const w = world({ groups: 3 });
    // The drain start's write (the lease with the records, lib/removal/drain/leased-start.ts).
    const record = w.drains.drains.store.takeAndRecord;
    let writes = 0;
    w.drains.drains.store.takeAndRecord = async (list, take) => {
      // The first slice's two groups are written; the table fails on the next slice.
      if (++writes > 2) throw new Error('table unavailable');
      return record(list, take);
    };
    const report = await sweep(w, drain(2));
    expect(report.totals.outcomes.removed).toBe(4);
    expect(report.totals.outcomes.failed).toBe(2);
    expect(report.errors).toEqual([expect.objectContaining({ source: 'drain-store' })]);
    expect(w.fake.maintenance.filter((m) => m.on).map((m) => m.ids.length)).toEqual([4]);
    expect(w.drains.records.size).toBe(0);
  });
});

describe('crash recovery at the start of a sweep', () => {
  function leftBehind(w: ReturnType<typeof world>, state: DrainRecord['state']): DrainRecord {
    const [server] = [...w.fake.servers.values()];
    if (server === undefined) throw new Error('no server');
    server.maintain_status = true;
    const record: DrainRecord = {
      projectId: 'p-1',
      serverId: server.id,
      groupId: w.group.id,
      instanceId: server.instance_id,
      machineName: server.machine_name,
      owner: 'sweep:dead',
      state,
      drainedAtMs: FAKE_NOW - 900_000,
      drainUntilMs: FAKE_NOW - 780_000,
    };
    w.drains.records.set(server.id, record);
    return record;
  }

  it.each(['draining', 'acting'] as const)(
    'finishes a drain a dead sweep left in state %s',
    async (state) => {
      const w = world();
      const record = leftBehind(w, state);
      const report = await sweep(w, { maxRemovalsPerSweep: 0 });
      expect(report.recovered).toEqual([
        expect.objectContaining({ serverId: record.serverId, outcome: 'removed' }),
      ]);
      expect(w.fake.servers.has(record.serverId)).toBe(false);
      expect(w.drains.records.has(record.serverId)).toBe(false);
      expect(w.drains.calls).toContain('claimDrains');
    },
  );

  it('undoes a left drain whose server got a session, lifting only that maintenance', async () => {
    const w = world();
    const record = leftBehind(w, 'draining');
    const server = w.fake.servers.get(record.serverId);
    if (server) server.session_count = 2;
    const report = await sweep(w, { maxRemovalsPerSweep: 0 });
    expect(report.recovered?.[0]).toMatchObject({
      outcome: 'drain-undone',
      undoReason: 'session-arrived',
    });
    expect(server?.maintain_status).toBe(false);
    expect(w.drains.records.size).toBe(0);
  });

  it('a recovery that fails keeps the record and the sweep goes on', async () => {
    const w = world();
    const record = leftBehind(w, 'draining');
    w.fake.fail.getServerGroup = new Error('APS down');
    const report = await sweep(w, { maxRemovalsPerSweep: 0 });
    expect(report.errors).toEqual([]);
    expect(report.totals.groups).toBe(1);
    expect(w.drains.records.get(record.serverId)?.owner).toBe('sweep:dead');
    expect(w.fake.log.lines.some((l) => l.message === 'drain recovery failed')).toBe(true);
  });

  it('leaves a drain whose period is not over to its owner', async () => {
    const w = world();
    const record = leftBehind(w, 'draining');
    w.drains.records.set(record.serverId, { ...record, drainUntilMs: FAKE_NOW + 60_000 });
    const report = await sweep(w, { maxRemovalsPerSweep: 0 });
    expect(report.recovered).toBeUndefined();
    expect(w.drains.records.get(record.serverId)?.owner).toBe('sweep:dead');
  });
});
