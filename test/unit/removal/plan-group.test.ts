import { beforeEach, describe, expect, it } from 'vitest';
import { fetchAndEvaluate } from '../../../lib/removal/plan/plan-group.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';
import {
  apiError,
  createFakeServices,
  fakeSettings,
  fleetOfIdle,
} from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

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

  describe('nameSkipped (the sweep, an evaluate-group message)', () => {
    const off = () =>
      serverGroupFactory({
        scaling_policy: { ...serverGroupFactory().scaling_policy, enable: false },
      });

    it('lists only the members of a group skipped on its record and keeps each with the skip', async () => {
      const group = off();
      const servers = [2, 0, 0].map((n) =>
        serverFactory({ session_count: n, server_group_id: group.id }),
      );
      const fake = createFakeServices({ groups: [group], servers });
      const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings(), {
        nameSkipped: true,
      });
      expect(fake.calls).toEqual(['listServers']);
      expect(evaluation.decision).toMatchObject({ kind: 'skip', reason: 'policy-disabled' });
      expect(evaluation.decision.members.map((m) => [m.serverId, m.action, m.reason])).toEqual(
        servers
          .map((s) => s.id)
          .sort()
          .map((id) => [id, 'keep', { kind: 'group-skipped', skip: 'policy-disabled' }]),
      );
      // Its figures are the listing's; no session was asked for.
      expect(evaluation.decision.inService).toBe(3);
      expect(evaluation.decision.usedSessions).toBe(2);
      expect(evaluation.sessions).toBeUndefined();
      expect(evaluation.error).toBeUndefined();
    });

    it('a failed member listing leaves the skip standing: no error, a WARN line, the servers unnamed', async () => {
      const group = off();
      const fake = createFakeServices({ groups: [group], servers: [serverFactory()] });
      fake.fail['listServers'] = apiError(503);
      const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings(), {
        nameSkipped: true,
      });
      expect(evaluation.decision).toMatchObject({ kind: 'skip', reason: 'policy-disabled' });
      expect(evaluation.decision.members).toEqual([]);
      expect(evaluation.error).toBeUndefined();
      expect(evaluation.membersNotListed).toContain('503');
      const warn = fake.log.lines.find((l) => l.message === 'skipped group members not listed');
      expect(warn?.level).toBe('warn');
      expect(warn?.context).toMatchObject({ serverGroupId: group.id, requestId: 'req-fake' });
    });
  });
});
