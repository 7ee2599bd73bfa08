import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Settings } from './config.ts';
import { AutoscalerError } from './errors.ts';
import { historyHrefFrom, moveHistoryLinks } from './history/page-link.ts';
import type { Log } from './logger.ts';
import { metricsOfReport, publishMetrics } from './metrics.ts';
import { noticeOf } from './notice/notice.ts';
import { type NoticeTarget, sendNotice } from './notice/send-notice.ts';
import { countsOf, type ReportCounts } from './report/counts.ts';
import { renderReportHtml } from './report/html.ts';
import { keepReport, LATEST_PAGE_KEY, pageKeyOf, reportKeyOf } from './report-store.ts';
import { UNPARSED_HOLD } from './scaling/churn.ts';
import { summaryLine } from './summary.ts';
import { errorCounts, type SweepReport } from './sweep/report.ts';

/** A sweep report as kept and returned: with its counts, summary line, what it freed and where it is. */
export interface FinishedSweepReport extends SweepReport {
  /** The one set of counts the summary line, the page and the tables read (lib/report/counts.ts). */
  counts: ReportCounts;
  summary: string;
  /** `counts.serverHoursFreed`: in a dry run what it would free. */
  serverHoursFreed: number;
  /** With HOURLY_PRICE_BY_FLAVOR only: `counts.saving`'s monthly amount. */
  estimatedMonthlySaving?: number;
  /** The S3 key the report was written to; absent when it was not kept. */
  reportKey?: string;
}

/** A sweep met errors and FAIL_ON_ERRORS is on: thrown after the report is kept and metrics flushed. */
export class SweepFailedError extends AutoscalerError {
  override readonly name = 'SweepFailedError';
}

export interface FinishSweepOptions {
  settings: Pick<
    Settings,
    'reportBucket' | 'hourlyPriceByFlavor' | 'failOnErrors' | 'apsEndpoint' | 'ecsEndpoint'
  >;
  /** Names the kept report: the Lambda request id. */
  sweepId: string;
  log: Log;
  metrics?: Metrics | undefined;
  s3?: (() => Promise<S3Client>) | undefined;
  /** Where the notice of a sweep that acted, failed or aborted goes (lib/notice/). */
  notice?: NoticeTarget | undefined;
}

/**
 * What went wrong in a sweep, in words, the first listing error and why the
 * report was not kept named; empty for a clean one (a dry run or a deadline
 * is not an error). `notKept` is the cause of a failed report write.
 */
export function sweepProblems(report: SweepReport, notKept?: string): string[] {
  const problems: string[] = [];
  if (report.status === 'aborted') problems.push(`aborted: ${report.abortReason ?? 'unknown'}`);
  const failed = report.totals.outcomes.failed;
  if (failed > 0) problems.push(`${failed} removal(s) failed`);
  const [first] = report.errors;
  if (first !== undefined) {
    const counts = errorCounts(report).map(([source, n]) => `${n} ${source} error(s)`);
    problems.push(`${counts.join(', ')}, the first: ${first.error}`);
  }
  const groupErrors = report.groups.filter((group) => group.error !== undefined).length;
  if (groupErrors > 0) problems.push(`${groupErrors} group(s) not fully listed`);
  const enqueueFailures = report.enqueued?.failed.length ?? 0;
  if (enqueueFailures > 0) problems.push(`${enqueueFailures} message(s) not enqueued`);
  if (notKept !== undefined) problems.push(`report not kept: ${notKept}`);
  return problems;
}

/** The kept report page: its S3 console address (a link a person can open) and its s3:// key. */
function pageAddress(bucket: string | undefined, key: string | undefined): string | undefined {
  if (bucket === undefined || key === undefined) return undefined;
  const page = pageKeyOf(key);
  return `https://s3.console.aws.amazon.com/s3/object/${bucket}?prefix=${encodeURIComponent(page)} (s3://${bucket}/${page})`;
}

/** A WARN for each hold tag that does not parse (it holds, fail safe, but someone mistyped it). */
function warnUnparsedHolds(report: SweepReport, log: Log): void {
  for (const group of report.groups) {
    const held = [
      ...(group.reason === 'held' ? [group.detail ?? ''] : []),
      ...(group.members ?? []).flatMap((m) => (m.reason.kind === 'held' ? [m.reason.detail] : [])),
    ];
    for (const detail of held.filter((d) => d.includes(UNPARSED_HOLD))) {
      log.warn('hold tag does not parse: held until it is fixed', {
        serverGroupId: group.serverGroupId,
        detail,
      });
    }
  }
}

/**
 * What follows every sweep, in this order: a WARN per hold tag that does not parse, the savings, the report kept in
 * S3 (JSON and HTML page) when REPORT_BUCKET is set, one summary line
 * (INFO when clean, WARN when partial, ERROR when aborted or with errors),
 * the metrics published, the notice of a sweep that acted, failed or aborted
 * sent (lib/notice/; never thrown); then, with FAIL_ON_ERRORS and errors, a thrown
 * SweepFailedError carrying the summary line.
 */
export async function finishSweep(
  report: SweepReport,
  options: FinishSweepOptions,
): Promise<FinishedSweepReport> {
  const { settings, log } = options;
  warnUnparsedHolds(report, log);
  const counts = countsOf(report, { hourlyPriceByFlavor: settings.hourlyPriceByFlavor });
  const monthly = counts.saving.priced ? counts.saving.amount : undefined;
  const extras = { counts };
  const bucket = settings.reportBucket;
  const key = bucket === undefined ? undefined : reportKeyOf(report, options.sweepId);
  const finished: FinishedSweepReport = {
    ...report,
    summary: summaryLine(report, { ...extras, reportKey: key }),
    counts,
    serverHoursFreed: counts.serverHoursFreed,
    ...(monthly === undefined ? {} : { estimatedMonthlySaving: monthly }),
    ...(key === undefined ? {} : { reportKey: key }),
  };
  let notKept: string | undefined;
  if (bucket !== undefined && key !== undefined) {
    const s3 = options.s3;
    if (s3 === undefined) throw new Error('REPORT_BUCKET is set but no S3 client was given');
    const pageKey = pageKeyOf(key);
    const linked = report.history !== undefined;
    const html = renderReportHtml(
      finished,
      linked ? { historyHref: historyHrefFrom(pageKey) } : {},
    );
    const outcome = await keepReport(finished, {
      bucket,
      sweepId: options.sweepId,
      log,
      s3,
      html,
      ...(linked ? { latestHtml: moveHistoryLinks(html, pageKey, LATEST_PAGE_KEY) } : {}),
    });
    if (!outcome.kept) {
      notKept = outcome.error;
      delete finished.reportKey;
      finished.summary = `${summaryLine(report, extras)}, report not kept`;
    }
  }
  const problems = sweepProblems(report, notKept);
  const level = problems.length > 0 ? 'error' : report.status === 'partial' ? 'warn' : 'info';
  log[level]('sweep finished', {
    summary: finished.summary,
    status: report.status,
    mode: report.mode,
    dryRun: report.dryRun,
    abortReason: report.abortReason,
    // The hosts called: API errors name the path, status, code and request id.
    ...(problems.length > 0
      ? { problems, endpoints: { aps: settings.apsEndpoint, ecs: settings.ecsEndpoint } }
      : {}),
    ...(report.errors.length > 0 ? { errors: report.errors } : {}),
    ...(report.enqueued === undefined ? { totals: report.totals } : { enqueued: report.enqueued }),
    ...(counts.saving.priced && counts.saving.unpriced !== ''
      ? { unpriced: counts.saving.unpriced }
      : {}),
    reportKey: finished.reportKey,
    requests: report.requests,
    durationMs: report.durationMs,
  });
  if (options.metrics !== undefined) {
    // A dry run frees nothing: the metrics say 0, its would-be figures are in the report.
    const freed = report.dryRun
      ? { serverHoursFreed: 0, estimatedMonthlySaving: monthly === undefined ? undefined : 0 }
      : { serverHoursFreed: counts.serverHoursFreed, estimatedMonthlySaving: monthly };
    publishMetrics(options.metrics, metricsOfReport(report, freed));
  }
  const notice = noticeOf(report, {
    problems,
    summary: finished.summary,
    serverHoursFreed: counts.serverHoursFreed,
    estimatedMonthlySaving: monthly,
    reportPage: pageAddress(bucket, finished.reportKey),
  });
  if (notice !== undefined && options.notice !== undefined) {
    await sendNotice(notice, options.notice, {
      sweepId: options.sweepId,
      log,
      metrics: options.metrics,
    });
  }
  if (settings.failOnErrors && problems.length > 0) {
    throw new SweepFailedError(`sweep had errors (${problems.join('; ')}): ${finished.summary}`);
  }
  return finished;
}
