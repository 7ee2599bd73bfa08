import { stormPhrase } from './history/storm-text.ts';
import { savingText } from './report/count-rows.ts';
import { countsOf, type ReportCounts, topReasons, total } from './report/counts.ts';
import { errorCounts, type SweepReport } from './sweep/report.ts';

/** What the summary adds beyond the report: its counts and where the report was kept. */
export interface SummaryExtras {
  /** The sweep's counts (lib/report/counts.ts); default: counted from the report, no prices. */
  counts?: ReportCounts | undefined;
  /** The S3 key the report was written to. */
  reportKey?: string | undefined;
}

/** Request ids of failed removals named in the line; the rest are counted. */
const NAMED_REQUEST_IDS = 3;

/** The line's tail: storm warnings (lib/history/), errors by source, status, dry-run and where the report is. */
function tail(report: SweepReport, extras: SummaryExtras): string[] {
  const parts: string[] = [];
  const storm = stormPhrase(report.stormWarnings);
  if (storm !== undefined) parts.push(storm);
  for (const [source, n] of errorCounts(report)) parts.push(`${n} ${source} errors`);
  parts.push(
    `status ${report.status}${report.abortReason ? ` (${report.abortReason})` : ''}`,
    `dry-run ${report.dryRun ? 'on' : 'off'}`,
  );
  if (extras.reportKey !== undefined) parts.push(`report ${extras.reportKey}`);
  return parts;
}

function failedPart(report: SweepReport, failed: number): string {
  const ids = report.groups
    .flatMap((group) => group.removals)
    .filter((removal) => removal.outcome === 'failed' && removal.requestId !== undefined)
    .map((removal) => removal.requestId as string);
  const named = ids.slice(0, NAMED_REQUEST_IDS);
  const more = ids.length > named.length ? ` +${ids.length - named.length} more` : '';
  return named.length === 0
    ? `${failed} failed`
    : `${failed} failed (request id${named.length > 1 ? 's' : ''} ${named.join(', ')}${more})`;
}

/**
 * The counts in words, e.g. `3 planned: 1 removed, 1 refused (not-in-ecs-group 1),
 * 1 undone (session-arrived 1)`; in a dry run `2 would be removed` instead of
 * removed. Refused, undone and failed appear only when not zero.
 */
export function countsPhrase(counts: ReportCounts, report?: SweepReport): string {
  const parts = [
    counts.dryRun ? `${counts.wouldRemove} would be removed` : `${counts.removed} removed`,
  ];
  for (const [word, byReason] of [
    ['refused', counts.refused],
    ['undone', counts.undone],
  ] as const) {
    const n = total(byReason);
    if (n > 0) parts.push(`${n} ${word} (${topReasons(byReason)})`);
  }
  if (counts.failed > 0)
    parts.push(
      report === undefined ? `${counts.failed} failed` : failedPart(report, counts.failed),
    );
  return `${counts.planned} planned: ${parts.join(', ')}`;
}

/** `24 server-hours freed` (or `would be freed` in a dry run), then the saving or its hint. */
export function freedPhrase(counts: ReportCounts): string {
  const hours = `${counts.serverHoursFreed} server-hours ${counts.dryRun ? 'would be freed' : 'freed'}`;
  return `${hours}, saving ${savingText(counts.saving)}`;
}

/**
 * One human line per sweep, e.g. `3 planned: 1 removed, 1 refused
 * (not-in-ecs-group 1), 1 undone (session-arrived 1), 2 scale-out
 * recommended, 24 server-hours freed, saving no prices given: set
 * HOURLY_PRICE_BY_FLAVOR, status completed, dry-run off`; a fanout sweep
 * removes nothing itself and names the messages it enqueued. The numbers are
 * the report's counts (lib/report/counts.ts), request ids from the listed groups.
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
  const counts = extras.counts ?? countsOf(report);
  return [
    countsPhrase(counts, report),
    `${report.totals.recommendedScaleOut} scale-out recommended`,
    freedPhrase(counts),
    ...tail(report, extras),
  ].join(', ');
}
