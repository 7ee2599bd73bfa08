import type { S3Client } from '@aws-sdk/client-s3';
import { describeFailure } from '../errors.ts';
import { silentLog } from '../logger.ts';
import { forEachConcurrent } from '../sweep/pool.ts';
import {
  type CompactionManifest,
  getBytes,
  MANIFEST,
  partitionsOf,
  readManifest,
  unmerged,
} from './partition.ts';
import {
  COMPACTED,
  decodeLines,
  encodeLines,
  type HistoryStoreOptions,
  hourPrefixOf,
  listKeys,
} from './store.ts';
import type { HistoryCompaction } from './types.ts';

const HOUR_MS = 3_600_000;
// Lambda runs a function for at most 15 minutes: a remediate invocation that
// started within an hour (its objects go to that hour's partition) has
// written them 15 minutes after the hour closed.
const SETTLE_MS = 15 * 60_000;
/** Keys one DeleteObjects request takes (the S3 limit). */
const DELETE_BATCH = 1000;
const GET_CONCURRENCY = 8;

/**
 * The UTC hour (its start, epoch ms) a sweep at `now` compacts: the last one
 * closed at least 15 minutes ago. Four sweeps, 15 minutes apart, name each
 * hour: the first merges it, the others find nothing left (one listing).
 */
export function hourToCompact(now: number): number {
  return Math.floor((now - SETTLE_MS) / HOUR_MS) * HOUR_MS - HOUR_MS;
}

async function deleteKeys(client: S3Client, bucket: string, keys: readonly string[]) {
  const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  let requests = 0;
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const chunk = keys.slice(i, i + DELETE_BATCH);
    const answer = await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    requests++;
    const [first] = answer.Errors ?? [];
    if (first !== undefined) {
      throw new Error(`delete of ${first.Key}: ${first.Code ?? 'error'} ${first.Message ?? ''}`);
    }
  }
  return requests;
}

/**
 * Merges one hour partition's small objects into one (`compacted.jsonl.gz`,
 * its lines as they were), crash-safe in three steps: the manifest naming
 * the merged objects, then the merged object, then the deletes. A reader
 * (lib/history/read-history.ts) reads the merged object and only the small
 * objects the manifest does not name, so a stop between any two steps
 * neither loses a sample nor counts one twice; a run that finds a merged
 * object finishes its deletes. Throws on a failed request.
 */
export async function compactHour(
  projectId: string,
  hourStart: number,
  options: Pick<HistoryStoreOptions, 'bucket' | 's3'>,
): Promise<HistoryCompaction> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const { bucket } = options;
  const client = await options.s3();
  const prefix = hourPrefixOf(projectId, hourStart);
  const listing = await listKeys(client, bucket, prefix);
  const part = partitionsOf(listing.keys)[0] ?? { prefix, small: [] };
  const hour = new Date(hourStart).toISOString().slice(0, 13);
  const result = { hour, merged: 0, samples: 0, deleted: 0, requests: listing.requests };
  if (part.small.length === 0) return result;
  let merged: string[];
  if (part.compacted !== undefined) {
    const late = new Set(unmerged(part, await readManifest(client, bucket, part)));
    result.requests++;
    merged = part.small.filter((key) => !late.has(key));
  } else {
    const lines: string[][] = [];
    merged = [];
    await forEachConcurrent(part.small, GET_CONCURRENCY, async (key) => {
      const bytes = await getBytes(client, bucket, key);
      result.requests++;
      if (bytes === undefined) return;
      lines.push(await decodeLines(bytes));
      merged.push(key);
    });
    const all = lines.flat();
    const manifest: CompactionManifest = {
      merged: merged.map((key) => key.slice(prefix.length)),
      samples: all.length,
      at: new Date().toISOString(),
    };
    const put = (name: string, body: string | Uint8Array, type: string) =>
      client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${name}`,
          Body: body,
          ContentType: type,
        }),
      );
    await put(MANIFEST, JSON.stringify(manifest), 'application/json');
    await put(COMPACTED, await encodeLines(all), 'application/x-ndjson');
    result.requests += 2;
    result.merged = merged.length;
    result.samples = all.length;
  }
  result.requests += await deleteKeys(client, bucket, merged);
  result.deleted = merged.length;
  return result;
}

/**
 * The sweep's step (fanout mode, where each remediate batch writes its own
 * object): compacts the hour `hourToCompact(now)` of every project. Never
 * throws: a failure is a WARN line (`history not compacted`, naming bucket,
 * hour and cause) and `error` in the result; the hour stays readable as it was.
 */
export async function compactClosedHour(
  projectIds: readonly string[],
  now: number,
  options: HistoryStoreOptions,
): Promise<{ compacted: HistoryCompaction; error?: string }> {
  const hourStart = hourToCompact(now);
  let error: string | undefined;
  const total: HistoryCompaction = {
    hour: new Date(hourStart).toISOString().slice(0, 13),
    merged: 0,
    samples: 0,
    deleted: 0,
    requests: 0,
  };
  for (const projectId of projectIds) {
    try {
      const one = await compactHour(projectId, hourStart, options);
      total.merged += one.merged;
      total.samples += one.samples;
      total.deleted += one.deleted;
      total.requests += one.requests;
    } catch (failure) {
      error = `history of ${projectId} hour ${total.hour} not compacted: ${describeFailure(failure).message}`;
      (options.log ?? silentLog).warn('history not compacted', {
        bucket: options.bucket,
        projectId,
        hour: total.hour,
        error,
      });
    }
  }
  return error === undefined ? { compacted: total } : { compacted: total, error };
}
