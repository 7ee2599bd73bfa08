import { describe, expect, it } from 'vitest';
import { fetchAndEvaluate } from '../../../lib/removal/plan/plan-group.ts';
import { compareWhatIf } from '../../../lib/what-if/what-if.ts';
import { fetchedOf } from '../../../scripts/lib/plan-run.ts';
import { serverFactory, serverGroupFactory } from '../../helpers/factories.ts';
import {
  apiError,
  createFakeServices,
  FAKE_NOW,
  fakeSettings,
} from '../../helpers/fake-services.ts';

// What-if re-evaluates what the sweep fetched: its baseline must reach the
// sweep's own decision, failed listings included.

describe('plan mode hands the fetched data to what-if', () => {
  const group = serverGroupFactory();
  const servers = [1, 2, 3].map(() => serverFactory({ server_group_id: group.id }));

  for (const failing of [[], ['listServers'], ['listSessions'], ['listServers', 'listSessions']]) {
    it(`gives the baseline the sweep's decision (${failing.join(' + ') || 'no'} listing failing)`, async () => {
      const fake = createFakeServices({ groups: [group], servers });
      for (const name of failing) fake.fail[name] = apiError(500);
      const settings = fakeSettings();
      const evaluation = await fetchAndEvaluate(group, fake.services, settings);
      const fetched = fetchedOf('p-1', evaluation);
      expect(fetched.incomplete !== undefined).toBe(failing.includes('listServers'));
      const { baseline } = compareWhatIf([fetched], [], {
        now: FAKE_NOW,
        limits: settings.limits,
        maxRemovalsPerSweep: 50,
      });
      expect(baseline.decisions[evaluation.decision.kind]).toBe(1);
      const planned =
        evaluation.decision.kind === 'scale-in' ? evaluation.decision.remove.length : 0;
      expect(baseline.plannedRemovals).toBe(planned);
    });
  }
});
