import { describe, expect, it } from 'vitest';
import { renderHistoryHtml } from '../../../lib/history/page.ts';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { groupReportFactory, sweepReportFactory } from '../../helpers/report-factory.ts';

const HOSTILE = `<img src=x onerror=alert(1)>"'</h2><script>alert(2)</script>`;

describe('renderHistoryHtml', () => {
  const samples = [0, 1, 2].map((i) => ({
    t: `2026-11-09T0${i}:00:00.000Z`,
    group: 'g1',
    name: HOSTILE,
    inService: 2 + i,
    used: 3 * i,
    perServer: 2,
    removals: i === 2 ? 1 : 0,
    floor: 1,
  }));

  it('charts each series and each removal, every value escaped, no request', () => {
    const html = renderHistoryHtml(
      [
        {
          group: 'g1',
          name: HOSTILE,
          samples,
          learned: { needs: Array(168).fill(4), timeZone: 'UTC' },
        },
      ],
      'history',
    );
    for (const series of ['inService', 'filled', 'floor', 'need'])
      expect(html).toContain(`class="s-${series}"`);
    expect(html.match(/class="removal"/g)).toHaveLength(1);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain("default-src 'none'");
  });

  it('says when a group has no learned need yet', () => {
    expect(renderHistoryHtml([{ group: 'g1', name: 'a', samples }], 'history')).toContain(
      'No learned need yet',
    );
  });
});

describe('the report page', () => {
  it('links the history page when told where it is, and not otherwise', () => {
    const report = sweepReportFactory([groupReportFactory()]);
    expect(renderReportHtml(report, { historyHref: '../../history/latest.html' })).toContain(
      '<a id="history-link" href="../../history/latest.html">',
    );
    expect(renderReportHtml(report)).not.toContain('history-link');
  });
});
