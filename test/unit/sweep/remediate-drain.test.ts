import { beforeEach, describe, expect, it } from 'vitest';
import { RetryableFailureError } from '../../../lib/errors.ts';
import type { FinishRemovalMessage, QueueMessage } from '../../../lib/queue/messages.ts';
import { processMessage } from '../../../lib/sweep/remediate.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { createFakeServices, FAKE_NOW, fakeSettings } from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

function world(members = 3, groupOverrides: Parameters<typeof serverGroupFactory>[0] = {}) {
  const group = serverGroupFactory(groupOverrides);
  const servers = Array.from({ length: members }, () =>
    serverFactory({ server_group_id: group.id }),
  );
  const fake = createFakeServices({ groups: [group], servers });
  const drains = createFakeDrains();
  fake.services.drains = drains.drains;
  const clock = { now: FAKE_NOW };
  const sent: { messages: QueueMessage[]; delaySeconds: number }[] = [];
  const settings = fakeSettings({ now: () => clock.now, drainSeconds: 120 });
  const options = {
    maxRemovalsPerSweep: 10,
    enqueue: async (messages: QueueMessage[], delaySeconds: number) => {
      sent.push({ messages, delaySeconds });
      return { sent: messages.length, failed: [], calls: 1 };
    },
  };
  const run = (message: QueueMessage) => processMessage(message, fake.services, settings, options);
  return { group, fake, drains, clock, sent, run };
}

describe('remediation with a drain period', () => {
  it('evaluate-group drains its choices and enqueues one delayed finish-removal each; finish-removal acts after the period', async () => {
    const w = world();
    const result = await w.run({
      type: 'evaluate-group',
      projectId: 'p-1',
      serverGroupId: w.group.id,
    });
    expect(result).toMatchObject({ status: 'draining', draining: expect.any(Array) });
    const finish = w.sent.flatMap((s) => s.messages) as FinishRemovalMessage[];
    expect(finish).toHaveLength(2);
    expect(w.sent.every((s) => s.delaySeconds === 120)).toBe(true);
    expect(w.fake.calls).not.toContain('removeMember');
    expect(w.drains.leases.size).toBe(0);

    w.clock.now += 120_000;
    for (const message of finish) {
      expect(await w.run(message)).toMatchObject({
        status: 'done',
        removal: { outcome: 'removed' },
      });
    }
    expect(w.fake.servers.size).toBe(1);
    expect(w.drains.records.size).toBe(0);
  });

  it('remove-member drains under the group lease like evaluate-group, and acts only after the period', async () => {
    const w = world();
    const [target] = [...w.fake.servers.values()];
    const message: QueueMessage = {
      type: 'remove-member',
      projectId: 'p-1',
      serverGroupId: w.group.id,
      instanceUuid: target?.instance_id ?? '',
    };
    // Another actor holds the group: nothing is drained, the record goes back to SQS.
    w.drains.leases.set(`p-1/${w.group.id}`, {
      groupKey: `p-1/${w.group.id}`,
      owner: 'other',
      expiresAtMs: FAKE_NOW + 60_000,
      fence: 1,
    });
    await expect(w.run(message)).rejects.toBeInstanceOf(RetryableFailureError);
    expect(w.fake.maintenance).toEqual([]);
    w.drains.leases.clear();

    expect(await w.run(message)).toMatchObject({ status: 'draining', draining: [target?.id] });
    expect(w.fake.maintenance).toEqual([{ ids: [target?.id], on: true }]);
    expect(w.fake.calls).not.toContain('removeMember');
    const finish = w.sent.flatMap((s) => s.messages);
    expect(finish).toMatchObject([{ type: 'finish-removal', serverId: target?.id }]);
    expect(w.sent[0]?.delaySeconds).toBe(120);
    w.clock.now += 120_000;
    expect(await w.run(finish[0] as QueueMessage)).toMatchObject({
      status: 'done',
      removal: { outcome: 'removed', drainedSeconds: 120 },
    });
  });

  it('evaluate-group on a group not scaling in says done (not draining) and marks a secondary group', async () => {
    const w = world(1, { primary_server_group_ids: ['sg-primary'] });
    const result = await w.run({
      type: 'evaluate-group',
      projectId: 'p-1',
      serverGroupId: w.group.id,
    });
    expect(result).toMatchObject({ status: 'done', group: { secondaryOf: ['sg-primary'] } });
    expect(result).not.toHaveProperty('draining');
    expect(w.sent).toEqual([]);
  });

  it('finish-removal undoes the drain when a session arrived, and a replay finds nothing of its own', async () => {
    const w = world(2);
    await w.run({ type: 'evaluate-group', projectId: 'p-1', serverGroupId: w.group.id });
    const [message] = w.sent.flatMap((s) => s.messages) as FinishRemovalMessage[];
    if (message === undefined) throw new Error('nothing drained');
    const server = w.fake.servers.get(message.serverId);
    if (server) server.session_count = 1;
    w.clock.now += 120_000;
    expect(await w.run(message)).toMatchObject({
      status: 'done',
      removal: { outcome: 'drain-undone', undoReason: 'session-arrived' },
    });
    expect(server?.maintain_status).toBe(false);
    expect(await w.run(message)).toMatchObject({ status: 'not-ours' });
    expect(w.fake.servers.size).toBe(2);
  });

  it('a replayed finish-removal never lifts the maintenance an operator set after our drain ended', async () => {
    const w = world(2);
    await w.run({ type: 'evaluate-group', projectId: 'p-1', serverGroupId: w.group.id });
    const [message] = w.sent.flatMap((s) => s.messages) as FinishRemovalMessage[];
    if (message === undefined) throw new Error('nothing drained');
    const server = w.fake.servers.get(message.serverId);
    if (server) server.session_count = 1;
    w.clock.now += 120_000;
    await w.run(message);
    // Our drain is over; now an operator puts the server into maintenance.
    if (server) {
      server.maintain_status = true;
      server.session_count = 0;
    }
    const calls = w.fake.maintenance.length;
    expect(await w.run(message)).toMatchObject({ status: 'not-ours' });
    expect(server?.maintain_status).toBe(true);
    expect(w.fake.maintenance).toHaveLength(calls);
    expect(w.fake.servers.has(message.serverId)).toBe(true);
  });

  it('retries (never drops) a record whose group lease another actor holds', async () => {
    const w = world();
    w.drains.leases.set(`p-1/${w.group.id}`, {
      groupKey: `p-1/${w.group.id}`,
      owner: 'other',
      expiresAtMs: FAKE_NOW + 60_000,
      fence: 1,
    });
    await expect(
      w.run({ type: 'evaluate-group', projectId: 'p-1', serverGroupId: w.group.id }),
    ).rejects.toBeInstanceOf(RetryableFailureError);
    expect(w.fake.maintenance).toEqual([]);
  });

  it('two concurrent evaluate-group actors on a group at its floor drain together no more than it allows', async () => {
    const w = world(2);
    const message: QueueMessage = {
      type: 'evaluate-group',
      projectId: 'p-1',
      serverGroupId: w.group.id,
    };
    const results = await Promise.allSettled([w.run(message), w.run(message)]);
    const drained = results.flatMap((r) =>
      r.status === 'fulfilled' && 'draining' in r.value ? r.value.draining : [],
    );
    expect(drained).toHaveLength(1);
    w.clock.now += 120_000;
    for (const m of w.sent.flatMap((s) => s.messages)) await w.run(m);
    expect(w.fake.servers.size).toBe(1);
  });
});
