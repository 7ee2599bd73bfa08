import { describe, expect, it } from 'vitest';
import { expectFleet } from '../../../bench/lib/fleet-minimum.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { generateFleet } from '../../../sim/generate-fleet.ts';
import type { StartSimulatorOptions } from '../../../sim/server.ts';
import { depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// The APS server group id is not an ECS server group id (docs/huawei-api.md):
// every ECS call of a sweep must name an ECS group that holds the instance.
const ECS_GROUP_PATH = /\/cloudservers\/os-server-groups\/([^/?]+)/;

const FLEETS: [string, StartSimulatorOptions][] = [
  ['the demo fleet', {}],
  ['a generated fleet (seed 7)', { generate: { groups: 60, serversPerGroup: 8, seed: 7 } }],
  ['a generated fleet (seed 11)', { generate: { groups: 40, serversPerGroup: 12, seed: 11 } }],
];

describe('ECS calls name ECS server groups, never APS ones', () => {
  it.each(FLEETS)('%s', async (_name, options) => {
    const sim = await startFrozenSimulator(options);
    try {
      const apsIds = new Set(sim.state.groups.map((g) => g.id));
      const ecsBefore = new Map(sim.state.ecs.all.map((g) => [g.id, new Set(g.members)]));
      const handler = createSweepHandler(
        depsFor(sim, { env: { MAX_REMOVALS_PER_SWEEP: '100000' } }),
      );
      const report = (await handler(
        loadEvent('schedule.json'),
        fakeContext({ remainingMs: 120_000, now: () => sim.now().getTime() }),
      )) as SweepReport;
      expect(report.status).toBe('completed');

      const ecsCalls = sim.calls.filter((c) => ECS_GROUP_PATH.test(c.path));
      const actions = ecsCalls.filter((c) => c.route === 'ecsAction');
      expect(actions.length).toBeGreaterThan(0);
      for (const call of ecsCalls) {
        const id = decodeURIComponent(ECS_GROUP_PATH.exec(call.path)?.[1] ?? '');
        expect(apsIds.has(id), `${call.method} ${call.path}`).toBe(false);
        expect(ecsBefore.has(id), `${call.method} ${call.path}`).toBe(true);
      }
      expect(actions.every((c) => c.status === 200)).toBe(true);
      // One listing of the ECS groups per sweep, however many groups acted.
      const listings = sim.calls.filter((c) => c.route === 'listEcsServerGroups');
      const pages = Math.max(1, Math.ceil(ecsBefore.size / 100));
      expect(listings).toHaveLength(pages);
      // Every member planned out of a group is either removed from the ECS group
      // that held it, or reported as in none; none is both or neither.
      const removals = report.groups.flatMap((g) => g.removals);
      const heldBefore = (instance: string | undefined) =>
        [...ecsBefore.values()].some((members) => members.has(instance ?? ''));
      for (const r of removals) {
        if (r.outcome === 'removed') expect(heldBefore(r.instanceId)).toBe(true);
        if (r.outcome === 'not-in-ecs-group') expect(heldBefore(r.instanceId)).toBe(false);
      }
      expect(removals.filter((r) => r.outcome === 'removed')).toHaveLength(actions.length);
      // Secondary (standby) groups are marked with the primaries they back up.
      for (const line of report.groups) {
        const primaries = sim.state.getGroup(line.serverGroupId)?.primary_server_group_ids ?? [];
        expect(line.secondaryOf ?? []).toEqual(primaries);
      }
      if (options.generate !== undefined) {
        expect(report.groups.some((g) => g.secondaryOf !== undefined)).toBe(true);
        // API economy of the acting phase: exactly the minimum the bench derives
        // from the fleet's own records (bench/lib/fleet-minimum.ts).
        const expected = expectFleet(generateFleet(options.generate), {
          lookbackHours: 24,
          limits: {
            minServersPerGroup: 1,
            maxRemovalsPerGroup: 10,
            protectTagKey: 'aps-autoscaler:protect',
          },
          maxRemovalsPerSweep: 100_000,
          dryRun: false,
        });
        expect(expected.notInEcsGroup).toBeGreaterThan(0);
        const count = (route: string) => sim.calls.filter((c) => c.route === route).length;
        expect(count('getAppServer')).toBe(expected.minimum.rereads);
        expect(count('ecsAction')).toBe(expected.minimum.removes);
        expect(count('listEcsServerGroups')).toBe(expected.minimum.ecsListPages);
        expect(report.totals.outcomes['not-in-ecs-group']).toBe(expected.notInEcsGroup);
      }
    } finally {
      await sim.close();
    }
  });
});
