import { beforeEach, describe, expect, it } from 'vitest';
import { PermanentFailureError, RetryableFailureError } from '../../../lib/errors.ts';
import { processMessage } from '../../../lib/sweep/remediate.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { apiError, createFakeServices, fakeSettings } from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

function idleGroup(count = 3) {
  const group = serverGroupFactory();
  const servers = Array.from({ length: count }, () => serverFactory());
  return { group, servers, fake: createFakeServices({ groups: [group], servers }) };
}

const CAP = { maxRemovalsPerSweep: 10 };

describe('processMessage: evaluate-group', () => {
  it('runs the whole pipeline for the group', async () => {
    const { group, fake } = idleGroup();
    const result = await processMessage(
      { type: 'evaluate-group', projectId: 'p-1', serverGroupId: group.id },
      fake.services,
      fakeSettings(),
      CAP,
    );
    expect(result.status).toBe('done');
    expect(fake.servers.size).toBe(1);
  });

  it("names a skipped group's servers with its skip, and a failed member listing fails nothing", async () => {
    const group = serverGroupFactory({ server_group_status: false });
    const servers = [serverFactory({ server_group_id: group.id })];
    const fake = createFakeServices({ groups: [group], servers });
    const message = { type: 'evaluate-group' as const, projectId: 'p-1', serverGroupId: group.id };
    const result = await processMessage(message, fake.services, fakeSettings(), CAP);
    expect(result.type === 'evaluate-group' && result.group?.members).toEqual([
      expect.objectContaining({
        serverId: servers[0]?.id,
        action: 'keep',
        reason: { kind: 'group-skipped', skip: 'group-disabled' },
      }),
    ]);
    expect(fake.calls).not.toContain('listSessions');
    fake.fail['listServers'] = apiError(503);
    const failed = await processMessage(message, fake.services, fakeSettings(), CAP);
    expect(failed).toMatchObject({ status: 'done', group: { decision: 'skip' } });
    expect(failed.type === 'evaluate-group' && failed.group?.membersNotListed).toMatch(/503/);
  });

  it('aborts when the group alone plans more than the sweep cap', async () => {
    const { group, fake } = idleGroup();
    const result = await processMessage(
      { type: 'evaluate-group', projectId: 'p-1', serverGroupId: group.id },
      fake.services,
      fakeSettings(),
      { maxRemovalsPerSweep: 1 },
    );
    expect(result.status).toBe('aborted');
    expect(fake.calls).not.toContain('removeMember');
  });

  it('answers group-not-found for a group that is gone', async () => {
    const { fake } = idleGroup();
    const result = await processMessage(
      { type: 'evaluate-group', projectId: 'p-1', serverGroupId: 'sg-gone' },
      fake.services,
      fakeSettings(),
      CAP,
    );
    expect(result.status).toBe('group-not-found');
  });

  it('classifies failures: transient → RetryableFailureError, else PermanentFailureError', async () => {
    const { group, fake } = idleGroup();
    const message = { type: 'evaluate-group' as const, projectId: 'p-1', serverGroupId: group.id };
    fake.fail['getServerGroup'] = apiError(503);
    await expect(
      processMessage(message, fake.services, fakeSettings(), CAP),
    ).rejects.toBeInstanceOf(RetryableFailureError);
    fake.fail['getServerGroup'] = apiError(403);
    await expect(
      processMessage(message, fake.services, fakeSettings(), CAP),
    ).rejects.toBeInstanceOf(PermanentFailureError);
    delete fake.fail['getServerGroup'];
    fake.fail['listServers'] = apiError(502);
    await expect(
      processMessage(message, fake.services, fakeSettings(), CAP),
    ).rejects.toBeInstanceOf(RetryableFailureError);
  });

  it('asks for redelivery when a removal failed transiently', async () => {
    const { group, fake } = idleGroup();
    fake.fail['removeMember'] = apiError(503);
    await expect(
      processMessage(
        { type: 'evaluate-group', projectId: 'p-1', serverGroupId: group.id },
        fake.services,
        fakeSettings(),
        CAP,
      ),
    ).rejects.toBeInstanceOf(RetryableFailureError);
  });
});

describe('processMessage: remove-member', () => {
  const message = (groupId: string, instanceUuid: string) => ({
    type: 'remove-member' as const,
    projectId: 'p-1',
    serverGroupId: groupId,
    instanceUuid,
    reason: 'test',
  });

  it('removes an idle member the floor allows', async () => {
    const { group, servers, fake } = idleGroup();
    const target = servers[2];
    const result = await processMessage(
      message(group.id, target?.instance_id ?? ''),
      fake.services,
      fakeSettings(),
      CAP,
    );
    expect(result).toMatchObject({ status: 'done', removal: { outcome: 'removed' } });
    expect(fake.servers.has(target?.id ?? '')).toBe(false);
  });

  it('refuses a busy member and removes nothing', async () => {
    const group = serverGroupFactory();
    const busy = serverFactory({ session_count: 1 });
    const servers = [busy, serverFactory(), serverFactory()];
    const fake = createFakeServices({ groups: [group], servers });
    const result = await processMessage(
      message(group.id, busy.instance_id ?? ''),
      fake.services,
      fakeSettings(),
      CAP,
    );
    expect(result.status).toBe('refused');
    expect(fake.calls).not.toContain('removeMember');
  });

  it('refuses a removal that would break the floor', async () => {
    const { group, servers, fake } = idleGroup(1);
    const result = await processMessage(
      message(group.id, servers[0]?.instance_id ?? ''),
      fake.services,
      fakeSettings(),
      CAP,
    );
    expect(result.status).toBe('refused');
    expect(fake.servers.size).toBe(1);
  });

  it('answers not-a-member for an instance outside the group', async () => {
    const { group, fake } = idleGroup();
    const result = await processMessage(
      message(group.id, 'no-such-instance'),
      fake.services,
      fakeSettings(),
      CAP,
    );
    expect(result.status).toBe('not-a-member');
  });
});
