import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommendNow } from '../../../functions/recommend.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import type { HistorySample } from '../../../lib/history/sample.ts';
import { keepHistory } from '../../../lib/history/store.ts';
import { SchedulesSchema } from '../../../lib/scaling/schedule.ts';
import { fakeContext } from '../../../scripts/lib/lambda.ts';
import { type LocalS3, localS3Client, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import type { Simulator } from '../../../sim/server.ts';
import { playedSessions, weeklyGroups } from '../../../sim/weekly-fleet.ts';
import { startWeeklySimulator } from '../../helpers/history.ts';
import { depsFor } from '../../helpers/stack.ts';

const DAY = 86_400_000;
const START = Date.parse('2026-11-02T00:00:00Z');
/** Monday of the third week, 07:30 UTC: the hour before the peak. */
const NOW = START + 14 * DAY + 7.5 * 3_600_000;
const SEED = 9;

// Two weeks of what sweeps every 15 minutes would have recorded, kept in a
// local S3 as the sweep keeps them (one object a day here, to keep the test
// short: the reader filters by each sample's instant, not by the key).
describe("npm run recommend without --sim: the kept history, read through the functions' settings", () => {
  let s3: LocalS3;
  let client: S3Client;
  let sim: Simulator;
  const groups = weeklyGroups({ groups: 2, seed: SEED });
  beforeAll(async () => {
    s3 = await startLocalS3();
    client = localS3Client(s3.endpoint);
    sim = await startWeeklySimulator(groups, SEED, NOW);
    for (let day = 0; day < 14; day++) {
      const samples: HistorySample[] = [];
      for (let step = 0; step < 96; step++) {
        const at = START + day * DAY + step * 15 * 60_000;
        for (const g of groups) {
          const used = playedSessions(g, at, SEED);
          samples.push({
            t: new Date(at).toISOString(),
            group: g.id,
            name: g.name,
            inService: Math.ceil(used / g.perServer) + 1,
            used,
            perServer: g.perServer,
            removals: 0,
            floor: 1,
          });
        }
      }
      const kept = await keepHistory(
        new Map([[sim.projectId, samples]]),
        START + day * DAY,
        `day-${day}`,
        { bucket: s3.bucket, s3: async () => client },
      );
      expect(kept.error).toBeUndefined();
    }
  }, 120_000);
  afterAll(async () => {
    client?.destroy();
    await sim?.close();
    await s3?.close();
  });

  const deps = (env: Record<string, string> = {}) =>
    depsFor(sim, {
      env: { REPORT_BUCKET: s3.bucket, DRY_RUN: 'true', ...env },
      s3: async () => client,
    });

  it('recommends from two weeks of kept history and keeps the result beside the reports', async () => {
    const result = await recommendNow(deps(), fakeContext({ now: () => NOW }), { keep: true });
    expect(result.objectsRead).toBe(14);
    expect(result.badLines).toBe(0);
    expect(Object.keys(result.recommendation.schedules).sort()).toEqual(
      groups.map((g) => `learned-${g.id}`).sort(),
    );
    expect(result.recommendation.lines.join('\n')).toMatch(
      /floor \d+: peak \d+ servers on 2 of the last 2 Mondays/,
    );
    expect(result.kept).toEqual([
      `history/learned/${sim.projectId}.json`,
      'history/recommendation/schedules.json',
      'history/recommendation/tags.json',
      'history/recommendation/evidence.txt',
      'history/latest.html',
    ]);
    const kept = await client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'history/recommendation/schedules.json' }),
    );
    expect(
      SchedulesSchema.safeParse(JSON.parse(await kept.Body!.transformToString())).success,
    ).toBe(true);
    const page = await client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'history/latest.html' }),
    );
    expect(await page.Body!.transformToString()).toContain(groups[0]!.name);
  });

  it('then the next sweep warns of the Monday storm for every group, from the kept needs', async () => {
    const report = (await createSweepHandler(deps())(
      {},
      fakeContext({ now: () => sim.now().getTime() }),
    )) as FinishedSweepReport;
    expect(report.stormWarnings?.map((w) => [w.serverGroupName, w.hour, w.floor])).toEqual(
      expect.arrayContaining(groups.map((g) => [g.name, 'Mon 08:00–09:00', 1])),
    );
    for (const w of report.stormWarnings ?? []) expect(w.need).toBeGreaterThan(1);
  });
});
