import { beforeEach, describe, expect, it } from 'vitest';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import { runSweep, type SweepOptions } from '../../../lib/sweep/sweep.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { createFakeServices, FAKE_NOW, fakeSettings } from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

/** Two groups of three idle members each: two planned removals per group (floor 1). */
function twoIdleGroups() {
  const a = serverGroupFactory();
  const b = serverGroupFactory();
  const servers = [a, a, a, b, b, b].map((g) => serverFactory({ server_group_id: g.id }));
  return createFakeServices({ groups: [a, b], servers });
}

function sweep(fake: ReturnType<typeof createFakeServices>, overrides: Partial<SweepOptions> = {}) {
  const { projectId: _projectId, ...settings } = fakeSettings();
  return runSweep({
    projects: [{ projectId: 'p-1', services: fake.services }],
    mode: 'inline',
    settings,
    maxRemovalsPerSweep: 10,
    concurrency: 2,
    stats: () => ({ requests: 0, retries: 0, throttled: 0 }),
    ...overrides,
  });
}

describe('runSweep inline', () => {
  it('removes every planned member when the sweep stays under the cap', async () => {
    const fake = twoIdleGroups();
    const report = await sweep(fake);
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(4);
    expect(fake.servers.size).toBe(2);
  });

  it('removes exactly up to the cap', async () => {
    const report = await sweep(twoIdleGroups(), { maxRemovalsPerSweep: 4 });
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(4);
  });

  it('aborts the whole sweep over the cap: nothing removed, every planned removal skipped-aborted', async () => {
    const fake = twoIdleGroups();
    const report = await sweep(fake, { maxRemovalsPerSweep: 3 });
    expect(report.status).toBe('aborted');
    expect(report.abortReason).toContain('MAX_REMOVALS_PER_SWEEP (3)');
    expect(report.totals.outcomes['skipped-aborted']).toBe(4);
    expect(fake.calls).not.toContain('removeMember');
    expect(fake.servers.size).toBe(6);
  });

  it('an aborted dry run shows skipped-aborted, not would-remove', async () => {
    const fake = twoIdleGroups();
    const { projectId: _p, ...settings } = fakeSettings({ dryRun: true });
    const report = await sweep(fake, { maxRemovalsPerSweep: 3, settings });
    expect(report.totals.outcomes['would-remove']).toBe(0);
    expect(report.totals.outcomes['skipped-aborted']).toBe(4);
  });

  it('a dry run under the cap shows would-remove and calls no remover', async () => {
    const fake = twoIdleGroups();
    const { projectId: _p, ...settings } = fakeSettings({ dryRun: true });
    const report = await sweep(fake, { settings });
    expect(report.totals.outcomes['would-remove']).toBe(4);
    expect(fake.calls).not.toContain('getServer');
    expect(fake.calls).not.toContain('removeMember');
  });

  it('acts on the group with the longest chain of removals first', async () => {
    const small = serverGroupFactory();
    const large = serverGroupFactory();
    // Evaluated first: 2 members (1 removal); then 6 members (5 removals, floor 1).
    const servers = [small, small, large, large, large, large, large, large].map((g) =>
      serverFactory({ server_group_id: g.id }),
    );
    const fake = createFakeServices({ groups: [small, large], servers });
    const reread: string[] = [];
    const getServer = fake.services.aps.getServer;
    fake.services.aps.getServer = async (id) => {
      reread.push(id);
      return getServer(id);
    };
    const report = await sweep(fake, { concurrency: 1 });
    expect(report.totals.outcomes.removed).toBe(6);
    const groupOf = new Map(servers.map((s) => [s.id, s.server_group_id]));
    expect(reread.map((id) => groupOf.get(id))).toEqual([...Array(5).fill(large.id), small.id]);
  });

  it('records removals not started for lack of time as skipped-deadline', async () => {
    let groupsStarted = 0;
    const { projectId: _projectId, ...settings } = fakeSettings({
      // The one time budget: time for the two groups, none for acting.
      budget: {
        deadlineAt: FAKE_NOW,
        hasTime: () => groupsStarted++ < 2,
        waitUntil: () => ({ kind: 'undo', reason: 'deadline' }),
      },
    });
    const report = await sweep(twoIdleGroups(), { settings });
    expect(report.totals.outcomes['skipped-deadline']).toBe(4);
    expect(report.totals.outcomes.removed).toBe(0);
  });
});

describe('runSweep fanout', () => {
  it('enqueues one evaluate-group message per group and evaluates nothing itself', async () => {
    const fake = twoIdleGroups();
    const sent: QueueMessage[] = [];
    const report = await sweep(fake, {
      mode: 'fanout',
      enqueue: async (messages) => {
        sent.push(...messages);
        return { sent: messages.length, failed: [], calls: 1 };
      },
    });
    expect(sent.map((m) => m.type)).toEqual(['evaluate-group', 'evaluate-group']);
    expect(report.enqueued?.sent).toBe(2);
    expect(fake.calls).not.toContain('listServers');
  });

  it('fails the project, not the sweep, without a queue', async () => {
    const report = await sweep(twoIdleGroups(), { mode: 'fanout' });
    expect(report.status).toBe('partial');
    expect(report.errors[0]?.error).toContain('REMEDIATION_QUEUE_URL');
  });
});
