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
import { clientEnvOf, startSimulator } from '../sim/server.ts';
import { median } from './lib/ideal.ts';

/** Sweeps a week at one every 15 minutes. */
const SWEEPS_PER_WEEK = 7 * 96;

/** What the history costs one sweep over `groups` groups, on and off. */
export interface HistoryCostResult {
  groups: number;
  /** Alternating pairs of sweeps, one history off (HISTORY_WEEKS=0, LEARNED_FLOORS=off) and one on. */
  pairs: number;
  /** Each pair's on ÷ off, in the order they ran; the line is their median. */
  ratios: number[];
  ratio: number;
  /** Median sweep wall time, off and on. */
  offMs: number;
  onMs: number;
  /** S3 requests one sweep made, off and on (report objects included in both). */
  s3RequestsOff: number;
  s3RequestsOn: number;
  /** Gzipped history bytes one sweep wrote, and per group per week of sweeps. */
  bytesPerSweep: number;
  bytesPerGroupWeek: number;
}

/** One dry-run sweep with history on or off: its wall time, S3 requests and report. */
export interface HistorySweep {
  ms: number;
  requests: number;
  report: FinishedSweepReport;
}

/**
 * A generated fleet (in-process simulator) and a local S3 holding every
 * group's learned needs, so "on" includes reading them and the storm check;
 * `sweep(on)` runs one dry-run sweep of it, history on or off.
 */
export async function openHistoryRig(options: { groups: number; serversPerGroup: number }) {
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
  const close = async () => {
    client.destroy();
    await sim.close();
    await s3.close();
  };
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
  } catch (error) {
    await close();
    throw error;
  }
  const sweep = async (on: boolean): Promise<HistorySweep> => {
    const settings = loadSettings({
      ...clientEnvOf(sim),
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
  return { sweep, close };
}

/**
 * Dry-run sweeps of a generated fleet in `pairs` pairs, one history off and
 * one on, the order swapped from pair to pair so that neither side always
 * runs second (a warmer JIT, a fuller heap); the result is the median of
 * the pairs' ratios, so a pair slowed by the machine's other work moves it
 * little.
 */
export async function runHistoryCostBench(options: {
  groups: number;
  serversPerGroup: number;
  pairs: number;
}): Promise<HistoryCostResult> {
  const rig = await openHistoryRig(options);
  try {
    const off: HistorySweep[] = [];
    const on: HistorySweep[] = [];
    for (let i = 0; i < options.pairs; i++) {
      if (i % 2 === 0) {
        off.push(await rig.sweep(false));
        on.push(await rig.sweep(true));
      } else {
        on.push(await rig.sweep(true));
        off.push(await rig.sweep(false));
      }
    }
    const ratios = on.map((s, i) => s.ms / (off[i]?.ms ?? Number.NaN));
    const lastOn = on.at(-1);
    const bytes = lastOn?.report.history?.bytes ?? Number.NaN;
    return {
      groups: options.groups,
      pairs: options.pairs,
      ratios,
      ratio: median(ratios),
      offMs: median(off.map((s) => s.ms)),
      onMs: median(on.map((s) => s.ms)),
      s3RequestsOff: off.at(-1)?.requests ?? Number.NaN,
      s3RequestsOn: lastOn?.requests ?? Number.NaN,
      bytesPerSweep: bytes,
      bytesPerGroupWeek: (bytes / options.groups) * SWEEPS_PER_WEEK,
    };
  } finally {
    await rig.close();
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
