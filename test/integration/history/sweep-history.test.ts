import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import { decodeSamples, HISTORY_PREFIX } from '../../../lib/history/store.ts';
import { fakeContext } from '../../../scripts/lib/lambda.ts';
import { type LocalS3, localS3Client, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import type { Simulator } from '../../../sim/server.ts';
import { weeklyGroups } from '../../../sim/weekly-fleet.ts';
import { putLearnedNeeds, startWeeklySimulator } from '../../helpers/history.ts';
import { capturingLogger, capturingMetrics, depsFor, emfValues } from '../../helpers/stack.ts';

// Monday 2026-11-09 07:30 UTC: the hour before the planted peak.
const NOW = Date.parse('2026-11-09T07:30:00Z');
const SEED = 5;

describe('the sweep with demand history (simulator + local S3)', () => {
  let s3: LocalS3;
  let client: S3Client;
  let sim: Simulator;
  const groups = weeklyGroups({ groups: 3, seed: SEED });
  beforeAll(async () => {
    s3 = await startLocalS3();
    client = localS3Client(s3.endpoint);
    sim = await startWeeklySimulator(groups, SEED, NOW);
    const needs = Array.from({ length: 168 }, (_, slot) => (slot === 8 ? 6 : 1));
    await putLearnedNeeds(
      { client, bucket: s3.bucket, projectId: sim.projectId },
      [groups[0]!],
      needs,
    );
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await sim?.close();
    await s3?.close();
  });

  async function sweep(env: Record<string, string>, s3Client: S3Client = client) {
    const { logger, logs } = capturingLogger();
    const { metrics, emf } = capturingMetrics();
    const deps = depsFor(sim, {
      env: { REPORT_BUCKET: s3.bucket, DRY_RUN: 'true', ...env },
      logger,
      metrics,
      s3: async () => s3Client,
    });
    const report = (await createSweepHandler(deps)(
      {},
      fakeContext({ now: () => sim.now().getTime() }),
    )) as FinishedSweepReport;
    return { report, logs, emf };
  }

  it('writes one history object for the project, whatever the number of groups, and warns of the storm', async () => {
    const { report, emf, logs } = await sweep({});
    expect(report.history).toEqual({ samples: 3, objects: 1, bytes: expect.any(Number) });
    const listed = await client.send(
      new ListObjectsV2Command({
        Bucket: s3.bucket,
        Prefix: `${HISTORY_PREFIX}samples/project=${sim.projectId}/dt=2026-11-09/hour=07/`,
      }),
    );
    expect(listed.Contents).toHaveLength(1);
    const object = await client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: listed.Contents?.[0]?.Key }),
    );
    const { samples, bad } = await decodeSamples(await object.Body!.transformToByteArray());
    expect(bad).toBe(0);
    expect(samples.map((s) => s.group).sort()).toEqual(groups.map((g) => g.id).sort());
    expect(samples[0]).toMatchObject({ t: '2026-11-09T07:30:00.000Z', floor: 1 });

    expect(report.stormWarnings).toEqual([
      expect.objectContaining({
        serverGroupId: groups[0]!.id,
        serverGroupName: groups[0]!.name,
        hour: 'Mon 08:00–09:00',
        need: 6,
        floor: 1,
        floorFrom: 'MIN_SERVERS_PER_GROUP',
        raised: false,
      }),
    ]);
    const page = await client.send(
      new GetObjectCommand({
        Bucket: s3.bucket,
        Key: report.reportKey?.replace(/\.json$/, '.html'),
      }),
    );
    expect(await page.Body?.transformToString()).toContain('href="../../history/latest.html"');
    expect(emfValues(emf, 'StormWarnings').map((v) => v.value)).toEqual([1]);
    expect(emfValues(emf, 'HistoryFailures').map((v) => v.value)).toEqual([0]);
    expect(
      logs.lines.some(
        (l) => l['message'] === 'storm ahead: floors below the learned need of the next hour',
      ),
    ).toBe(true);
  });

  it("LEARNED_FLOORS=raise raises the floor to the coming hour's need, shown with source learned", async () => {
    const { report } = await sweep({ LEARNED_FLOORS: 'raise' });
    const line = report.groups.find((g) => g.serverGroupId === groups[0]!.id);
    expect(line?.settings?.floor).toEqual({
      value: 6,
      from: 'learned (history of Mon 08:00–09:00)',
    });
    const other = report.groups.find((g) => g.serverGroupId === groups[1]!.id);
    expect(other?.settings?.floor).toEqual({ value: 1, from: 'MIN_SERVERS_PER_GROUP' });
    expect(report.stormWarnings?.[0]?.raised).toBe(true);
  });

  it('LEARNED_FLOORS=off reads no needs and warns of nothing', async () => {
    const { report } = await sweep({ LEARNED_FLOORS: 'off' });
    expect(report.stormWarnings).toBeUndefined();
    expect(report.history?.objects).toBe(1);
  });

  it('a failed history write is a WARN line and a metric, never a lost sweep', async () => {
    const failing = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: { input?: { Key?: string } }) =>
          command.input?.Key?.startsWith('history/samples/') === true
            ? Promise.reject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }))
            : target.send(command as never);
      },
    });
    const { report, emf, logs } = await sweep({ FAIL_ON_ERRORS: 'true' }, failing);
    expect(report.status).toBe('completed');
    expect(report.reportKey).toBeDefined();
    expect(report.history?.error).toMatch(/Access Denied/);
    expect(emfValues(emf, 'HistoryFailures').map((v) => v.value)).toEqual([1]);
    const warn = logs.lines.find((l) => l['message'] === 'history not kept');
    expect(warn).toMatchObject({ level: 'WARN', bucket: s3.bucket });
  });
});
