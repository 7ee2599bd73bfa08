import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createSweepHandler } from '../functions/sweep.ts';
import { loadSettings } from '../lib/config.ts';
import { createCredentialsProvider } from '../lib/credentials.ts';
import type { FinishedSweepReport } from '../lib/finish-sweep.ts';
import { needsKeyOf } from '../lib/history/needs-file.ts';
import { HISTORY_PREFIX } from '../lib/history/store.ts';
import { createLogger } from '../lib/logger.ts';
import { fakeContext } from '../scripts/lib/lambda.ts';
import { localS3Client, startLocalS3 } from '../scripts/lib/local-s3.ts';
import { recommendOnSimulator } from '../scripts/lib/recommend-sim.ts';
import { startSimulator } from '../sim/server.ts';

/** Sweeps a week at one every 15 minutes. */
const SWEEPS_PER_WEEK = 7 * 96;

/** What the history costs one sweep over `groups` groups, on and off. */
export interface HistoryCostResult {
  groups: number;
  runs: number;
  /** Median sweep wall time, history off (HISTORY_WEEKS=0, LEARNED_FLOORS=off) and on. */
  offMs: number;
  onMs: number;
  /** S3 requests one sweep made, off and on (report objects included in both). */
  s3RequestsOff: number;
  s3RequestsOn: number;
  /** Gzipped history bytes one sweep wrote, and per group per week of sweeps. */
  bytesPerSweep: number;
  bytesPerGroupWeek: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * Dry-run sweeps of a generated fleet (in-process simulator, local S3),
 * alternating history off and on, `runs` each; the learned needs of every
 * group are in the bucket, so "on" includes reading them and the storm check.
 */
export async function runHistoryCostBench(options: {
  groups: number;
  serversPerGroup: number;
  runs: number;
}): Promise<HistoryCostResult> {
  const s3 = await startLocalS3();
  const sim = await startSimulator({
    generate: { groups: options.groups, serversPerGroup: options.serversPerGroup, seed: 42 },
    clock: { frozen: true },
  });
  let s3Requests = 0;
  const client = localS3Client(s3.endpoint);
  client.middlewareStack.add(
    (next) => (args) => {
      s3Requests++;
      return next(args);
    },
    { step: 'initialize' },
  );
  try {
    const needs = Array.from({ length: 168 }, (_, slot) => (slot % 24 >= 8 ? 3 : 1));
    const groups = Object.fromEntries(
      sim.state.groups.map((g) => [g.id, { name: g.name, timeZone: 'UTC', needs }]),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `${HISTORY_PREFIX}${needsKeyOf(sim.projectId)}`,
        Body: JSON.stringify({ generatedAt: new Date().toISOString(), groups }),
      }),
    );
    const sweep = async (on: boolean) => {
      const settings = loadSettings({
        HUAWEICLOUD_SDK_AK: sim.credentials.ak,
        HUAWEICLOUD_SDK_SK: sim.credentials.sk,
        HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
        APS_ENDPOINT: sim.url,
        ECS_ENDPOINT: sim.url,
        RATE_LIMIT_RPS: '0',
        MAX_CONCURRENCY: '16',
        DRAIN_SECONDS: '0',
        DRY_RUN: 'true',
        // Every plan reported, none aborted: the sweep does its whole work each time.
        MAX_REMOVALS_PER_SWEEP: '1000000',
        REPORT_BUCKET: s3.bucket,
        HISTORY_WEEKS: on ? '4' : '0',
        LEARNED_FLOORS: on ? 'warn' : 'off',
      });
      const credentials = createCredentialsProvider(settings.credentialSource, {
        cacheSeconds: 300,
      });
      const handler = createSweepHandler({
        settings: () => settings,
        credentials: () => credentials,
        logger: createLogger({ logLevel: 'ERROR' }),
        sqs: () => Promise.reject(new Error('no queue in this bench')),
        s3: async () => client,
        now: () => sim.now().getTime(),
      });
      const before = s3Requests;
      const started = performance.now();
      const report = (await handler(
        {},
        fakeContext({ now: () => sim.now().getTime(), remainingMs: 900_000 }),
      )) as FinishedSweepReport;
      return { ms: performance.now() - started, requests: s3Requests - before, report };
    };
    const off: number[] = [];
    const on: number[] = [];
    let last = { off: 0, on: 0, bytes: 0 };
    await sweep(false);
    for (let i = 0; i < options.runs; i++) {
      const a = await sweep(false);
      const b = await sweep(true);
      off.push(a.ms);
      on.push(b.ms);
      last = { off: a.requests, on: b.requests, bytes: b.report.history?.bytes ?? Number.NaN };
    }
    return {
      groups: options.groups,
      runs: options.runs,
      offMs: median(off),
      onMs: median(on),
      s3RequestsOff: last.off,
      s3RequestsOn: last.on,
      bytesPerSweep: last.bytes,
      bytesPerGroupWeek: (last.bytes / options.groups) * SWEEPS_PER_WEEK,
    };
  } finally {
    client.destroy();
    await sim.close();
    await s3.close();
  }
}

/** Server-hours kept with the recommended floors ÷ with a flat floor at each group's weekly peak. */
export async function runRecommendSavingsBench(options: { weeks: number; groups: number }) {
  const sim = await recommendOnSimulator({ weeks: options.weeks, groups: options.groups, seed: 1 });
  const hours = sim.replay.reduce((n, r) => n + r.serverHours, 0);
  const flat = sim.replay.reduce((n, r) => n + r.flatServerHours, 0);
  const shortHours = sim.replay.reduce((n, r) => n + r.shortHours.length, 0);
  return {
    ...options,
    hours,
    flat,
    ratio: hours / flat,
    shortHours,
    playMs: sim.played.durationMs,
  };
}
