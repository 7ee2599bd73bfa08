import { beforeEach, describe, expect, it } from 'vitest';
import { settleGroup } from '../../../lib/removal/actuation/settle-group.ts';
import { removeNow } from '../../../lib/removal/lifecycle.ts';
import type { RemovalReport } from '../../../lib/removal/outcome.ts';
import { fetchAndEvaluate } from '../../../lib/removal/plan/plan-group.ts';
import type {
  GroupEvaluation,
  RemovalServices,
  RemovalSettings,
} from '../../../lib/removal/types.ts';
import type { Removal } from '../../../lib/scaling/types.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import {
  apiError,
  createFakeServices,
  ecsGroupIdOf,
  FAKE_NOW,
  fakeSettings,
  fleetOfIdle,
} from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

// One planned removal through the lifecycle's act-at-once path (DRAIN_SECONDS=0).
async function removeMember(
  evaluation: GroupEvaluation,
  removal: Removal,
  services: RemovalServices,
  settings: RemovalSettings,
): Promise<RemovalReport> {
  const [report] = await removeNow(evaluation, [removal], services, settings);
  if (report === undefined) throw new Error('expected one report');
  return report;
}

describe('removeMember', () => {
  async function planned(count = 3) {
    const setup = fleetOfIdle(count);
    const evaluation = await fetchAndEvaluate(setup.group, setup.fake.services, fakeSettings());
    if (evaluation.decision.kind !== 'scale-in') throw new Error('expected scale-in');
    const removal = evaluation.decision.remove[0];
    if (removal === undefined) throw new Error('expected a removal');
    return { ...setup, evaluation, removal };
  }

  it('removes an idle member through ECS and writes one audit line', async () => {
    const { evaluation, removal, fake } = await planned();
    const report = await removeMember(evaluation, removal, fake.services, fakeSettings());
    expect(report.outcome).toBe('removed');
    expect(report.requestId).toBe('req-remove');
    expect(report.ecsServerGroupIds).toEqual([ecsGroupIdOf(evaluation.group.id)]);
    expect(fake.servers.has(removal.serverId)).toBe(false);
    const audit = fake.log.lines.filter((l) => l.context?.['audit'] === 'removal');
    expect(audit).toHaveLength(1);
    expect(Number.isInteger(audit[0]?.context?.['idleMinutes'])).toBe(true);
  });

  it('calls nothing in a dry run', async () => {
    const { evaluation, removal, fake } = await planned();
    const before = fake.calls.length;
    const report = await removeMember(
      evaluation,
      removal,
      fake.services,
      fakeSettings({ dryRun: true }),
    );
    expect(report.outcome).toBe('would-remove');
    expect(fake.calls.length).toBe(before);
  });

  it('releases the server in release mode', async () => {
    const { evaluation, removal, fake } = await planned();
    const report = await removeMember(
      evaluation,
      removal,
      fake.services,
      fakeSettings({ removalMode: 'release' }),
    );
    expect(report.outcome).toBe('removed');
    expect(fake.calls).toContain('batchDeleteServers');
    expect(fake.calls).toContain('getJob');
    expect(fake.calls).not.toContain('removeMember');
  });

  it('skips a member that took a session since the evaluation', async () => {
    const { evaluation, removal, fake } = await planned();
    const server = fake.servers.get(removal.serverId);
    if (server) server.session_count = 1;
    const report = await removeMember(evaluation, removal, fake.services, fakeSettings());
    expect(report.outcome).toBe('skipped-busy');
    expect(fake.calls).not.toContain('removeMember');
  });

  it('skips a member whose sessions show it used recently', async () => {
    const { evaluation, removal, fake } = await planned();
    const recent = sessionFactory({
      machine_name: removal.machineName ?? '',
      session_state: 'Active',
      end_time: null as unknown as string,
    });
    const withSession = { ...evaluation, sessions: [recent] };
    const report = await removeMember(withSession, removal, fake.services, fakeSettings());
    expect(report.outcome).toBe('skipped-changed');
  });

  it('skips a member whose fresh read shows a running task', async () => {
    const { evaluation, removal, fake } = await planned();
    const fresh = fake.servers.get(removal.serverId);
    if (fresh === undefined) throw new Error('expected the planned server');
    fresh.task_status = 'rebooting';
    const report = await removeMember(evaluation, removal, fake.services, fakeSettings());
    expect(report).toMatchObject({
      outcome: 'skipped-changed',
      detail: 'now task rebooting running',
    });
    expect(fake.calls).not.toContain('removeMember');
  });

  it.each([
    ['machine_sid', { machine_sid: 'S-1-5-21-fresh' }],
    ['vm_ip', { vm_ip: '10.7.7.7' }],
  ])('skips a member whose live session joins its fresh read only by %s', async (_key, keys) => {
    const { evaluation, removal, fake } = await planned();
    const fresh = fake.servers.get(removal.serverId);
    if (fresh === undefined) throw new Error('expected the planned server');
    fresh.sid = 'S-1-5-21-fresh';
    fresh.host_address = [{ addr: '10.7.7.7' }];
    const live = sessionFactory({
      machine_name: 'WIN-ELSEWHERE',
      session_state: 'Active',
      end_time: null as unknown as string,
      ...keys,
    });
    if (!('vm_ip' in keys)) delete live.vm_ip;
    const withSession = { ...evaluation, sessions: [live] };
    const report = await removeMember(withSession, removal, fake.services, fakeSettings());
    expect(report.outcome).toBe('skipped-changed');
    expect(report.detail).toMatch(/is Active/);
  });

  it('counts a member already gone as already-removed', async () => {
    const { evaluation, removal, fake } = await planned();
    fake.servers.delete(removal.serverId);
    const report = await removeMember(evaluation, removal, fake.services, fakeSettings());
    expect(report.outcome).toBe('already-removed');
  });

  it('reports a transient failure as retryable, never throws', async () => {
    const { evaluation, removal, fake } = await planned();
    fake.fail['removeMember'] = apiError(503);
    const report = await removeMember(evaluation, removal, fake.services, fakeSettings());
    expect(report).toMatchObject({ outcome: 'failed', retryable: true, requestId: 'req-fake' });
    fake.fail['removeMember'] = apiError(403);
    const permanent = await removeMember(evaluation, removal, fake.services, fakeSettings());
    expect(permanent.outcome).toBe('failed');
    expect(permanent.retryable).toBeUndefined();
  });
});

describe('release batching', () => {
  // 31 idle pay-per-use members, floor 1, caps high enough for 30 removals.
  const settings = fakeSettings({
    removalMode: 'release',
    limits: { minServersPerGroup: 1, maxRemovalsPerGroup: 30, protectTagKey: 'protect' },
  });
  function thirtyReleasable() {
    const group = serverGroupFactory({
      scaling_policy: {
        ...serverGroupFactory().scaling_policy,
        scaling_policy_by_session: {
          ...serverGroupFactory().scaling_policy?.scaling_policy_by_session,
          max_scaling_amount: 100,
        },
      },
    });
    const servers = Array.from({ length: 31 }, () => serverFactory({ server_group_id: group.id }));
    return { group, fake: createFakeServices({ groups: [group], servers }) };
  }

  it('releases 30 servers of a group in two batch-delete calls (at most 20 each)', async () => {
    const { group, fake } = thirtyReleasable();
    const evaluation = await fetchAndEvaluate(group, fake.services, settings);
    if (evaluation.decision.kind !== 'scale-in') throw new Error('expected scale-in');
    expect(evaluation.decision.remove).toHaveLength(30);
    const reports = await removeNow(
      evaluation,
      evaluation.decision.remove,
      fake.services,
      settings,
    );
    expect(reports.map((r) => r.outcome)).toEqual(Array(30).fill('removed'));
    expect(fake.calls.filter((c) => c === 'batchDeleteServers')).toHaveLength(2);
    expect(fake.servers.size).toBe(1);
  });

  it('releases 30 drained servers of a group in two batch-delete calls', async () => {
    const { group, fake } = thirtyReleasable();
    const drains = createFakeDrains();
    fake.services.drains = drains.drains;
    const evaluation = await fetchAndEvaluate(group, fake.services, settings);
    if (evaluation.decision.kind !== 'scale-in') throw new Error('expected scale-in');
    const { records } = await drains.drains.store.recordDrains(
      evaluation.decision.remove.map((r) => ({
        projectId: 'p-1',
        serverId: r.serverId,
        groupId: group.id,
        owner: 'me',
        drainedAtMs: FAKE_NOW - 120_000,
        drainUntilMs: FAKE_NOW,
      })),
    );
    await fake.services.aps.batchSetMaintenance(
      records.map((r) => r.serverId),
      true,
    );
    const result = await settleGroup(
      group.id,
      records.map((record) => ({ record })),
      'me',
      fake.services,
      settings,
    );
    if (result.kind !== 'settled') throw new Error('expected settled');
    expect(result.settled.map((s) => s.report?.outcome)).toEqual(Array(30).fill('removed'));
    expect(fake.calls.filter((c) => c === 'batchDeleteServers')).toHaveLength(2);
    expect(drains.records.size).toBe(0);
  });
});
