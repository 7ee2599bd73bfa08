import { describe, expect, it } from 'vitest';
import type { RemovalOutcome } from '../../../lib/removal/outcome.ts';
import { REFUSAL_OUTCOMES } from '../../../lib/removal/plan/eligibility.ts';
import { countRows } from '../../../lib/report/count-rows.ts';
import { countsOf, NO_PRICES, REFUSED_OUTCOMES, total } from '../../../lib/report/counts.ts';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { summaryLine } from '../../../lib/summary.ts';
import { summarise } from '../../../lib/sweep/report.ts';
import {
  groupReportFactory,
  removalFactory,
  sweepReportFactory,
} from '../../helpers/report-factory.ts';

const EVERY_OUTCOME = Object.keys(summarise([]).outcomes) as RemovalOutcome[];

describe('countsOf', () => {
  it('counts the refusals the remover makes, no more and no fewer', () => {
    expect([...REFUSED_OUTCOMES].sort()).toEqual([...REFUSAL_OUTCOMES].sort());
  });

  it('puts every outcome in exactly one count: planned is their sum', () => {
    const removals = EVERY_OUTCOME.map((outcome, i) =>
      removalFactory({ serverId: `s${i}`, outcome }),
    );
    const c = countsOf(sweepReportFactory([groupReportFactory({ removals })]));
    expect(c.planned).toBe(EVERY_OUTCOME.length);
    expect(
      c.removed + c.wouldRemove + total(c.refused) + total(c.undone) + c.budget + c.failed,
    ).toBe(c.planned);
    expect(c).toMatchObject({ removed: 1, wouldRemove: 1, budget: 1, failed: 1 });
  });

  it('counts a server a budget held back in its own bucket, shown alike by every surface', () => {
    const group = groupReportFactory({
      removals: [
        removalFactory({ serverId: 'a' }),
        removalFactory({ serverId: 'b', outcome: 'budget', detail: 'held back by BUDGETS[0]' }),
        removalFactory({ serverId: 'c', outcome: 'budget', detail: 'held back by BUDGETS[0]' }),
      ],
    });
    const report = sweepReportFactory([group]);
    const c = countsOf(report);
    expect(c).toMatchObject({ planned: 3, removed: 1, budget: 2, undone: {} });
    const row = countRows(c).find((r) => r.key === 'budget');
    expect(row).toMatchObject({ label: 'Held back by a budget', value: '2', tone: 'warn' });
    expect(countRows(c).find((r) => r.key === 'planned')?.detail).toContain('held back 2');
    expect(summaryLine(report)).toContain('3 planned: 1 removed, 2 held back by a budget');
    expect(renderReportHtml(report)).toContain(
      '<div class="tile warn" data-count="budget"><dt>Held back by a budget</dt><dd><span class="num">2</span>',
    );
  });

  it('names undone drains by their reason and counts unlisted ones under drain-undone', () => {
    const listed = groupReportFactory({
      removals: [
        removalFactory({ serverId: 'a', outcome: 'drain-undone', undoReason: 'session-arrived' }),
        removalFactory({ serverId: 'b', outcome: 'skipped-busy' }),
      ],
    });
    const report = sweepReportFactory([listed]);
    // Two more undone drains in groups the report does not list.
    report.totals.outcomes['drain-undone'] += 2;
    report.totals.groups += 2;
    const c = countsOf(report);
    expect(c.undone).toEqual({ 'session-arrived': 1, 'drain-undone': 2, 'skipped-busy': 1 });
    expect(c.planned).toBe(4);
    expect(c.keptListedOnly).toBe(true);
  });

  it('counts kept servers by verdict, not the ones chosen for removal', () => {
    const group = groupReportFactory({ memberReasons: { idle: 2, busy: 3, floor: 1 } });
    expect(countsOf(sweepReportFactory([group])).kept).toEqual({ busy: 3, floor: 1 });
  });

  it('frees 24 server-hours per removal, or per would-be removal in a dry run', () => {
    const acting = groupReportFactory({
      removals: [removalFactory(), removalFactory({ outcome: 'failed' })],
    });
    expect(countsOf(sweepReportFactory([acting])).serverHoursFreed).toBe(24);
    const dry = groupReportFactory({ removals: [removalFactory({ outcome: 'would-remove' })] });
    const c = countsOf(sweepReportFactory([dry], { dryRun: true }));
    expect(c.serverHoursFreed).toBe(24);
    expect(countRows(c)[0]).toMatchObject({ key: 'would-remove', value: '1' });
  });

  it('prices the saving with HOURLY_PRICE_BY_FLAVOR and says which servers had no price', () => {
    const group = groupReportFactory({
      removals: [
        removalFactory({ serverId: 'a', flavorId: 's2.large' }),
        removalFactory({ serverId: 'b', flavorId: 'x9' }),
      ],
    });
    const report = sweepReportFactory([group]);
    expect(countsOf(report).saving).toEqual({ priced: false, note: NO_PRICES });
    const saving = countsOf(report, { hourlyPriceByFlavor: { 's2.large': 0.5 } }).saving;
    expect(saving).toMatchObject({
      priced: true,
      amount: 365,
      per: 'a month',
      source: 'HOURLY_PRICE_BY_FLAVOR',
      prices: { 's2.large': 0.5 },
      unpriced: '1 server without a price (flavor x9)',
    });
  });
});

describe('the page marks failures and refusals', () => {
  it('gives a failed removal and the failed count the bad tone, a refusal the warning tone', () => {
    const group = groupReportFactory({
      members: [
        {
          serverId: 'a',
          machineName: 'A',
          instanceId: undefined,
          action: 'remove',
          reason: { kind: 'idle', idleMinutes: 90 },
        },
        {
          serverId: 'b',
          machineName: 'B',
          instanceId: undefined,
          action: 'remove',
          reason: { kind: 'idle', idleMinutes: 80 },
        },
      ],
      removals: [
        removalFactory({
          serverId: 'a',
          outcome: 'failed',
          requestId: 'req-7',
          detail: 'HTTP 500',
        }),
        removalFactory({ serverId: 'b', outcome: 'not-in-ecs-group' }),
      ],
    });
    const html = renderReportHtml(sweepReportFactory([group]));
    expect(html).toContain('<li class="v-idle bad">A a: idle, chosen for removal');
    expect(html).toContain('failed: HTTP 500: request id req-7');
    expect(html).toContain('<li class="v-idle warn">B b: idle, chosen for removal');
    expect(html).toContain(
      '<div class="tile bad" data-count="failed"><dt>Failed</dt><dd><span class="num">1</span>',
    );
    expect(html).toContain('<div class="tile warn" data-count="refused">');
  });
});

describe('the page of a fanout sweep', () => {
  it('says its removals are remediate’s, not counted in its headline', () => {
    const report = sweepReportFactory([], { mode: 'fanout', enqueued: { sent: 8, failed: [] } });
    expect(renderReportHtml(report)).toContain(
      '<strong>fanout: 8 evaluate-group messages enqueued; remediate removes and logs',
    );
  });
});
