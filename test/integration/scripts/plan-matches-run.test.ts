import { afterEach, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { loadConfig } from '../../../lib/config.ts';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import { REFUSAL_OUTCOMES } from '../../../lib/removal/plan/eligibility.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import { runPlan } from '../../../scripts/lib/plan-run.ts';
import { clientEnvOf, type Simulator, startSimulator } from '../../../sim/server.ts';
import { depsFor, mutatingCalls } from '../../helpers/stack.ts';

// What the plan shows is what a run would do: on the demo fleet
// (events/fleets/demo.json, where srv-fl-idle-b is in no ECS group), a dry
// run, the plan and an acting run agree on every removal and refusal.

const byOutcome = (report: SweepReport, outcomes: readonly string[]) =>
  report.groups
    .flatMap((g) => g.removals)
    .filter((r) => outcomes.includes(r.outcome))
    .map((r) => r.serverId)
    .sort();
const REFUSED = REFUSAL_OUTCOMES;
// The plan's configuration against `sim`, with `more` variables.
const planConfig = (sim: Simulator, more: Record<string, string> = {}) =>
  loadConfig({
    ...clientEnvOf(sim),
    DRAIN_SECONDS: '0',
    ...more,
  });

describe('dry run, plan and acting run on the same fleet', () => {
  const sims: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  const fresh = async () => {
    // The real clock (the demo fleet's times rebased onto it): plan mode signs with it.
    const sim = await startSimulator({ clock: { now: 'real', rebase: true } });
    sims.push(sim);
    return sim;
  };
  const sweep = async (sim: Simulator, event: string) =>
    (await createSweepHandler(depsFor(sim))(
      loadEvent(event),
      fakeContext({ now: () => sim.now().getTime() }),
    )) as FinishedSweepReport;

  it('remove and refuse the same servers, and free the same server-hours', async () => {
    const dry = await sweep(await fresh(), 'schedule-dry-run.json');
    const planSim = await fresh();
    const plan = await runPlan({
      config: planConfig(planSim),
      now: planSim.now().getTime(),
    });
    expect(mutatingCalls(planSim)).toEqual([]);
    const actingSim = await fresh();
    const acting = await sweep(actingSim, 'schedule.json');

    const removed = byOutcome(acting, ['removed']);
    expect(removed.length).toBeGreaterThan(0);
    expect(byOutcome(acting, REFUSED)).toEqual(['srv-fl-idle-b']);
    for (const report of [dry, plan.report]) {
      expect(byOutcome(report, ['would-remove'])).toEqual(removed);
      expect(byOutcome(report, REFUSED)).toEqual(byOutcome(acting, REFUSED));
    }
    expect(plan.whatIf.baseline.removals).toBe(acting.totals.outcomes.removed);
    expect(plan.whatIf.baseline.serverHoursFreed).toBe(acting.serverHoursFreed);
  });

  it('hold back the same number under a budget, the plan counting against an empty ledger', async () => {
    const dynamo = await startLocalDynamoDb();
    try {
      const budgets = '[{"max":"1","per":"1h","scope":"project"}]';
      const planSim = await fresh();
      const plan = await runPlan({
        config: planConfig(planSim, { BUDGETS: budgets, DRY_RUN: 'true' }),
        now: planSim.now().getTime(),
      });
      const actingSim = await fresh();
      const env = { DRAIN_TABLE_NAME: dynamo.tableName, BUDGETS: budgets };
      const acting = (await createSweepHandler({
        ...depsFor(actingSim, { env }),
        dynamo: async () => dynamo.client,
      })(
        loadEvent('schedule.json'),
        fakeContext({ now: () => actingSim.now().getTime() }),
      )) as FinishedSweepReport;
      expect(acting.totals.outcomes.removed).toBe(1);
      expect(acting.totals.outcomes.budget).toBeGreaterThan(0);
      expect(plan.report.totals.outcomes['would-remove']).toBe(1);
      expect(plan.report.totals.outcomes.budget).toBe(acting.totals.outcomes.budget);
      expect(plan.whatIf.baseline.removals).toBe(1);
    } finally {
      await dynamo.close();
    }
  });
});
