import type { S3Client } from '@aws-sdk/client-s3';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommendNow } from '../../../functions/recommend.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import { HISTORY_PREFIX } from '../../../lib/history/store.ts';
import { LATEST_PAGE_KEY, pageKeyOf } from '../../../lib/report-store.ts';
import { fakeContext } from '../../../scripts/lib/lambda.ts';
import { type LocalS3, localS3Client, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import type { Simulator } from '../../../sim/server.ts';
import { weeklyGroups } from '../../../sim/weekly-fleet.ts';
import { CHROMIUM_ARGS, findChromium } from '../../helpers/chromium.ts';
import { putLearnedNeeds, startWeeklySimulator } from '../../helpers/history.ts';
import { depsFor } from '../../helpers/stack.ts';

// Monday 2026-11-09 07:30 UTC: the hour before the planted peak.
const NOW = Date.parse('2026-11-09T07:30:00Z');
const SEED = 3;
const executablePath = findChromium();

// The report page as the bucket serves it (s3rver, path-style addresses:
// the bucket is the first path segment), from each place it is kept: the
// dated page and the root latest.html. Chromium follows the history link
// and a storm warning's link to its group's chart.
describe.skipIf(executablePath === undefined)('the history link, followed in chromium', () => {
  let browser: Browser;
  let s3: LocalS3;
  let client: S3Client;
  let sim: Simulator;
  let report: FinishedSweepReport;
  const groups = weeklyGroups({ groups: 4, seed: SEED });
  const url = (key: string) => `${s3.endpoint}/${s3.bucket}/${key}`;

  beforeAll(async () => {
    s3 = await startLocalS3();
    client = localS3Client(s3.endpoint);
    sim = await startWeeklySimulator(groups, SEED, NOW);
    const deps = depsFor(sim, {
      env: { REPORT_BUCKET: s3.bucket, DRY_RUN: 'true' },
      s3: async () => client,
    });
    const context = () => fakeContext({ now: () => sim.now().getTime() });
    await createSweepHandler(deps)({}, context());
    // The weekly run writes the history page (every group; no needs yet from one sweep).
    await recommendNow(deps, context(), { keep: true });
    const needs = Array.from({ length: 168 }, (_, slot) => (slot === 8 ? 9 : 1));
    const store = { client, bucket: s3.bucket, projectId: sim.projectId };
    await putLearnedNeeds(store, [groups[2]!], needs);
    report = (await createSweepHandler(deps)({}, context())) as FinishedSweepReport;
    browser = await chromium.launch({
      executablePath: executablePath as string,
      args: CHROMIUM_ARGS,
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    client?.destroy();
    await sim?.close();
    await s3?.close();
  });

  it.each([
    ['the dated page', () => pageKeyOf(report.reportKey as string)],
    ['the root latest.html', () => LATEST_PAGE_KEY],
  ])('from %s, the history link opens the history page', async (_, keyOf) => {
    const page = await browser.newPage();
    try {
      await page.goto(url(keyOf()));
      await page.click('#history-link');
      await page.waitForURL(url(`${HISTORY_PREFIX}latest.html`));
      expect(await page.textContent('h1')).toBe('aps-autoscaler demand history');
      expect(await page.locator('#chart svg').count()).toBe(1);
    } finally {
      await page.close();
    }
  });

  it("a storm warning on the page names the group, hour, need and floor, and links to that group's chart", async () => {
    const target = groups[2]!;
    const page = await browser.newPage();
    try {
      await page.goto(url(LATEST_PAGE_KEY));
      const row = page.locator('#storms tbody tr');
      expect(await row.count()).toBe(1);
      const cells = await row.locator('th, td').allTextContents();
      expect(cells).toEqual([
        `${target.name}${target.id}`,
        'Mon 08:00–09:00',
        '9',
        '1',
        'MIN_SERVERS_PER_GROUP',
      ]);
      await row.locator('a').click();
      await page.waitForURL(`${url(`${HISTORY_PREFIX}latest.html`)}#g-${target.id}`);
      expect(await page.textContent('#chart h2')).toBe(`${target.name} ${target.id}`);
    } finally {
      await page.close();
    }
  });

  it('the history page reaches every group through its search', async () => {
    const last = groups.at(-1)!;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(url(`${HISTORY_PREFIX}latest.html`));
      expect(await page.locator('#matches li').count()).toBe(groups.length);
      await page.fill('#find', last.id);
      expect(await page.textContent('#found')).toBe(`1 of ${groups.length} groups match`);
      await page.locator('#matches a').click();
      expect(await page.textContent('#chart h2')).toBe(`${last.name} ${last.id}`);
      expect(await page.locator('#chart path.s-inService').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
