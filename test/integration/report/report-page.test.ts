import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import { countRows } from '../../../lib/report/count-rows.ts';
import { countsOf, NO_PRICES, type ReportCounts } from '../../../lib/report/counts.ts';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { formatCount } from '../../../lib/report/html-text.ts';
import { verdictLabel } from '../../../lib/report/verdicts.ts';
import { pageKeyOf } from '../../../lib/report-store.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { countsTable } from '../../../scripts/lib/counts-table.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { type LocalS3, localS3Client, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import type { Fleet } from '../../../sim/fleet.ts';
import { DEMO_FLEET_PATH } from '../../../sim/simulator-options.ts';
import { CHROMIUM_ARGS, findChromium } from '../../helpers/chromium.ts';
import { generatePlan } from '../../helpers/plan-report.ts';
import { depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// The pages an operator opens after a run — a demo sweep that acts, a dry
// run and `npm run plan` — in Chromium: what is visible, that every server
// is named with its verdict, and that the headline, the JSON report, the CLI
// table and the summary line agree on every count.

const SHOTS = resolve('.reports/screenshots');
const executablePath = findChromium();
const HOSTILE = `<img src=x onerror=alert(1)>"'</th><script>alert(2)</script>`;
// Runs in the page (tsconfig has no DOM library, hence the narrow local type).
interface PageGlobals {
  getComputedStyle(element: unknown): { backgroundColor: string };
}

const WIDE = { width: 1400, height: 900 };
const DEMO = JSON.parse(readFileSync(DEMO_FLEET_PATH, 'utf8')) as Pick<Fleet, 'groups' | 'servers'>;
const PHONE = { width: 390, height: 844 };

interface RunPage {
  name: string;
  report: SweepReport;
  counts: ReportCounts;
  html: string;
  /** The CLI's lines: the counts table and the summary line as printed. */
  cli: string;
  summary: string;
}

/** `label → value` of the CLI counts table (columns two spaces apart). */
function cliCounts(cli: string): Map<string, string> {
  const lines = cli.split('\n');
  const start = lines.findIndex((l) => /^COUNT\s+N\s+WHY/.test(l));
  expect(start, 'the CLI prints its counts table').toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    const cells = line.split(/ {2,}/);
    if (cells.length < 2) break;
    rows.set(cells[0] ?? '', cells[1] ?? '');
  }
  return rows;
}

/** The first number in a text (thousands separators dropped), or the text itself when none. */
function numberIn(text: string): string {
  return /-?\d[\d,]*(\.\d+)?/.exec(text)?.[0]?.replaceAll(',', '') ?? text.trim();
}

describe.skipIf(executablePath === undefined)('the report pages in chromium', () => {
  let browser: Browser;
  let s3: LocalS3;
  let client: S3Client;
  const pages: RunPage[] = [];

  async function sweepPage(name: string, env: Record<string, string>): Promise<RunPage> {
    const sim = await startFrozenSimulator();
    try {
      const handler = createSweepHandler(
        depsFor(sim, {
          env: { ...env, REPORT_BUCKET: s3.bucket, FAIL_ON_ERRORS: 'false' },
          s3: async () => client,
        }),
      );
      const context = {
        ...fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
        awsRequestId: `req-${name}`,
      };
      const report = (await handler(loadEvent('schedule.json'), context)) as FinishedSweepReport;
      const key = pageKeyOf(report.reportKey as string);
      const answer = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      const html = (await answer.Body?.transformToString()) ?? '';
      // What `npm start` prints for the sweep (scripts/main-job.ts).
      const cli = `${countsTable(report.counts)}\nsummary: ${report.summary}`;
      return { name, report, counts: report.counts, html, cli, summary: report.summary };
    } finally {
      await sim.close();
    }
  }

  async function planPage(): Promise<RunPage> {
    const dir = mkdtempSync(join(tmpdir(), 'aps-plan-page-'));
    const prices = join(dir, 'prices.json');
    writeFileSync(prices, JSON.stringify({ currency: 'EUR', perServerHour: {}, default: 0.25 }));
    const env: NodeJS.ProcessEnv = { NO_COLOR: '1', PATH: process.env['PATH'] };
    const { stdout } = await promisify(execFile)(
      'node',
      ['--import', 'tsx', 'scripts/plan.ts', '--sim', '--prices', prices, '--out', dir],
      { env, timeout: 90_000 },
    );
    const json = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as {
      report: SweepReport;
      counts: ReportCounts;
    };
    const summary =
      stdout.split('\n').find((l) => /^plan (completed|aborted|partial):/.test(l)) ?? '';
    return {
      name: 'plan',
      report: json.report,
      counts: json.counts,
      html: readFileSync(join(dir, 'plan.html'), 'utf8'),
      cli: stdout,
      summary,
    };
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    s3 = await startLocalS3();
    client = localS3Client(s3.endpoint);
    browser = await chromium.launch({
      executablePath: executablePath as string,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    pages.push(
      await sweepPage('sweep', { HOURLY_PRICE_BY_FLAVOR: '{"s6.xlarge.2":0.5}' }),
      await sweepPage('dry-run', {
        DRY_RUN: 'true',
        HOURLY_PRICE_BY_FLAVOR: '{"s6.xlarge.2":0.5}',
      }),
      await planPage(),
    );
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    client?.destroy();
    await s3?.close();
  });

  async function open(run: RunPage, viewport = WIDE) {
    const path = resolve(SHOTS, `${run.name}.html`);
    writeFileSync(path, run.html);
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(path).href);
    return { page, errors, requests };
  }

  /** Every `[data-count]` on the page: the headline's tiles and the what-if baseline's cells. */
  async function shownCounts(page: Page): Promise<[string, string][]> {
    const places = page.locator('[data-count]');
    const shown: [string, string][] = [];
    for (let i = 0; i < (await places.count()); i++) {
      const place = places.nth(i);
      expect(await place.isVisible()).toBe(true);
      const key = (await place.getAttribute('data-count')) ?? '';
      const text = await (key === 'groups' || (await place.locator('.num').count()) === 0
        ? place
        : place.locator('.num')
      ).innerText();
      shown.push([key, text]);
    }
    return shown;
  }

  it.each(['sweep', 'dry-run', 'plan'])(
    '%s: the headline leads, equals the JSON and the CLI, and no two places disagree',
    async (name) => {
      const run = pages.find((p) => p.name === name) as RunPage;
      const { page, errors, requests } = await open(run);
      const headline = page.locator('#headline');
      expect(await headline.isVisible()).toBe(true);
      // The headline is what the eye meets first: on the first screen, above the groups.
      const box = await headline.boundingBox();
      expect((box?.y ?? 1e9) + (box?.height ?? 0)).toBeLessThan(WIDE.height);

      const expected = countRows(run.counts);
      const cli = cliCounts(run.cli);
      for (const row of expected) {
        const tile = page.locator(`#headline [data-count="${row.key}"]`);
        expect(await tile.locator('dt').innerText()).toBe(row.label);
        expect(await tile.locator('.num').innerText(), row.label).toBe(row.value);
        expect(cli.get(row.label), `CLI ${row.label}`).toBe(row.value);
      }
      const tile = async (key: string) =>
        page.locator(`#headline [data-count="${key}"] .num`).innerText();
      if (run.report.dryRun)
        expect(await tile('would-remove')).toBe(formatCount(run.counts.wouldRemove));
      else expect(await tile('removed')).toBe(formatCount(run.counts.removed));
      expect(await tile('planned')).toBe(formatCount(run.counts.planned));
      expect(await tile('failed')).toBe(formatCount(run.counts.failed));
      expect(await tile('server-hours')).toBe(formatCount(run.counts.serverHoursFreed));
      // The JSON's own outcomes add up to the headline's planned removals.
      const outcomes = Object.values(run.report.totals.outcomes).reduce((a, b) => a + b, 0);
      expect(run.counts.planned).toBe(outcomes);

      // The summary line says the same numbers.
      const words = run.report.dryRun ? 'would be removed' : 'removed';
      const removed = run.report.dryRun ? run.counts.wouldRemove : run.counts.removed;
      expect(run.summary).toContain(`${run.counts.planned} planned: ${removed} ${words}`);
      expect(run.summary).toContain(`${run.counts.serverHoursFreed} server-hours`);

      // No two places on the page show different numbers for one quantity.
      const byKey = new Map<string, Set<string>>();
      for (const [key, text] of await shownCounts(page)) {
        byKey.set(key, (byKey.get(key) ?? new Set()).add(numberIn(text)));
      }
      for (const [key, values] of byKey) expect([...values], key).toHaveLength(1);
      if (name === 'plan') expect(byKey.get('planned')?.size).toBe(1);

      // The saving is shown: an amount with the prices used, or the hint to set them.
      const saving = page.locator('#headline [data-count="saving"]');
      expect(await saving.isVisible()).toBe(true);
      const savingText = await saving.innerText();
      // The sweep and the dry run ran with HOURLY_PRICE_BY_FLAVOR (a would-remove is priced by
      // its flavor like a removal), the plan with --prices.
      expect(run.counts.saving.priced).toBe(true);
      if (run.counts.saving.priced && name !== 'plan') {
        expect(run.counts.saving.unpriced, name).toBe('');
        expect(run.counts.saving.amount, name).toBeGreaterThan(0);
      }
      if (run.counts.saving.priced) {
        expect(savingText).toContain(run.counts.saving.amount.toFixed(2));
        expect(savingText).toContain(`at ${run.counts.saving.source}`);
      }

      await page.screenshot({ path: join(SHOTS, `${name}-1400.png`), fullPage: true });
      console.log(`screenshot: ${join(SHOTS, `${name}-1400.png`)}`);
      expect(errors).toEqual([]);
      expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
      await page.close();
    },
    60_000,
  );

  it.each(['sweep', 'dry-run', 'plan'])(
    '%s: every server of the demo fleet is named, visible, with its verdict',
    async (name) => {
      const run = pages.find((p) => p.name === name) as RunPage;
      const { page } = await open(run);
      const rows = page.locator('#groups tbody tr');
      expect(await rows.count()).toBe(DEMO.groups.length);
      // Read from the fleet file, not from the report: a server the sweep never named fails here.
      for (const server of DEMO.servers) {
        const group = run.report.groups.find((g) => g.serverGroupId === server.server_group_id);
        const member = group?.members?.find((m) => m.serverId === server.id);
        expect(member, `${server.id} in the JSON report`).toBeDefined();
        if (group === undefined || member === undefined) continue;
        const row = rows.filter({ has: page.locator('th', { hasText: group.serverGroupId }) });
        expect(await row.locator('th').innerText()).toContain(group.serverGroupName);
        const item = row.locator('.srv li', { hasText: server.id });
        expect(await item.isVisible(), server.id).toBe(true);
        const text = await item.innerText();
        expect(text).toContain(server.machine_name);
        expect(text).toContain(verdictLabel(member.reason.kind));
        if (group.decision === 'skip') {
          // A skipped group's server carries the group's skip, and is no removal.
          expect(text, server.id).toContain(`group skipped, ${group.reason}`);
          expect(member.action).toBe('keep');
        }
        const removal = group.removals.find((r) => r.serverId === server.id);
        if (removal !== undefined) expect(text).toContain(removal.outcome);
      }
      expect(await page.getByText('APS-SI-BUSY').isVisible()).toBe(true);

      // A refusal stands out without a click.
      const refused = page.locator('.srv li', { hasText: 'srv-fl-idle-b' });
      expect(await refused.getAttribute('class')).toBe('v-idle warn');
      expect(
        await refused.evaluate(
          (li) => (globalThis as unknown as PageGlobals).getComputedStyle(li).backgroundColor,
        ),
      ).toBe('rgb(255, 244, 229)');
      expect(await refused.innerText()).toContain('not-in-ecs-group');

      // The search finds a group by one of its servers' ids.
      await page.getByRole('searchbox').fill('srv-st-frozen');
      await expect.poll(() => page.locator('#groups tbody tr:not([hidden])').count()).toBe(1);
      await page.close();
    },
    60_000,
  );

  it.each(['sweep', 'dry-run', 'plan'])(
    '%s: reads at phone width without sideways scrolling',
    async (name) => {
      const run = pages.find((p) => p.name === name) as RunPage;
      const { page } = await open(run, PHONE);
      const widths = await page.evaluate(
        '({ page: document.documentElement.scrollWidth, view: window.innerWidth })',
      );
      const { page: scroll, view } = widths as { page: number; view: number };
      expect(scroll).toBeLessThanOrEqual(view);
      expect(await page.locator('#headline [data-count="saving"]').isVisible()).toBe(true);
      expect(await page.locator('.srv li', { hasText: 'srv-si-busy' }).isVisible()).toBe(true);
      await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
      console.log(`screenshot: ${join(SHOTS, `${name}-phone.png`)}`);
      await page.close();
    },
    60_000,
  );

  it.each(['sweep', 'dry-run'])(
    '%s without prices: the saving tile says how to give them (as `npm start` runs)',
    async (name) => {
      const run = pages.find((p) => p.name === name) as RunPage;
      const counts = countsOf(run.report);
      expect(counts.saving.priced).toBe(false);
      const html = renderReportHtml(run.report, { counts });
      const { page } = await open({ ...run, name: `${name}-unpriced`, html });
      const saving = page.locator('#headline [data-count="saving"]');
      expect(await saving.isVisible()).toBe(true);
      expect(await saving.innerText()).toContain(NO_PRICES);
      await page.close();
    },
    60_000,
  );

  it('has one h1, section headings, and a text equivalent for every bar', async () => {
    const run = pages.find((p) => p.name === 'plan') as RunPage;
    const { page } = await open(run);
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([
      'Headline',
      'Policy what-if',
      'Groups',
    ]);
    const groups = page.getByRole('table', { name: 'One row per group, every server named' });
    expect(await groups.getByRole('rowheader').count()).toBe(8);
    for (const img of await groups.getByRole('img').all()) {
      expect(await img.getAttribute('aria-label')).toMatch(/^[a-z( ),-]+ \d+|no member verdicts/);
    }
    await page.close();
  }, 60_000);

  it('shows hostile names as text and runs none of them', async () => {
    const hostile = generatePlan({
      groups: 20,
      serversPerGroup: 4,
      seed: 9,
      rename: () => HOSTILE,
    });
    const run = { name: 'hostile', html: renderReportHtml(hostile.report, { title: HOSTILE }) };
    const { page, errors, requests } = await open(run as RunPage);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    expect(await page.title()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('#groups tbody th').first().innerText()).toContain(HOSTILE);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    await page.close();
  }, 60_000);
});
