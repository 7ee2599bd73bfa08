import { beforeEach, describe, expect, it } from 'vitest';
import { parseBudgets } from '../../../lib/budgets/budget.ts';
import type { Admission, BudgetLedger } from '../../../lib/removal/budget/ledger.ts';
import { startDrainsUnderLease } from '../../../lib/removal/drain/leased-start.ts';
import { resetFactorySequences } from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { FAKE_NOW, fakeSettings, fleetOfIdle } from '../../helpers/fake-services.ts';

// The inline sweep's drain start (lib/removal/drain/leased-start.ts): the
// fast path (eligibility and budgets, then ONE write taking the lease with the
// records) and its fallback when that write is refused.

beforeEach(() => resetFactorySequences());

/** A ledger in memory that logs admits and ends into `calls`. */
function loggingLedger(calls: string[]): BudgetLedger & { admissions: Admission[] } {
  const admissions: Admission[] = [];
  let version = 0;
  return {
    admissions,
    read: async () => ({ version, members: {}, admissions: admissions.map((a) => ({ ...a })) }),
    admit: async (_p, v, _members, list) => {
      calls.push(`admit ${list.length}`);
      if (v !== version) return false;
      version += 1;
      admissions.push(...list.map((a) => ({ ...a, batch: `b${version}` })));
      return true;
    },
    end: async (_p, ended) => {
      calls.push(`end ${ended.map((e) => e.how).join(',')}`);
      for (const e of ended) {
        const a = admissions.find((x) => x.serverId === e.serverId && x.endedMs === undefined);
        if (a !== undefined) Object.assign(a, { endedMs: e.endedMs, how: e.how });
      }
    },
  };
}

function setup(listedAtMs: number | undefined) {
  const { group, servers, fake } = fleetOfIdle(3);
  const drains = createFakeDrains();
  fake.services.drains = drains.drains;
  const calls = drains.calls;
  const ledger = loggingLedger(calls);
  fake.services.budgetLedger = ledger;
  const parsed = parseBudgets('[{"max":"5"}]', {});
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const settings = fakeSettings({ drainSeconds: 120, budgets: parsed.budgets });
  const [first, second] = servers;
  if (first === undefined || second === undefined) throw new Error('two servers');
  const removals = [first, second].map((s) => ({
    serverId: s.id,
    instanceId: s.instance_id,
    machineName: undefined,
    idleMinutes: 90,
  }));
  const planned = {
    evaluation: {
      group,
      servers,
      ...(listedAtMs === undefined ? {} : { listed: { atMs: listedAtMs, members: 3 } }),
    },
    removals,
  };
  const run = () => startDrainsUnderLease([planned], 'sweep-a', fake.services, settings);
  return { group, drains, calls, ledger, run };
}

describe('startDrainsUnderLease', () => {
  it('admits, then takes the lease with the records in one write, when no hold overlapped the listing', async () => {
    const w = setup(FAKE_NOW - 1_000);
    const started = await w.run();
    expect(started.records).toHaveLength(2);
    expect(w.calls.filter((c) => !c.startsWith('confirm'))).toEqual(['admit 2', 'takeAndRecord']);
    expect(started.leases?.get(w.group.id)).toMatchObject({ owner: 'sweep-a', fence: 1 });
  });

  it('refused (a hold overlapped the listing): ends the admissions, then takes the lease and plans again', async () => {
    const w = setup(FAKE_NOW - 1_000);
    // Another actor held the group until after the listing began.
    w.drains.leases.set(`p-1/${w.group.id}`, {
      groupKey: `p-1/${w.group.id}`,
      owner: 'remediate-1',
      expiresAtMs: FAKE_NOW - 500,
      fence: 4,
    });
    const started = await w.run();
    // Refused first, its admissions ended BEFORE the lease is taken as before,
    // the group read again (the fake's group still plans both), admitted again.
    expect(w.calls.filter((c) => !c.startsWith('confirm'))).toEqual([
      'admit 2',
      'takeAndRecord',
      'end not-removed,not-removed',
      'acquireLease',
      'admit 2',
      'recordDrains',
    ]);
    expect(started.leases?.get(w.group.id)).toMatchObject({ fence: 5 });
    // Two drains admitted and open: the refused two ended, never left counting.
    expect(w.ledger.admissions.filter((a) => a.endedMs === undefined)).toHaveLength(2);
  });

  it('takes the lease as before for a plan without a listing time', async () => {
    const w = setup(undefined);
    await w.run();
    expect(w.calls).not.toContain('takeAndRecord');
    expect(w.calls).toContain('acquireLease');
  });
});
