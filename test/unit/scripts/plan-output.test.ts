import { describe, expect, it } from 'vitest';
import { countsOf } from '../../../lib/report/counts.ts';
import { parseWhatIf } from '../../../lib/what-if/overrides.ts';
import { compareWhatIf } from '../../../lib/what-if/what-if.ts';
import { caveatLines, summaryLine, whatIfTable } from '../../../scripts/lib/plan-output.ts';
import { generatePlan, PLAN_LIMITS } from '../../helpers/plan-report.ts';

describe('plan output', () => {
  const plan = generatePlan({ groups: 40, serversPerGroup: 6, seed: 11 });

  it('sums the plan up in one line that says nothing was changed', () => {
    const t = plan.report.totals;
    expect(t.plannedRemovals).toBeGreaterThan(0);
    const counts = countsOf(plan.report);
    expect(summaryLine(plan.report, counts)).toMatch(
      new RegExp(
        `^plan completed: 40 groups \\(${t.decisions['scale-in']} scale-in, ${t.decisions.steady} steady, ` +
          `${t.decisions['scale-out']} scale-out, ${t.decisions.skip} skip\\), ${t.plannedRemovals} planned: ${t.outcomes['would-remove']} would be removed, .*nothing was changed$`,
      ),
    );
    const aborted = { ...plan.report, status: 'aborted' as const, abortReason: 'over the cap' };
    expect(summaryLine(aborted, counts)).toContain(
      `${t.plannedRemovals} planned: ${t.outcomes['would-remove']} would be removed: a sweep would remove nothing: over the cap`,
    );
  });

  it('says exactly which groups the table leaves out, and which listings failed', () => {
    expect(caveatLines(plan.report)).toEqual([]);
    const scaleIn = plan.report.groups.filter((g) => g.decision === 'scale-in');
    const lines = caveatLines({
      ...plan.report,
      groups: plan.report.groups.filter((g) => g.decision !== 'scale-in').concat(scaleIn.slice(1)),
      errors: [{ projectId: 'p1', error: 'GET /x failed with 500' }],
    });
    expect(lines[0]).toMatch(
      new RegExp(
        `^the table listed 39 of 40 groups: ${scaleIn.length - 1} of ${scaleIn.length} scale-in \\(`,
      ),
    );
    expect(lines[1]).toBe('listing failed in project p1: GET /x failed with 500');
  });

  it('puts the baseline and each set side by side, an aborted set as 0 with its planned count', () => {
    const comparison = compareWhatIf(plan.fetched, ['min=0', 'maxPerSweep=0'].map(parseWhatIf), {
      now: plan.now,
      limits: PLAN_LIMITS,
      maxRemovalsPerSweep: 1000,
    });
    const lines = whatIfTable(comparison).split('\n');
    expect(lines[0]).toMatch(/^ +baseline +min=0 +maxPerSweep=0$/);
    const planned = comparison.baseline.plannedRemovals;
    expect(lines[1]).toMatch(
      new RegExp(
        `^would remove +${planned} +${comparison.sets[0]?.removals} +0 \\(${planned} planned > sweep cap\\)$`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^server-hours it would free \\(24 h per removal\\) +${planned * 24} `),
    );
    expect(lines).toHaveLength(5);
  });
});
