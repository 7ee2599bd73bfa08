import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { unlistedSentence } from '../../../lib/report/listed.ts';
import { GroupLines } from '../../../lib/sweep/group-lines.ts';
import type { GroupReport } from '../../../lib/sweep/report.ts';
import {
  groupReportFactory,
  removalFactory,
  sweepReportFactory,
} from '../../helpers/report-factory.ts';

/** A large fleet's lines as a sweep collects them: acting groups first, then quiet ones. */
function collect(counts: { scaleIn: number; scaleOut: number; steady: number; skip: number }) {
  const lines = new GroupLines();
  const all: GroupReport[] = [
    ...Array.from({ length: counts.scaleIn }, () =>
      groupReportFactory({ decision: 'scale-in', removals: [removalFactory()] }),
    ),
    ...Array.from({ length: counts.scaleOut }, () => groupReportFactory({ decision: 'scale-out' })),
    ...Array.from({ length: counts.steady }, () => groupReportFactory({ decision: 'steady' })),
    ...Array.from({ length: counts.skip }, () => groupReportFactory({ decision: 'skip' })),
  ];
  all.forEach((line, i) => {
    lines.add(i, line, line.removals.length);
  });
  return { groups: lines.lines(), totals: lines.totals };
}

describe('unlistedSentence', () => {
  it('is silent when every group is listed', () => {
    expect(unlistedSentence(collect({ scaleIn: 3, scaleOut: 1, steady: 400, skip: 2 }))).toBe(
      undefined,
    );
  });

  it('names the acting groups it drops, not only the quiet ones', () => {
    // 1,327 acting groups: the list keeps the first 1,000 eventful lines.
    const report = collect({ scaleIn: 1_327, scaleOut: 0, steady: 300, skip: 169 });
    expect(unlistedSentence(report)).toBe(
      'listed 1,000 of 1,796 groups: 1,000 of 1,327 scale-in, 0 of 300 steady, 0 of 169 skip ' +
        '(beyond 1,000 groups a report lists only acting, scaling-out or failed ones, at most 1,000; ' +
        'the totals count every group)',
    );
  });

  it('is what the report page says about the groups it does not show', () => {
    const report = collect({ scaleIn: 1_327, scaleOut: 0, steady: 300, skip: 169 });
    const html = renderReportHtml(sweepReportFactory(report.groups, { totals: report.totals }));
    expect(html).toContain(
      'Not every group is shown: listed 1,000 of 1,796 groups: 1,000 of 1,327 scale-in,',
    );
  });

  it('counts exactly what is left out, decision by decision', () => {
    const report = collect({ scaleIn: 875, scaleOut: 400, steady: 469, skip: 10 });
    const sentence = unlistedSentence(report) ?? '';
    expect(sentence).toMatch(/^listed 1,000 of 1,754 groups: /);
    // All 875 scale-in groups are listed; the rest of the 1,000 are scale-out ones.
    expect(sentence).not.toContain('scale-in');
    expect(sentence).toContain('125 of 400 scale-out');
    expect(sentence).toContain('0 of 469 steady, 0 of 10 skip');
  });
});
