import { describe, expect, it } from 'vitest';
import { countsOf } from '../../lib/report/counts.ts';
import { summaryLine } from '../../lib/summary.ts';
import {
  groupReportFactory,
  removalFactory,
  sweepReportFactory,
} from '../helpers/report-factory.ts';

describe('summaryLine', () => {
  it('tells removals, failures with request ids, scale-outs, hours freed, status and dry-run', () => {
    const report = sweepReportFactory([
      groupReportFactory({
        removals: [
          removalFactory({ serverId: 'a' }),
          removalFactory({ serverId: 'b' }),
          removalFactory({ serverId: 'c' }),
          removalFactory({ serverId: 'd', outcome: 'failed', requestId: 'req-42' }),
        ],
      }),
      groupReportFactory({ serverGroupId: 'sg-2', decision: 'scale-out', recommendedScaleOut: 2 }),
    ]);
    expect(summaryLine(report, { reportKey: 'reports/2026-11-29/x.json' })).toBe(
      '4 planned: 3 removed, 1 failed (request id req-42), 2 scale-out recommended, 72 server-hours freed, saving no prices given: set HOURLY_PRICE_BY_FLAVOR, status completed, dry-run off, report reports/2026-11-29/x.json',
    );
  });

  it('tells a dry run what it would remove and an aborted sweep why', () => {
    const report = sweepReportFactory(
      [groupReportFactory({ removals: [removalFactory({ outcome: 'would-remove' })] })],
      { dryRun: true, status: 'aborted', abortReason: 'sweep cap 50 exceeded' },
    );
    const counts = countsOf(report, { hourlyPriceByFlavor: { 's2.large': 0.5 } });
    expect(summaryLine(report, { counts })).toBe(
      '1 planned: 1 would be removed, 0 scale-out recommended, 24 server-hours would be freed, saving ~0.00 a month, status aborted (sweep cap 50 exceeded), dry-run on',
    );
  });

  it('names at most three request ids and counts skipped removals', () => {
    const failed = ['r1', 'r2', 'r3', 'r4'].map((id) =>
      removalFactory({ outcome: 'failed', requestId: id }),
    );
    const report = sweepReportFactory([
      groupReportFactory({ removals: [...failed, removalFactory({ outcome: 'skipped-busy' })] }),
    ]);
    expect(summaryLine(report)).toBe(
      '5 planned: 0 removed, 1 undone (skipped-busy 1), 4 failed (request ids r1, r2, r3 +1 more), 0 scale-out recommended, 0 server-hours freed, saving no prices given: set HOURLY_PRICE_BY_FLAVOR, status completed, dry-run off',
    );
  });

  it('names the messages a fanout sweep enqueued, not removals it never made', () => {
    const report = sweepReportFactory([], {
      mode: 'fanout',
      enqueued: { sent: 8, failed: [{ serverGroupId: 'sg-1', error: 'throttled' }] },
    });
    expect(summaryLine(report, { reportKey: 'reports/x.json' })).toBe(
      '8 evaluate-group messages enqueued for remediate, 1 not enqueued, status completed, dry-run off, report reports/x.json',
    );
  });
});
