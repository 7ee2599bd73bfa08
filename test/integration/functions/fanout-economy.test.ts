import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { expectFanout, fanoutMinimum } from '../../../bench/lib/fanout-minimum.ts';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { fakeContext, sqsEvent } from '../../../scripts/lib/lambda.ts';
import { generateFleet } from '../../../sim/generate-fleet.ts';
import { depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// The bench's "fanout API economy" line at a size a test can run: every
// group's dry-run evaluate-group message through the real remediate handler,
// ten to a batch, against the fleet's own minimum (bench/lib/fanout-minimum.ts
// `fanoutMinimum`), on the simulator's frozen clock.
const FLEET = { groups: 60, serversPerGroup: 20, seed: 42 };

describe('fanout API economy', () => {
  it('makes exactly the minimum: one ECS lookup per planned removal, no listing', async () => {
    const fleet = generateFleet(FLEET);
    const minimum = fanoutMinimum(expectFanout(fleet));
    const sim = await startFrozenSimulator({ generate: FLEET });
    try {
      const handler = createRemediateHandler(
        depsFor(sim, { env: { MAX_CONCURRENCY: '16', SESSION_LOOKBACK_HOURS: '24' } }),
      );
      const bodies = fleet.groups.map((g) =>
        JSON.stringify({
          type: 'evaluate-group',
          projectId: sim.projectId,
          serverGroupId: g.id,
          dryRun: true,
        }),
      );
      for (let i = 0; i < bodies.length; i += 10) {
        const response = (await handler(
          sqsEvent(bodies.slice(i, i + 10)),
          fakeContext({ now: () => sim.now().getTime() }),
        )) as SQSBatchResponse;
        expect(response.batchItemFailures).toEqual([]);
      }
      const count = (route: string) => sim.calls.filter((c) => c.route === route).length;
      expect(minimum.ecsLookups).toBeGreaterThan(0);
      expect({
        rereads: count('listServerGroups'),
        serverPages: count('listAppServers'),
        sessionPages: count('listSessions'),
        ecsLookups: count('showEcsServer'),
        ecsListings: count('listEcsServerGroups'),
      }).toEqual({
        rereads: minimum.rereads,
        serverPages: minimum.serverPages,
        sessionPages: minimum.sessionPages,
        ecsLookups: minimum.ecsLookups,
        ecsListings: 0,
      });
      expect(sim.calls).toHaveLength(minimum.total);
    } finally {
      await sim.close();
    }
  });
});
