import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Log } from '../logger.ts';
import { METRIC } from '../metric-names.ts';
import { publishMetrics } from '../metrics.ts';
import type { SweepNotice } from './notice.ts';

/** Where a sweep's notice goes: an SNS topic, else (locally) a directory; both may be absent. */
export interface NoticeTarget {
  /** NOTIFY_TOPIC_ARN: the stack's topic or the `notifyTopicArn` stage parameter. */
  topicArn?: string | undefined;
  sns?: (() => Promise<SNSClient>) | undefined;
  /** Locally: the notice is printed and written here as `notice-{sweepId}.txt`. */
  dir?: string | undefined;
}

/** What became of a notice: published (with its message id), written to a file, or not sent. */
export type NoticeResult =
  | { sent: 'sns'; messageId: string | undefined }
  | { sent: 'file'; path: string }
  | { sent: false; error?: string };

/**
 * Sends one sweep's notice. To SNS when a topic is set: a failed publish is a
 * WARN line naming the topic and cause plus the metric `NoticeFailures`, never
 * a thrown error (the sweep is done; only its notice is lost). Without a
 * topic but with a directory, the notice is printed and written there (a
 * failed write is a WARN too).
 */
export async function sendNotice(
  notice: SweepNotice,
  target: NoticeTarget,
  options: { sweepId: string; log: Log; metrics?: Metrics | undefined },
): Promise<NoticeResult> {
  const { log, metrics } = options;
  if (target.topicArn !== undefined && target.sns !== undefined) {
    try {
      const { PublishCommand } = await import('@aws-sdk/client-sns');
      const answer = await (await target.sns()).send(
        new PublishCommand({
          TopicArn: target.topicArn,
          Subject: notice.subject,
          Message: notice.text,
          MessageAttributes: Object.fromEntries(
            Object.entries(notice.attributes).map(([k, v]) => [
              k,
              { DataType: 'String', StringValue: v },
            ]),
          ),
        }),
      );
      if (metrics !== undefined) publishMetrics(metrics, [failures(0)]);
      log.info('sweep notice published', {
        topicArn: target.topicArn,
        messageId: answer.MessageId,
      });
      return { sent: 'sns', messageId: answer.MessageId };
    } catch (cause) {
      const error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      if (metrics !== undefined) publishMetrics(metrics, [failures(1)]);
      log.warn('sweep notice not published', {
        topicArn: target.topicArn,
        error,
        subject: notice.subject,
      });
      return { sent: false, error };
    }
  }
  if (target.dir !== undefined) {
    const path = join(target.dir, `notice-${options.sweepId}.txt`);
    console.log(`notice (${path}):\n${notice.subject}\n${notice.text}`);
    try {
      await mkdir(target.dir, { recursive: true });
      await writeFile(path, `${notice.subject}\n\n${notice.text}\n`);
      return { sent: 'file', path };
    } catch (cause) {
      const error = cause instanceof Error ? cause.message : String(cause);
      log.warn('sweep notice not written', { path, error });
      return { sent: false, error };
    }
  }
  return { sent: false };
}

function failures(value: number) {
  return { name: METRIC.noticeFailures, unit: 'Count' as const, value };
}
