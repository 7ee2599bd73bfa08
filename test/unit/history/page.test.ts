import { describe, expect, it } from 'vitest';
import { decodeRuns, renderHistoryHtml } from '../../../lib/history/page.ts';
import { encodeRuns, WeekCharts } from '../../../lib/history/week-chart.ts';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { groupReportFactory, sweepReportFactory } from '../../helpers/report-factory.ts';

const HOSTILE = `<img src=x onerror=alert(1)>"'</h2><script>alert(2)</script>`;

/** The chart drawn in the page itself (the script holds drawWeek's source, markup and all). */
function drawn(html: string): string {
  return /<section id="chart"[^>]*>(.*?)<\/section>/s.exec(html)?.[1] ?? '';
}

describe('renderHistoryHtml', () => {
  const NOW = Date.parse('2026-11-09T03:00:00.000Z');
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
  const chartsOf = (learned?: { needs: number[]; timeZone: string }) => {
    const charts = new WeekCharts(NOW);
    charts.add(samples);
    return charts.chartOf('g1', HOSTILE, learned);
  };

  it('charts each series and each removal, every value escaped, no request', () => {
    const html = renderHistoryHtml(
      [chartsOf({ needs: Array(168).fill(4), timeZone: 'UTC' })],
      'history',
    );
    for (const series of ['inService', 'filled', 'floor', 'need'])
      expect(drawn(html)).toContain(`class="s-${series}"`);
    expect(drawn(html).match(/class="removal"/g)).toHaveLength(1);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain("default-src 'none'");
  });

  it('says when a group has no learned need yet', () => {
    expect(renderHistoryHtml([chartsOf()], 'history')).toContain('No learned need yet');
  });

  it('embeds every group, however many, for the search to draw on demand', () => {
    const charts = new WeekCharts(NOW);
    const ids = Array.from({ length: 1_000 }, (_, i) => `g-${i}`);
    charts.add(ids.map((group, i) => ({ ...samples[1]!, group, name: `pool ${i}` })));
    const html = renderHistoryHtml(
      ids.map((id, i) => charts.chartOf(id, `pool ${i}`)),
      'history',
    );
    const data = /<script type="application\/json" id="history-data">(.*?)<\/script>/s.exec(
      html,
    )?.[1];
    const rows = JSON.parse(data ?? '[]') as unknown[][];
    expect(rows.map((r) => r[0])).toEqual(ids);
    // One group drawn in the page itself, the first.
    expect(drawn(html)).toMatch(
      /^<h2>pool 0 <small>g-0<\/small><\/h2><p>No learned need yet[^<]*<\/p><svg/,
    );
  });
});

describe('encodeRuns', () => {
  it('is undone by decodeRuns, nulls and all', () => {
    const values = [null, null, 1, 1, 1, 2, null, 3, 3];
    expect(encodeRuns(values)).toEqual([null, 2, 1, 3, 2, 1, null, 1, 3, 2]);
    expect(decodeRuns(encodeRuns(values))).toEqual(values);
    expect(decodeRuns(encodeRuns([]))).toEqual([]);
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
