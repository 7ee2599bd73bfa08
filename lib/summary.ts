import { errorCounts, type SweepReport } from './sweep/report.ts';

/** What the summary adds beyond the report: what was freed and where the report was kept. */
export interface SummaryExtras {
  serverHoursFreed?: number | undefined;
  estimatedMonthlySaving?: number | undefined;
  /** The S3 key the report was written to. */
  reportKey?: string | undefined;
}

/** Request ids of failed removals named in the line; the rest are counted. */
const NAMED_REQUEST_IDS = 3;

/** The line's tail: errors by source, status, dry-run and where the report is. */
function tail(report: SweepReport, extras: SummaryExtras): string[] {
  const parts: string[] = [];
  for (const [source, n] of errorCounts(report)) parts.push(`${n} ${source} errors`);
  parts.push(
    `status ${report.status}${report.abortReason ? ` (${report.abortReason})` : ''}`,
    `dry-run ${report.dryRun ? 'on' : 'off'}`,
  );
  if (extras.reportKey !== undefined) parts.push(`report ${extras.reportKey}`);
  return parts;
}

/**
 * One human line per sweep, e.g. `3 removed, 1 failed (request id r-1),
 * 2 scale-out recommended, 72 server-hours freed, status completed, dry-run off`;
 * a fanout sweep removes nothing itself and names the messages it enqueued
 * (`8 evaluate-group messages enqueued for remediate, …`). Counts come from
 * the totals (every group), request ids from the listed groups.
 */
export function summaryLine(report: SweepReport, extras: SummaryExtras = {}): string {
  if (report.enqueued !== undefined) {
    const { sent, failed } = report.enqueued;
    return [
      `${sent} evaluate-group message${sent === 1 ? '' : 's'} enqueued for remediate`,
      ...(failed.length > 0 ? [`${failed.length} not enqueued`] : []),
      ...tail(report, extras),
    ].join(', ');
  }
  const outcomes = report.totals.outcomes as Partial<Record<string, number>>;
  const parts = [`${outcomes.removed ?? 0} removed`];
  const failed = outcomes.failed ?? 0;
  if (failed > 0) {
    const ids = report.groups
      .flatMap((group) => group.removals)
      .filter((removal) => removal.outcome === 'failed' && removal.requestId !== undefined)
      .map((removal) => removal.requestId as string);
    const named = ids.slice(0, NAMED_REQUEST_IDS);
    const more = ids.length > named.length ? ` +${ids.length - named.length} more` : '';
    parts.push(
      named.length === 0
        ? `${failed} failed`
        : `${failed} failed (request id${named.length > 1 ? 's' : ''} ${named.join(', ')}${more})`,
    );
  }
  const wouldRemove = outcomes['would-remove'] ?? 0;
  if (wouldRemove > 0 || report.dryRun) parts.push(`${wouldRemove} would be removed`);
  const skipped = Object.entries(outcomes)
    .filter(([outcome]) => !['removed', 'failed', 'would-remove'].includes(outcome))
    .reduce((sum, [, n]) => sum + (n ?? 0), 0);
  if (skipped > 0) parts.push(`${skipped} not removed`);
  parts.push(`${report.totals.recommendedScaleOut} scale-out recommended`);
  if (extras.serverHoursFreed !== undefined) {
    parts.push(`${extras.serverHoursFreed} server-hours freed`);
  }
  if (extras.estimatedMonthlySaving !== undefined) {
    parts.push(`~${extras.estimatedMonthlySaving.toFixed(2)} a month saved`);
  }
  return [...parts, ...tail(report, extras)].join(', ');
}
