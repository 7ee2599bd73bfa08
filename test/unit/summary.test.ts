import { describe, expect, it } from 'vitest';
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
    expect(
      summaryLine(report, { serverHoursFreed: 72, reportKey: 'reports/2026-11-29/x.json' }),
    ).toBe(
      '3 removed, 1 failed (request id req-42), 2 scale-out recommended, 72 server-hours freed, status completed, dry-run off, report reports/2026-11-29/x.json',
    );
  });

  it('tells a dry run what it would remove and an aborted sweep why', () => {
    const report = sweepReportFactory(
      [groupReportFactory({ removals: [removalFactory({ outcome: 'would-remove' })] })],
      { dryRun: true, status: 'aborted', abortReason: 'sweep cap 50 exceeded' },
    );
    expect(summaryLine(report, { estimatedMonthlySaving: 12.5 })).toBe(
      '0 removed, 1 would be removed, 0 scale-out recommended, ~12.50 a month saved, status aborted (sweep cap 50 exceeded), dry-run on',
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
      '0 removed, 4 failed (request ids r1, r2, r3 +1 more), 1 not removed, 0 scale-out recommended, status completed, dry-run off',
    );
  });

  it('names the messages a fanout sweep enqueued, not removals it never made', () => {
    const report = sweepReportFactory([], {
      mode: 'fanout',
      enqueued: { sent: 8, failed: [{ serverGroupId: 'sg-1', error: 'throttled' }] },
    });
    expect(summaryLine(report, { serverHoursFreed: 0, reportKey: 'reports/x.json' })).toBe(
      '8 evaluate-group messages enqueued for remediate, 1 not enqueued, status completed, dry-run off, report reports/x.json',
    );
  });
});
