import type { S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrent } from '../sweep/pool.ts';
import { getBytes, type HourPartition, partitionsOf, readManifest, unmerged } from './partition.ts';
import type { HistorySample } from './sample.ts';
import { decodeSamples, type HistoryStoreOptions, listKeys, SAMPLES } from './store.ts';

/** Hour partitions read at once. */
const READ_CONCURRENCY = 8;
/** Reads of one hour retried when a compaction deletes an object under the reader. */
const HOUR_ATTEMPTS = 3;

/** What a read of history found: objects listed and read, lines that did not fit the schema. */
export interface HistoryRead {
  /** Keys the listings returned (objects and manifests). */
  listed: number;
  /** Objects of samples read (GETs). */
  objects: number;
  bad: number;
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
 * The samples of one hour, each once: the merged object and the small
 * objects its manifest does not name (lib/history/compact.ts), or every
 * small object of an hour not compacted. An object deleted meanwhile (a
 * compaction finished) makes the hour read again from a fresh listing.
 */
async function readHour(
  client: S3Client,
  bucket: string,
  part: HourPartition,
  attempt = 1,
): Promise<{ samples: HistorySample[]; bad: number; objects: number }> {
  let keys = part.small;
  if (part.compacted !== undefined) {
    const late = keys.length === 0 ? [] : unmerged(part, await readManifest(client, bucket, part));
    keys = [part.compacted, ...late];
  }
  const samples: HistorySample[] = [];
  let bad = 0;
  for (const key of keys) {
    const bytes = await getBytes(client, bucket, key);
    if (bytes === undefined) {
      if (attempt >= HOUR_ATTEMPTS) throw new Error(`${key}: deleted while read, ${attempt} times`);
      const { keys: fresh } = await listKeys(client, bucket, part.prefix);
      const again = partitionsOf(fresh)[0] ?? { prefix: part.prefix, small: [] };
      return readHour(client, bucket, again, attempt + 1);
    }
    const decoded = await decodeSamples(bytes);
    samples.push(...decoded.samples);
    bad += decoded.bad;
  }
  return { samples, bad, objects: keys.length };
}

/**
 * Reads back every sample of `projectId` from `from` to `to` (epoch ms), one
 * listing per UTC date, and hands each hour's samples to `onSamples` (so a
 * reader can fold them as they come, not hold weeks of lines). A compacted
 * hour is one object. Listing or reading failures throw.
 */
export async function readHistory(
  projectId: string,
  range: { from: number; to: number },
  onSamples: (samples: readonly HistorySample[]) => void,
  options: HistoryStoreOptions,
): Promise<HistoryRead> {
  const client = await options.s3();
  const keys: string[] = [];
  for (const date of datesBetween(range.from, range.to)) {
    const prefix = `${SAMPLES}project=${projectId}/dt=${date}/`;
    keys.push(...(await listKeys(client, options.bucket, prefix)).keys);
  }
  const read: HistoryRead = { listed: keys.length, objects: 0, bad: 0 };
  await forEachConcurrent(partitionsOf(keys), READ_CONCURRENCY, async (part) => {
    const hour = await readHour(client, options.bucket, part);
    read.objects += hour.objects;
    read.bad += hour.bad;
    onSamples(
      hour.samples.filter((s) => {
        const t = Date.parse(s.t);
        return t >= range.from && t <= range.to;
      }),
    );
  });
  return read;
}
