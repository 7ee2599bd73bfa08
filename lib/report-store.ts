import type { S3Client } from '@aws-sdk/client-s3';
import { type Log, silentLog } from './logger.ts';
import type { SweepReport } from './sweep/report.ts';

/** The object written beside every dated report, always the last sweep's. */
export const LATEST_REPORT_KEY = 'latest.json';
/** The last sweep's HTML page, written when a page is given. */
export const LATEST_PAGE_KEY = 'latest.html';

/** `reports/{yyyy-mm-dd of startedAt, UTC}/{sweepId}.json`. */
export function reportKeyOf(report: Pick<SweepReport, 'startedAt'>, sweepId: string): string {
  const date = report.startedAt.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`startedAt is not an ISO date: ${date}`);
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(sweepId))
    throw new Error('sweep id has characters unfit for a key');
  return `reports/${date}/${sweepId}.json`;
}

export type KeptReport = { kept: true; key: string } | { kept: false; error: string };

export interface KeepReportOptions {
  bucket: string;
  /** The invocation's id (the Lambda request id): names the object. */
  sweepId: string;
  log?: Log;
  /** The S3 client (one per container: see createS3Client), created on first use. */
  s3: () => Promise<S3Client>;
  /** The report as an HTML page (lib/report/html.ts), written next to the JSON as `.html`. */
  html?: string | undefined;
  /** The page as kept at the root `latest.html`, when its relative links differ (default `html`). */
  latestHtml?: string | undefined;
}

/** The HTML page's key beside a report's JSON key. */
export function pageKeyOf(reportKey: string): string {
  return reportKey.replace(/\.json$/, '.html');
}

/**
 * Writes `report` to S3 as its dated key and as `latest.json` (and, when
 * given, its HTML page as the dated `.html` key and `latest.html`), and
 * returns the dated key. Never throws: a failed write is a WARN line naming the
 * bucket, key and cause that carries the whole report, so nothing is lost;
 * the caller's ERROR line (lib/finish-sweep.ts) names the cause again.
 */
export async function keepReport(
  report: SweepReport,
  options: KeepReportOptions,
): Promise<KeptReport> {
  const log = options.log ?? silentLog;
  let key = '(none)';
  try {
    key = reportKeyOf(report, options.sweepId);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = await options.s3();
    const json = { body: JSON.stringify(report), type: 'application/json' };
    const objects: [string, { body: string; type: string }][] = [
      [key, json],
      [LATEST_REPORT_KEY, json],
    ];
    if (options.html !== undefined) {
      const page = { body: options.html, type: 'text/html; charset=utf-8' };
      const latest = { ...page, body: options.latestHtml ?? options.html };
      objects.push([pageKeyOf(key), page], [LATEST_PAGE_KEY, latest]);
    }
    for (const [target, object] of objects) {
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: target,
          Body: object.body,
          ContentType: object.type,
        }),
      );
    }
    return { kept: true, key };
  } catch (error) {
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log.warn('report not kept', { bucket: options.bucket, key, error: cause, report });
    return { kept: false, error: cause };
  }
}

/**
 * An S3 client; `forcePathStyle` for a local S3 server (s3rver has no bucket
 * subdomains): set it when AWS_ENDPOINT_URL_S3 points at one.
 */
export async function createS3Client(
  options: { forcePathStyle?: boolean } = {},
): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({ forcePathStyle: options.forcePathStyle ?? false });
}
