import { beforeEach, describe, expect, it } from 'vitest';
import type { RemovalServices, RemovalSettings } from '../../../lib/removal/types.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { runSweep } from '../../../lib/sweep/sweep.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { createFakeServices, FAKE_NOW, fakeSettings } from '../../helpers/fake-services.ts';

// One owner for every audit line (lib/removal/ending/end-removal.ts): every
// removal an inline sweep reports has exactly one audit line, with the
// outcome the report gives it, however the sweep learnt it: acted on, aborted
// over the sweep cap (acting or dry run), out of time before the drain, or
// stopped by a failing drain table.

beforeEach(() => resetFactorySequences());

/** Three groups of three idle servers: two removals planned in each. */
function fleet() {
  const groups = [1, 2, 3].map(() => serverGroupFactory());
  const servers = groups.flatMap((group) =>
    [1, 2, 3].map(() => serverFactory({ server_group_id: group.id })),
  );
  return createFakeServices({ groups, servers });
}

async function sweep(
  services: RemovalServices,
  settings: RemovalSettings,
  maxRemovalsPerSweep: number,
): Promise<SweepReport> {
  const { projectId, ...rest } = settings;
  return runSweep({
    projects: [{ projectId, services }],
    mode: 'inline',
    settings: rest,
    maxRemovalsPerSweep,
    concurrency: 2,
    stats: () => ({ requests: 0, retries: 0, throttled: 0 }),
    ...(services.drains === undefined ? {} : { drain: { owner: 'sweep:audit' } }),
  });
}

/** Each reported removal's outcome, and each audit line's, by server id. */
function endings(report: SweepReport, log: ReturnType<typeof fleet>['log']) {
  const reported = report.groups.flatMap((g) => g.removals.map((r) => [r.serverId, r.outcome]));
  const audited = log.lines
    .filter((l) => l.context?.audit === 'removal')
    .map((l) => [l.context?.serverId, l.context?.outcome]);
  return { reported: reported.sort(), audited: audited.sort() };
}

describe('the audit line of every removal an inline sweep reports', () => {
  it.each([
    ['acted on', { dryRun: false }, 10, 'removed'],
    ['a dry run', { dryRun: true }, 10, 'would-remove'],
    ['aborted over the cap', { dryRun: false }, 3, 'skipped-aborted'],
    ['aborted over the cap in a dry run', { dryRun: true }, 3, 'skipped-aborted'],
  ] as const)('is written once, with the reported outcome: %s', async (_, over, cap, outcome) => {
    const fake = fleet();
    const report = await sweep(fake.services, fakeSettings(over), cap);
    const { reported, audited } = endings(report, fake.log);
    expect(reported).toHaveLength(6);
    expect(new Set(reported.map(([, o]) => o))).toEqual(new Set([outcome]));
    expect(audited).toEqual(reported);
  });

  it('is written once for a drain the invocation has no time for (skipped-deadline)', async () => {
    const fake = fleet();
    fake.services.drains = createFakeDrains().drains;
    const settings = fakeSettings({ drainSeconds: 3_600, deadlineAt: FAKE_NOW + 600_000 });
    const { reported, audited } = endings(await sweep(fake.services, settings, 10), fake.log);
    expect(new Set(reported.map(([, o]) => o))).toEqual(new Set(['skipped-deadline']));
    expect(audited).toEqual(reported);
  });

  it('is written once, at ERROR, for a removal the failing drain table stopped (failed)', async () => {
    const fake = fleet();
    const drains = createFakeDrains().drains;
    // Both writes that start a drain: the lease with the records, and the records alone.
    const unavailable = async (): Promise<never> => {
      throw new Error('drain table unavailable');
    };
    drains.store.recordDrains = unavailable;
    drains.store.takeAndRecord = unavailable;
    fake.services.drains = drains;
    const settings = fakeSettings({ drainSeconds: 120, deadlineAt: FAKE_NOW + 600_000 });
    const report = await sweep(fake.services, settings, 10);
    const { reported, audited } = endings(report, fake.log);
    expect(new Set(reported.map(([, o]) => o))).toEqual(new Set(['failed']));
    expect(audited).toEqual(reported);
    const levels = fake.log.lines.filter((l) => l.context?.audit === 'removal').map((l) => l.level);
    expect(new Set(levels)).toEqual(new Set(['error']));
  });
});
