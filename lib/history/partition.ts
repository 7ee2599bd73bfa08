import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { COMPACTED } from './store.ts';

/**
 * Names the small objects a compaction merged (lib/history/compact.ts). It
 * starts with `_`, so Athena (as Hive) skips it; it is written before the
 * merged object, so a merged object never exists without it.
 */
export const MANIFEST = '_compacted.json';

/** The manifest's body: the merged objects' names (within the partition) and their samples. */
export const CompactionManifestSchema = z.object({
  merged: z.array(z.string().min(1)),
  samples: z.int().min(0),
  at: z.iso.datetime(),
});
export type CompactionManifest = z.infer<typeof CompactionManifestSchema>;

/** The objects of one hour's partition, by role. */
export interface HourPartition {
  /** `history/samples/project={p}/dt={d}/hour={hh}/` */
  prefix: string;
  compacted?: string;
  manifest?: string;
  /** The objects each sweep (inline) or remediate batch (fanout) wrote. */
  small: string[];
}

/** The keys of a listing (any set of hour partitions) grouped by hour partition. */
export function partitionsOf(keys: readonly string[]): HourPartition[] {
  const byPrefix = new Map<string, HourPartition>();
  for (const key of keys) {
    const cut = key.lastIndexOf('/') + 1;
    const prefix = key.slice(0, cut);
    const name = key.slice(cut);
    const part = byPrefix.get(prefix) ?? { prefix, small: [] };
    byPrefix.set(prefix, part);
    if (name === COMPACTED) part.compacted = key;
    else if (name === MANIFEST) part.manifest = key;
    else if (!name.startsWith('_') && !name.startsWith('.')) part.small.push(key);
  }
  return [...byPrefix.values()];
}

/** An object's bytes; undefined when it is gone (NoSuchKey: deleted by a compaction meanwhile). */
export async function getBytes(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array | undefined> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body?.transformToByteArray();
  } catch (error) {
    if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * The manifest of a compacted partition. Throws when it is missing or does
 * not fit: a merged object without the names of what it merged cannot be
 * read without counting a sample twice.
 */
export async function readManifest(
  client: S3Client,
  bucket: string,
  part: HourPartition,
): Promise<CompactionManifest> {
  const key = part.manifest ?? `${part.prefix}${MANIFEST}`;
  const bytes = await getBytes(client, bucket, key);
  if (bytes === undefined) throw new Error(`${key}: missing beside ${COMPACTED}`);
  const parsed = CompactionManifestSchema.safeParse(JSON.parse(Buffer.from(bytes).toString()));
  if (!parsed.success) throw new Error(`${key}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The small objects of `part` its compaction did not merge (written late, or none merged yet). */
export function unmerged(part: HourPartition, manifest: CompactionManifest): string[] {
  const merged = new Set(manifest.merged);
  return part.small.filter((key) => !merged.has(key.slice(part.prefix.length)));
}
