import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { describeFailure } from '../errors.ts';
import { type Log, silentLog } from '../logger.ts';
import { forEachConcurrent } from '../sweep/pool.ts';
import { type HistorySample, HistorySampleSchema } from './sample.ts';
import type { HistoryWrite } from './types.ts';

/** Every history object lives under this prefix of REPORT_BUCKET (its own lifecycle rule in serverless.yml). */
export const HISTORY_PREFIX = 'history/';
const SAMPLES = `${HISTORY_PREFIX}samples/`;
/** Objects read at once when history is read back. */
const READ_CONCURRENCY = 8;

/** Where one store lives and how it is reached: the report bucket and its S3 client. */
export interface HistoryStoreOptions {
  bucket: string;
  /** Created on first use (one per container, lib/report-store.ts). */
  s3: () => Promise<S3Client>;
  log?: Log;
}

/**
 * `history/samples/project={p}/dt={yyyy-mm-dd}/hour={hh}/{sweepId}.jsonl.gz`
 * (UTC): one object per sweep per project, Hive-style partitions Athena reads.
 */
export function sampleKeyOf(projectId: string, at: number, sweepId: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(sweepId)) throw new Error('sweep id unfit for a key');
  const iso = new Date(at).toISOString();
  return `${SAMPLES}project=${projectId}/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/${sweepId}.jsonl.gz`;
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Samples as gzipped JSON lines, one sample a line; compressed on libuv's thread pool, off the event loop. */
export async function encodeSamples(samples: readonly HistorySample[]): Promise<Uint8Array> {
  return gzipAsync(samples.map((s) => JSON.stringify(s)).join('\n'));
}

/** The samples of one object; a line that does not fit the schema is counted, not returned. */
export async function decodeSamples(
  body: Uint8Array,
): Promise<{ samples: HistorySample[]; bad: number }> {
  const samples: HistorySample[] = [];
  let bad = 0;
  for (const line of (await gunzipAsync(body)).toString('utf8').split('\n')) {
    if (line === '') continue;
    try {
      const parsed = HistorySampleSchema.safeParse(JSON.parse(line));
      if (parsed.success) samples.push(parsed.data);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { samples, bad };
}

/**
 * Writes one sweep's samples: one PUT per project, whatever the number of
 * groups. Never throws: a failed write is a WARN line naming the bucket, key
 * and cause, and `error` in the result (the sweep's report and metrics say so).
 */
export async function keepHistory(
  byProject: ReadonlyMap<string, readonly HistorySample[]>,
  at: number,
  sweepId: string,
  options: HistoryStoreOptions,
): Promise<HistoryWrite> {
  const result: HistoryWrite = { samples: 0, objects: 0, bytes: 0 };
  let key = '(none)';
  try {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = await options.s3();
    for (const [projectId, samples] of byProject) {
      if (samples.length === 0) continue;
      key = sampleKeyOf(projectId, at, sweepId);
      const body = await encodeSamples(samples);
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        }),
      );
      result.samples += samples.length;
      result.objects++;
      result.bytes += body.byteLength;
    }
  } catch (error) {
    result.error = describeFailure(error).message;
    (options.log ?? silentLog).warn('history not kept', {
      bucket: options.bucket,
      key,
      error: result.error,
    });
  }
  return result;
}

/** The UTC dates from `from` to `to` (epoch ms), both included. */
function datesBetween(from: number, to: number): string[] {
  const dates: string[] = [];
  for (let day = Math.floor(from / 86_400_000); day <= Math.floor(to / 86_400_000); day++) {
    dates.push(new Date(day * 86_400_000).toISOString().slice(0, 10));
  }
  return dates;
}

/**
 * Reads back every sample of `projectId` from `from` to `to` (epoch ms) and
 * hands each object's samples to `onSamples` (so a reader can fold them as
 * they come, not hold weeks of lines). Returns the objects read and the lines
 * that did not fit the schema. Listing or reading failures throw.
 */
export async function readHistory(
  projectId: string,
  range: { from: number; to: number },
  onSamples: (samples: readonly HistorySample[]) => void,
  options: HistoryStoreOptions,
): Promise<{ objects: number; bad: number }> {
  const { GetObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = await options.s3();
  const keys: string[] = [];
  for (const date of datesBetween(range.from, range.to)) {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: options.bucket,
          Prefix: `${SAMPLES}project=${projectId}/dt=${date}/`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
  let bad = 0;
  await forEachConcurrent(keys, READ_CONCURRENCY, async (key) => {
    const object = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    if (bytes === undefined) return;
    const decoded = await decodeSamples(bytes);
    bad += decoded.bad;
    const inRange = decoded.samples.filter((s) => {
      const t = Date.parse(s.t);
      return t >= range.from && t <= range.to;
    });
    onSamples(inRange);
  });
  return { objects: keys.length, bad };
}

/** Writes one object under the history prefix (a learned-needs table, a recommendation, a page). */
export async function putHistoryObject(
  key: string,
  body: string | Uint8Array,
  contentType: string,
  options: HistoryStoreOptions,
): Promise<void> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const client = await options.s3();
  await client.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: `${HISTORY_PREFIX}${key}`,
      Body: body,
      ContentType: contentType,
    }),
  );
}

/** Reads one object under the history prefix as text; undefined when there is none (NoSuchKey). */
export async function getHistoryObject(
  key: string,
  options: HistoryStoreOptions,
): Promise<string | undefined> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = await options.s3();
  try {
    const object = await client.send(
      new GetObjectCommand({ Bucket: options.bucket, Key: `${HISTORY_PREFIX}${key}` }),
    );
    return await object.Body?.transformToString();
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
    throw error;
  }
}
