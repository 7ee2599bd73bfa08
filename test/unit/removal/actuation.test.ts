import { beforeEach, describe, expect, it } from 'vitest';
import { closeDrains, finishActed } from '../../../lib/removal/actuation/finish-acted.ts';
import type { ServerRemoval } from '../../../lib/removal/actuation/remover.ts';
import { endRemoval, removalReport } from '../../../lib/removal/ending/end-removal.ts';
import type { DrainRecord } from '../../../lib/removal/store/drain-store.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { createFakeServices, FAKE_NOW, fakeSettings } from '../../helpers/fake-services.ts';

// Direct tests of the actuation's end (lib/removal/actuation/finish-acted.ts `finishActed`, `closeDrains`)
// and of the one ending (lib/removal/ending/end-removal.ts), which had none (issue 26).

beforeEach(() => resetFactorySequences());

const OWNER = 'sweep:actuation';

function world() {
  const group = serverGroupFactory();
  const server = serverFactory({ server_group_id: group.id, maintain_status: true });
  const fake = createFakeServices({ groups: [group], servers: [server] });
  const drains = createFakeDrains();
  fake.services.drains = drains.drains;
  const record: DrainRecord = {
    projectId: 'p-1',
    serverId: server.id,
    groupId: group.id,
    owner: OWNER,
    state: 'acting',
    drainedAtMs: FAKE_NOW - 120_000,
    drainUntilMs: FAKE_NOW,
  };
  drains.records.set(server.id, record);
  // The actuation's end, then the one closing write and the audit lines of every ending.
  const acted = async (result: ServerRemoval | undefined) =>
    (
      await closeDrains(
        await finishActed(
          [{ target: { record }, record, server, idleMinutes: 42.7, result }],
          fake.services,
          fakeSettings(),
        ),
        OWNER,
        fake.services,
        fakeSettings(),
        undefined,
      )
    ).settled;
  const audits = () => fake.log.lines.filter((l) => l.context?.audit === 'removal');
  return { server, fake, drains, acted, audits };
}

describe('finishActed (the actuation of drained servers)', () => {
  it('completes the record of a removed server, lifts our maintenance, audits it once', async () => {
    const w = world();
    const [settled] = await w.acted({
      serverId: w.server.id,
      instanceId: 'i-1',
      outcome: 'removed',
    });
    expect(settled?.report).toMatchObject({
      outcome: 'removed',
      drainedSeconds: 120,
      idleMinutes: 42,
    });
    expect(w.drains.records.size).toBe(0);
    expect(w.fake.maintenance).toEqual([{ ids: [w.server.id], on: false }]);
    expect(w.audits().map((l) => [l.level, l.message])).toEqual([['info', 'removal removed']]);
  });

  it('keeps the record when lifting maintenance fails, for the next sweep', async () => {
    const w = world();
    w.fake.fail.batchSetMaintenance = new Error('maintenance down');
    const [settled] = await w.acted({
      serverId: w.server.id,
      instanceId: 'i-1',
      outcome: 'removed',
    });
    expect(settled?.report).toMatchObject({
      outcome: 'removed',
      detail: 'maintenance lifted by the next sweep',
    });
    expect(w.drains.records.get(w.server.id)?.state).toBe('acting');
  });

  it('undoes a drain whose removal failed: maintenance lifted, record cleared, ERROR audit', async () => {
    const w = world();
    const [settled] = await w.acted({
      serverId: w.server.id,
      instanceId: 'i-1',
      outcome: 'failed',
      detail: 'ecs said no',
    });
    expect(settled?.decision).toBe('failed');
    expect(settled?.report?.detail).toMatch(/^ecs said no; /);
    expect(w.drains.records.size).toBe(0);
    expect(w.fake.servers.get(w.server.id)?.maintain_status).toBe(false);
    expect(w.audits().map((l) => l.level)).toEqual(['error']);
  });

  it('fails a removal whose record another actor took meanwhile, and leaves that record alone', async () => {
    const w = world();
    const record = w.drains.records.get(w.server.id) as DrainRecord;
    w.drains.records.set(w.server.id, { ...record, owner: 'sweep:other' });
    const [settled] = await w.acted({
      serverId: w.server.id,
      instanceId: 'i-1',
      outcome: 'removed',
    });
    expect(settled).toMatchObject({ decision: 'failed', report: { outcome: 'failed' } });
    expect(settled?.report?.detail).toMatch(/owner-mismatch/);
    expect(w.drains.records.get(w.server.id)?.owner).toBe('sweep:other');
    expect(w.fake.log.lines.some((l) => l.message === 'removal could not be settled')).toBe(true);
  });

  it('reports a server the remover gave no answer for as failed', async () => {
    const w = world();
    const [settled] = await w.acted(undefined);
    expect(settled?.report).toMatchObject({ outcome: 'failed' });
    expect(settled?.report?.detail).toMatch(/no answer from the remover/);
  });
});

describe('endRemoval (every ending)', () => {
  it('writes one audit line with the report and returns the report unchanged', () => {
    const { fake } = world();
    const report = removalReport(
      { serverId: 's-1', instanceId: 'i-1', machineName: 'APS-1', idleMinutes: 9.9 },
      'skipped-changed',
      'moved',
    );
    expect(report).toEqual({
      serverId: 's-1',
      instanceId: 'i-1',
      machineName: 'APS-1',
      idleMinutes: 9,
      outcome: 'skipped-changed',
      detail: 'moved',
    });
    const settings = fakeSettings({ dryRun: true });
    expect(endRemoval(fake.services, settings, { id: 'g-1' }, report)).toBe(report);
    const lines = fake.log.lines.filter((l) => l.context?.audit === 'removal');
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'removal skipped-changed',
        context: expect.objectContaining({
          serverGroupId: 'g-1',
          serverId: 's-1',
          outcome: 'skipped-changed',
          detail: 'moved',
          dryRun: true,
        }),
      },
    ]);
  });
});
