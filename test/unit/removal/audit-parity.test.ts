import { beforeEach, describe, expect, it } from 'vitest';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import type { RemovalServices, RemovalSettings } from '../../../lib/removal/types.ts';
import { processMessage } from '../../../lib/sweep/remediate.ts';
import { runSweep } from '../../../lib/sweep/sweep.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { createFakeServices, FAKE_NOW, fakeSettings } from '../../helpers/fake-services.ts';

// The same ending writes the same audit line whatever the trigger (issue 26):
// an inline sweep or an evaluate-group message, with a drain period or
// without, dry run included. A release refusal (`prepaid`) is the ending met
// on every path: the servers are yearly/monthly, so none is ever drained.

beforeEach(() => resetFactorySequences());

type Trigger = 'inline' | 'evaluate-group';

// One trigger of a group's removals: an inline sweep, or an evaluate-group message.
async function run(
  trigger: Trigger,
  services: RemovalServices,
  settings: RemovalSettings,
  groupId: string,
): Promise<void> {
  if (trigger === 'inline') {
    const { projectId, ...rest } = settings;
    await runSweep({
      projects: [{ projectId, services }],
      mode: 'inline',
      settings: rest,
      maxRemovalsPerSweep: 10,
      concurrency: 2,
      stats: () => ({ requests: 0, retries: 0, throttled: 0 }),
      ...(services.drains === undefined ? {} : { drain: { owner: 'sweep:parity' } }),
    });
    return;
  }
  const message: QueueMessage = {
    type: 'evaluate-group',
    projectId: settings.projectId,
    serverGroupId: groupId,
  };
  await processMessage(message, services, settings, {
    maxRemovalsPerSweep: 10,
    enqueue: async (messages) => ({ sent: messages.length, failed: [], calls: 1 }),
  });
}

async function auditLines(trigger: Trigger, drainSeconds: number, dryRun: boolean) {
  resetFactorySequences();
  const group = serverGroupFactory();
  const servers = [1, 2, 3].map(() =>
    serverFactory({ server_group_id: group.id, metadata: { charging_mode: '1' } }),
  );
  const fake = createFakeServices({ groups: [group], servers });
  const drains = createFakeDrains();
  if (drainSeconds > 0) fake.services.drains = drains.drains;
  const settings: RemovalSettings = fakeSettings({
    removalMode: 'release',
    dryRun,
    drainSeconds,
    deadlineAt: FAKE_NOW + 600_000,
  });
  await run(trigger, fake.services, settings, group.id);
  expect(fake.calls).not.toContain('batchSetMaintenance');
  expect(fake.calls).not.toContain('batchDeleteServers');
  return fake.log.lines
    .filter((l) => l.context?.audit === 'removal')
    .map((l) => ({ level: l.level, message: l.message, ...l.context }));
}

describe('audit parity of removal endings', () => {
  it.each([false, true])(
    'writes the same audit line for a refusal on every trigger, drain or not (dry run %s)',
    async (dryRun) => {
      const reference = await auditLines('inline', 0, dryRun);
      expect(reference).toHaveLength(2);
      expect(reference[0]).toMatchObject({
        message: 'removal prepaid',
        outcome: 'prepaid',
        dryRun,
        policy: expect.any(Object),
      });
      for (const trigger of ['inline', 'evaluate-group'] as const) {
        for (const drainSeconds of [0, 120]) {
          expect(
            await auditLines(trigger, drainSeconds, dryRun),
            `${trigger} ${drainSeconds}`,
          ).toEqual(reference);
        }
      }
    },
  );

  it('writes the same would-remove line for an inline and a queue dry run', async () => {
    resetFactorySequences();
    const lines = async (trigger: Trigger) => {
      const group = serverGroupFactory();
      const servers = [1, 2, 3].map(() => serverFactory({ server_group_id: group.id }));
      const fake = createFakeServices({ groups: [group], servers });
      const settings = fakeSettings({ dryRun: true });
      await run(trigger, fake.services, settings, group.id);
      return fake.log.lines
        .filter((l) => l.context?.audit === 'removal')
        .map((l) => ({ level: l.level, message: l.message, ...l.context }));
    };
    const inline = await lines('inline');
    resetFactorySequences();
    const queued = await lines('evaluate-group');
    expect(inline.map((l) => (l as { outcome?: string }).outcome)).toEqual([
      'would-remove',
      'would-remove',
    ]);
    expect(queued).toEqual(inline);
  });
});
