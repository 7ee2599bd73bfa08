import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { compactHour } from '../../lib/history/compact.ts';
import { readHistory } from '../../lib/history/read-history.ts';
import type { HistorySample } from '../../lib/history/sample.ts';
import { keepHistory } from '../../lib/history/store.ts';
import { forEachConcurrent } from '../../lib/sweep/pool.ts';
import { localS3Client } from '../../scripts/lib/local-s3.ts';

/** s3rver in a child process that can page listings (bench/lib/s3rver-child.ts). */
async function startPagingS3(): Promise<{
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}> {
  const child = fork(fileURLToPath(new URL('./s3rver-child.ts', import.meta.url)), [], {
    execArgv: ['--openssl-legacy-provider', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ endpoint: string; bucket: string }];
  return {
    ...ready,
    async close() {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}

const PROJECT = 'bench-project';
const HOUR = Date.parse('2026-11-09T06:00:00Z');
/** Sweeps in an hour at one every 15 minutes; remediate's batches of 10 messages. */
const SWEEPS_PER_HOUR = 4;
const BATCH = 10;
const HOURS_PER_WEEK = 168;

/** What compaction changes for a reader of one fanout hour, and what it costs the sweeps. */
export interface CompactionBenchResult {
  groups: number;
  /** Objects of the hour: written by remediate batches, and left after compaction. */
  objectsBefore: number;
  objectsAfter: number;
  /** Keys a reader's listing returns for the hour, before and after (the manifest included after). */
  listedBefore: number;
  listedAfter: number;
  /** S3 requests of the sweep that compacts the hour, and of each later sweep naming it. */
  firstRequests: number;
  laterRequests: number;
  compactMs: number;
  readBeforeMs: number;
  readAfterMs: number;
}

/**
 * One hour of a fanout fleet of `groups` groups in s3rver as remediate
 * writes it (4 sweeps × ⌈groups ÷ 10⌉ batch objects of 10 samples each,
 * lib/history/store.ts keepHistory), read back as recommend reads it
 * (lib/history/read-history.ts), compacted as the sweep compacts it
 * (lib/history/compact.ts), and read back again. S3 requests are counted
 * at the client.
 */
export async function runCompactionBench(options: {
  groups: number;
}): Promise<CompactionBenchResult> {
  const s3 = await startPagingS3();
  const client = localS3Client(s3.endpoint);
  let requests = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      requests++;
      return next(args);
    },
    { step: 'initialize' },
  );
  const store = { bucket: s3.bucket, s3: async () => client };
  try {
    const batches: { at: number; first: number; id: string }[] = [];
    for (let sweep = 0; sweep < SWEEPS_PER_HOUR; sweep++) {
      for (let first = 0; first < options.groups; first += BATCH) {
        batches.push({ at: HOUR + sweep * 15 * 60_000, first, id: `s${sweep}-b${first / BATCH}` });
      }
    }
    await forEachConcurrent(batches, 16, async ({ at, first, id }) => {
      const samples: HistorySample[] = [];
      for (let g = first; g < Math.min(options.groups, first + BATCH); g++) {
        const t = new Date(at).toISOString();
        const group = `sg-${g}`;
        samples.push({
          t,
          group,
          name: `pool-${g}`,
          inService: 3,
          used: g % 13,
          perServer: 4,
          removals: 0,
          floor: 1,
        });
      }
      const write = await keepHistory(new Map([[PROJECT, samples]]), at, id, store);
      if (write.error !== undefined) throw new Error(write.error);
    });
    const read = async () => {
      let samples = 0;
      const started = performance.now();
      const result = await readHistory(
        PROJECT,
        { from: HOUR, to: HOUR + 3_600_000 - 1 },
        (s) => {
          samples += s.length;
        },
        store,
      );
      if (samples !== SWEEPS_PER_HOUR * options.groups) {
        throw new Error(`read ${samples} samples, wrote ${SWEEPS_PER_HOUR * options.groups}`);
      }
      return { ...result, ms: performance.now() - started };
    };
    const before = await read();
    const started = performance.now();
    const first = await compactHour(PROJECT, HOUR, store);
    const compactMs = performance.now() - started;
    const counted = requests;
    const later = await compactHour(PROJECT, HOUR, store);
    if (requests - counted !== later.requests) throw new Error('requests counted twice or missed');
    const after = await read();
    return {
      groups: options.groups,
      objectsBefore: before.objects,
      objectsAfter: after.objects,
      listedBefore: before.listed,
      listedAfter: after.listed,
      firstRequests: first.requests,
      laterRequests: later.requests,
      compactMs,
      readBeforeMs: before.ms,
      readAfterMs: after.ms,
    };
  } finally {
    client.destroy();
    await s3.close();
  }
}

/** Per week of one project (× 168 hours) and per group-week. */
export function perWeek(objectsPerHour: number, groups: number) {
  const project = objectsPerHour * HOURS_PER_WEEK;
  return { project, group: project / groups };
}

/** Average S3 requests per sweep: the compacting sweep and the three after it that find the hour done. */
export function requestsPerSweep(result: CompactionBenchResult): number {
  return (result.firstRequests + (SWEEPS_PER_HOUR - 1) * result.laterRequests) / SWEEPS_PER_HOUR;
}
