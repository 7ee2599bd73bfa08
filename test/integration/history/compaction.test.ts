import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compactClosedHour, compactHour, hourToCompact } from '../../../lib/history/compact.ts';
import { MANIFEST } from '../../../lib/history/partition.ts';
import { readHistory } from '../../../lib/history/read-history.ts';
import type { HistorySample } from '../../../lib/history/sample.ts';
import { COMPACTED, hourPrefixOf, keepHistory, listKeys } from '../../../lib/history/store.ts';
import { type LocalS3, localS3Client, startLocalS3 } from '../../../scripts/lib/local-s3.ts';

const PROJECT = 'p-compact';
// Hour 06 UTC of a Monday, compacted by a sweep at 07:20.
const HOUR = Date.parse('2026-11-09T06:00:00Z');
const SWEEP_AT = HOUR + 80 * 60_000;
const GROUPS = 25;

/** What one remediate batch of a fanout sweep at `at` writes: its ≤ 10 groups' samples, one object. */
async function writeBatches(s3: LocalS3, client: S3Client, at: number, sweep: string) {
  for (let batch = 0; batch * 10 < GROUPS; batch++) {
    const samples: HistorySample[] = [];
    for (let g = batch * 10; g < Math.min(GROUPS, batch * 10 + 10); g++) {
      samples.push({
        t: new Date(at + batch * 1000).toISOString(),
        group: `sg-${String(g).padStart(3, '0')}`,
        name: `pool-${g}`,
        inService: 2 + (g % 3),
        used: (g * 7 + at / 60_000) % 11,
        perServer: 4,
        removals: g % 2,
        floor: 1,
      });
    }
    const store = { bucket: s3.bucket, s3: async () => client };
    const write = await keepHistory(new Map([[PROJECT, samples]]), at, `${sweep}-b${batch}`, store);
    expect(write.error).toBeUndefined();
  }
}

/** Every sample of hours 06 and 07, sorted, as recommend reads them, and what the read cost. */
async function readAll(s3: LocalS3, client: S3Client) {
  const samples: HistorySample[] = [];
  const read = await readHistory(
    PROJECT,
    { from: HOUR, to: HOUR + 2 * 3_600_000 },
    (s) => samples.push(...s),
    { bucket: s3.bucket, s3: async () => client },
  );
  const key = (s: HistorySample) => `${s.t} ${s.group}`;
  return { ...read, samples: samples.sort((a, b) => key(a).localeCompare(key(b))) };
}

/** A client whose requests of `command` fail (on keys ending with `suffix`): a crash at that step. */
function failing(endpoint: string, command: string, suffix = ''): S3Client {
  const client = localS3Client(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = String((args.input as { Key?: string }).Key ?? '');
      if (context.commandName === command && key.endsWith(suffix)) {
        throw Object.assign(new Error(`${command} failed on purpose`), { name: 'InternalError' });
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  return client;
}

describe('compaction of a fanout hour (s3rver)', () => {
  let s3: LocalS3;
  let client: S3Client;
  let before: Awaited<ReturnType<typeof readAll>>;
  const extra: S3Client[] = [];
  const names = async () =>
    (await listKeys(client, s3.bucket, hourPrefixOf(PROJECT, HOUR))).keys
      .map((k) => k.slice(hourPrefixOf(PROJECT, HOUR).length))
      .sort();

  beforeAll(async () => {
    s3 = await startLocalS3();
    client = localS3Client(s3.endpoint);
  });
  afterEach(async () => {
    // A fresh bucket state per test: every object of the two hours gone.
    for (const hour of [HOUR, HOUR + 3_600_000]) {
      const { keys } = await listKeys(client, s3.bucket, hourPrefixOf(PROJECT, hour));
      const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
      if (keys.length > 0) {
        await client.send(
          new DeleteObjectsCommand({
            Bucket: s3.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })) },
          }),
        );
      }
    }
    for (const c of extra.splice(0)) c.destroy();
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.close();
  });

  async function fourSweepsAndOneLater() {
    for (const quarter of [0, 1, 2, 3]) {
      await writeBatches(s3, client, HOUR + quarter * 15 * 60_000, `sweep${quarter}`);
    }
    // A batch of the next hour, still open: never touched.
    await writeBatches(s3, client, HOUR + 3_600_000 + 60_000, 'next');
    before = await readAll(s3, client);
    expect(before.samples).toHaveLength(5 * GROUPS);
    expect(before.bad).toBe(0);
  }

  it('names the last hour closed 15 minutes ago', () => {
    expect(new Date(hourToCompact(SWEEP_AT)).toISOString()).toBe('2026-11-09T06:00:00.000Z');
    expect(new Date(hourToCompact(HOUR + 74 * 60_000)).toISOString()).toBe(
      '2026-11-09T05:00:00.000Z',
    );
  });

  it('merges the hour into one object the reader reads instead, each sample once', async () => {
    await fourSweepsAndOneLater();
    expect(before.objects).toBe(5 * 3);
    const store = { bucket: s3.bucket, s3: async () => client };
    const { compacted, error } = await compactClosedHour([PROJECT], SWEEP_AT, store);
    expect(error).toBeUndefined();
    expect(compacted).toEqual({
      hour: '2026-11-09T06',
      merged: 12,
      samples: 4 * GROUPS,
      deleted: 12,
      // 1 listing, 12 reads, the manifest and the merged object, 1 delete.
      requests: 1 + 12 + 2 + 1,
    });
    expect(await names()).toEqual([MANIFEST, COMPACTED].sort());
    const after = await readAll(s3, client);
    expect(after.samples).toEqual(before.samples);
    expect(after.objects).toBe(1 + 3);
    // The next sweeps of the hour find it done: one listing each.
    expect((await compactHour(PROJECT, HOUR, store)).requests).toBe(1);
  });

  it('a crash between the merged object and the deletes still reads each sample once, and the next run deletes', async () => {
    await fourSweepsAndOneLater();
    const crashing = failing(s3.endpoint, 'DeleteObjectsCommand');
    extra.push(crashing);
    const crashed = await compactClosedHour([PROJECT], SWEEP_AT, {
      bucket: s3.bucket,
      s3: async () => crashing,
    });
    expect(crashed.error).toMatch(
      /hour 2026-11-09T06 not compacted: .*DeleteObjectsCommand failed/,
    );
    expect(await names()).toHaveLength(12 + 2);
    // A batch written late into the closed hour: not in the manifest, read once too.
    await writeBatches(s3, client, HOUR + 59 * 60_000, 'late');
    const late = await readAll(s3, client);
    expect(late.samples).toHaveLength(before.samples.length + GROUPS);
    const lateAt = (s: HistorySample) => s.t.startsWith('2026-11-09T06:59');
    expect(late.samples.filter((s) => !lateAt(s))).toEqual(before.samples);
    expect(new Set(late.samples.map((s) => `${s.t} ${s.group}`)).size).toBe(late.samples.length);

    const store = { bucket: s3.bucket, s3: async () => client };
    const finished = await compactHour(PROJECT, HOUR, store);
    expect(finished).toMatchObject({ merged: 0, deleted: 12 });
    expect(await names()).toEqual(
      [MANIFEST, COMPACTED, 'late-b0.jsonl.gz', 'late-b1.jsonl.gz', 'late-b2.jsonl.gz'].sort(),
    );
    expect((await readAll(s3, client)).samples).toEqual(late.samples);
  });

  it.each([
    ['at the manifest (the first step)', MANIFEST, 12],
    ['between the manifest and the merged object', COMPACTED, 12 + 1],
  ])('a crash %s reads the small objects, and the next run merges', async (_, step, left) => {
    await fourSweepsAndOneLater();
    const crashing = failing(s3.endpoint, 'PutObjectCommand', step);
    extra.push(crashing);
    const store = { bucket: s3.bucket, s3: async () => crashing };
    expect((await compactClosedHour([PROJECT], SWEEP_AT, store)).error).toMatch(
      /failed on purpose/,
    );
    expect(await names()).toHaveLength(left);
    expect((await readAll(s3, client)).samples).toEqual(before.samples);
    const again = await compactHour(PROJECT, HOUR, { bucket: s3.bucket, s3: async () => client });
    expect(again).toMatchObject({ merged: 12, deleted: 12 });
    expect((await readAll(s3, client)).samples).toEqual(before.samples);
  });

  it('a reader that listed the small objects before a compaction deleted them reads the hour again', async () => {
    await fourSweepsAndOneLater();
    const reader = localS3Client(s3.endpoint);
    extra.push(reader);
    let compactedMeanwhile = false;
    reader.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand' && !compactedMeanwhile) {
          compactedMeanwhile = true;
          await compactHour(PROJECT, HOUR, { bucket: s3.bucket, s3: async () => client });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    expect((await readAll(s3, reader)).samples).toEqual(before.samples);
    expect(compactedMeanwhile).toBe(true);
  });
});
