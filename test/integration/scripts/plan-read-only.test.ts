import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config.ts';
import { parseWhatIf } from '../../../lib/what-if/overrides.ts';
import { runPlan } from '../../../scripts/lib/plan-run.ts';
import { clientEnvOf, startSimulator } from '../../../sim/server.ts';
import { mutatingCalls } from '../../helpers/stack.ts';

// Plan mode can never change anything: over many random generated fleets and
// limits, the simulator's call log holds no mutating call, the fleet is as it
// was, no request is sent twice (what-if reuses the fetched data), and the
// what-if baseline agrees with the sweep's own report.

const WHAT_IF = ['shrink=5,min=0', 'threshold=1,maxPerGroup=20', 'maxPerSweep=0'].map(parseWhatIf);

describe('npm run plan is read only', () => {
  it('sends no mutating call and no request twice over random fleets, whatever the limits', async () => {
    let planned = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          groups: fc.integer({ min: 1, max: 25 }),
          serversPerGroup: fc.integer({ min: 0, max: 12 }),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          min: fc.integer({ min: 0, max: 3 }),
          maxPerGroup: fc.integer({ min: 0, max: 10 }),
          maxPerSweep: fc.integer({ min: 0, max: 200 }),
          removalMode: fc.constantFrom('remove-member', 'release'),
          dryRun: fc.constantFrom('true', 'false'),
          sweepMode: fc.constantFrom('inline', 'fanout'),
        }),
        async (p) => {
          const sim = await startSimulator({
            generate: { groups: p.groups, serversPerGroup: p.serversPerGroup, seed: p.seed },
            clock: { now: 'real', rebase: true },
          });
          try {
            const at = sim.now().getTime();
            const before = sim.state.snapshot(at);
            // DRY_RUN and SWEEP_MODE are set to every value: plan mode reads neither.
            const config = loadConfig({
              DRAIN_SECONDS: '0', // as scripts/plan.ts: plan mode never drains
              ...clientEnvOf(sim),
              DRY_RUN: p.dryRun,
              SWEEP_MODE: p.sweepMode,
              REMOVAL_MODE: p.removalMode,
              MIN_SERVERS_PER_GROUP: String(p.min),
              MAX_REMOVALS_PER_GROUP: String(p.maxPerGroup),
              MAX_REMOVALS_PER_SWEEP: String(p.maxPerSweep),
            });
            const result = await runPlan({ config, whatIf: WHAT_IF });

            expect(mutatingCalls(sim)).toEqual([]);
            expect(result.refused).toEqual([]);
            expect(sim.state.snapshot(at)).toEqual(before);
            const requests = sim.calls.map((c) => `${c.method} ${c.path}?${c.query}`);
            expect(new Set(requests).size).toBe(requests.length);

            const { report, whatIf } = result;
            expect(report.dryRun).toBe(true);
            expect(report.mode).toBe('inline');
            expect(report.totals.groups).toBe(p.groups);
            expect(result.fetchedGroups).toBe(p.groups);
            expect(report.totals.outcomes.removed).toBe(0);
            expect(whatIf.baseline.decisions).toEqual(report.totals.decisions);
            expect(whatIf.baseline.plannedRemovals).toBe(report.totals.plannedRemovals);
            expect(whatIf.baseline.aborted).toBe(report.status === 'aborted');
            planned += report.totals.plannedRemovals;
          } finally {
            await sim.close();
          }
        },
      ),
      { numRuns: 30 },
    );
    // The fleets did plan removals: a remover wired in would have had work to do.
    expect(planned).toBeGreaterThan(0);
  }, 120_000);
});
