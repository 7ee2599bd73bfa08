import { beforeEach, describe, expect, it } from 'vitest';
import { fetchAndEvaluate } from '../../../lib/removal/fetch.ts';
import { removeNow } from '../../../lib/removal/lifecycle.ts';
import type { RemovalReport } from '../../../lib/removal/outcome.ts';
import type {
  GroupEvaluation,
  PipelineServices,
  PipelineSettings,
} from '../../../lib/removal/types.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import type { Removal } from '../../../lib/scaling/types.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';
import {
  apiError,
  createFakeServices,
  ecsGroupIdOf,
  fakeSettings,
} from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

// One planned removal through the lifecycle's act-at-once path (DRAIN_SECONDS=0).
async function removeMember(
  evaluation: GroupEvaluation,
  removal: Removal,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<RemovalReport> {
  const [report] = await removeNow(evaluation, [removal], services, settings);
  if (report === undefined) throw new Error('expected one report');
  return report;
}

function fleetOfIdle(count: number) {
  const group = serverGroupFactory();
  const servers = Array.from({ length: count }, () => serverFactory());
  return { group, servers, fake: createFakeServices({ groups: [group], servers }) };
}

describe('fetchAndEvaluate', () => {
  it.each([
    [
      'its policy is off',
      { scaling_policy: { ...serverGroupFactory().scaling_policy, enable: false } },
    ],
    ['it is disabled', { server_group_status: false }],
    ['it carries the protect tag', { tags: [{ key: 'protect', value: 'true' }] }],
  ])('lists nothing for a group skipped on its own record: %s', async (_, overrides) => {
    const group = serverGroupFactory(overrides);
    const fake = createFakeServices({ groups: [group], servers: [serverFactory()] });
    const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings());
    expect(evaluation.decision.kind).toBe('skip');
    expect(fake.calls).toEqual([]);
  });

  it('plans the idle members above the floor and logs the plan', async () => {
    const { group, fake } = fleetOfIdle(3);
    const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings());
    expect(evaluation.decision.kind).toBe('scale-in');
    const planned =
      evaluation.decision.kind === 'scale-in'
        ? evaluation.decision.remove.map((r) => r.serverId)
        : [];
    expect(planned).toHaveLength(2);
    const line = fake.log.lines.find((l) => l.message === 'group evaluated');
    expect(line?.context?.['planned']).toEqual(planned);
  });

  it('names the requested member, not the group plan, when serving a remove-member request', async () => {
    const { group, servers, fake } = fleetOfIdle(3);
    await fetchAndEvaluate(group, fake.services, fakeSettings(), {
      forInstance: servers[0]?.instance_id,
    });
    const line = fake.log.lines.find((l) => l.message === 'group evaluated');
    expect(line?.context?.['planned']).toBeUndefined();
    expect(line?.context?.['requestedInstanceId']).toBe(servers[0]?.instance_id);
  });

  it('skips the group as incomplete-data when the member listing fails, transient named', async () => {
    const { group, fake } = fleetOfIdle(3);
    fake.fail['listServers'] = apiError(503);
    const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings());
    expect(evaluation.decision.kind).toBe('skip');
    expect(evaluation.error?.transient).toBe(true);
    expect(evaluation.error?.requestId).toBe('req-fake');
    // With members first, the decision is made: the sessions are not asked for.
    const first = createFakeServices({ groups: [group], servers: [serverFactory()] });
    first.fail['listServers'] = apiError(503);
    await fetchAndEvaluate(group, first.services, fakeSettings(), { listing: 'members-first' });
    expect(first.calls).not.toContain('listSessions');
  });

  it('lists no sessions for a group its members alone put over its threshold, and says so per member', async () => {
    const group = serverGroupFactory();
    // Every member busy: usage 100 % against a threshold of 80 %.
    const servers = Array.from({ length: 3 }, () => serverFactory({ session_count: 2 }));
    const fake = createFakeServices({ groups: [group], servers });
    const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings(), {
      listing: 'members-first',
    });
    expect(evaluation.decision.kind).toBe('scale-out');
    expect(fake.calls).toEqual(['listServers']);
    expect(evaluation.error).toBeUndefined();
    expect(evaluation.sessions).toBeUndefined();
    // The same decision as with its sessions listed.
    const settings = fakeSettings();
    const listed = evaluateGroup({
      group,
      servers,
      sessions: [sessionFactory({ machine_name: servers[0]?.machine_name })],
      now: settings.now(),
      limits: settings.limits,
    });
    expect(listed.kind).toBe('scale-out');
    expect(evaluation.decision.kind === 'scale-out' && evaluation.decision.recommended).toBe(
      listed.kind === 'scale-out' && listed.recommended,
    );
  });

  it('members first: lists the sessions of any other group after its members', async () => {
    const { group, fake } = fleetOfIdle(3);
    await fetchAndEvaluate(group, fake.services, fakeSettings(), { listing: 'members-first' });
    expect(fake.calls).toEqual(['listServers', 'listSessions']);
  });

  it('together (the default, one queue message): lists members and sessions at once, whatever the members say', async () => {
    const group = serverGroupFactory();
    const servers = Array.from({ length: 3 }, () => serverFactory({ session_count: 2 }));
    const fake = createFakeServices({ groups: [group], servers });
    let inFlight = 0;
    let most = 0;
    for (const name of ['listServers', 'listSessions'] as const) {
      const inner = fake.services.aps[name] as (...args: never[]) => Promise<unknown>;
      (fake.services.aps as unknown as Record<string, unknown>)[name] = async (
        ...args: never[]
      ) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return inner(...args);
      };
    }
    const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings());
    expect(evaluation.decision.kind).toBe('scale-out');
    expect(most).toBe(2);
    expect(evaluation.sessions).toBeDefined();
  });

  it('keeps every member when the session listing fails', async () => {
    const { group, fake } = fleetOfIdle(3);
    fake.fail['listSessions'] = apiError(400);
    const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings());
    expect(evaluation.decision.kind).not.toBe('scale-in');
    expect(evaluation.error?.transient).toBe(false);
  });
});

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
