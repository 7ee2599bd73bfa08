import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../lib/report/html.ts';
import { verdictClass } from '../../../lib/report/html-groups.ts';
import { parseWhatIf } from '../../../lib/what-if/overrides.ts';
import { compareWhatIf } from '../../../lib/what-if/what-if.ts';
import { findChromium } from '../../helpers/chromium.ts';
import { generatePlan, PLAN_LIMITS } from '../../helpers/plan-report.ts';

const REPORTS = resolve('.reports');
const executablePath = findChromium();
const HOSTILE = `<img src=x onerror=alert(1)>"'</th><script>alert(2)</script>`;

interface SegmentElement {
  className: string;
  getBoundingClientRect(): { width: number };
}
interface PageGlobals {
  getComputedStyle(element: SegmentElement): { flexGrow: string };
}

interface PageWatch {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

describe.skipIf(executablePath === undefined)('the report page in chromium', () => {
  let browser: Browser;
  const plan = generatePlan({ groups: 200, serversPerGroup: 6, seed: 200 });
  const whatIf = compareWhatIf(plan.fetched, ['shrink=15', 'threshold=70,min=2'].map(parseWhatIf), {
    now: plan.now,
    limits: PLAN_LIMITS,
    maxRemovalsPerSweep: 1000,
    prices: { currency: 'CNY', perServerHour: {}, default: 0.8 },
  });

  beforeAll(async () => {
    mkdirSync(REPORTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: executablePath as string,
      args: ['--no-sandbox'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string, html: string): Promise<PageWatch> {
    const path = resolve(REPORTS, file);
    writeFileSync(path, html);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch: PageWatch = { page, errors: [], requests: [], dialogs: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') watch.errors.push(m.text());
    });
    page.on('pageerror', (e) => watch.errors.push(e.message));
    page.on('request', (r) => watch.requests.push(r.url()));
    page.on('dialog', (d) => {
      watch.dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(path).href);
    return watch;
  }

  it('renders every group with bars that count its servers, and filters and searches', async () => {
    const { page, errors, requests } = await open(
      'report-page.html',
      renderReportHtml(plan.report, { whatIf }),
    );
    const rows = page.locator('#groups tbody tr');
    await expect.poll(() => rows.count()).toBe(200);
    expect(await page.locator('#groups tbody th[scope=row]').allTextContents()).toEqual(
      plan.report.groups.map((g) => g.serverGroupName),
    );

    // Runs in the page (tsconfig has no DOM library, hence the narrow local types).
    const bars = await page.$$eval('#groups tbody tr', (trs) =>
      trs.map((tr) =>
        Array.from(tr.querySelectorAll('.bar i') as Iterable<SegmentElement>).map((i) => ({
          cls: i.className,
          n: Number((globalThis as unknown as PageGlobals).getComputedStyle(i).flexGrow),
          width: i.getBoundingClientRect().width,
        })),
      ),
    );
    plan.report.groups.forEach((group, index) => {
      const expected = Object.entries(group.memberReasons)
        .map(([kind, n]) => [verdictClass(kind), n])
        .sort();
      expect(bars[index]?.map((s) => [s.cls, s.n]).sort()).toEqual(expected);
      const total = Object.values(group.memberReasons).reduce((a, b) => a + b, 0);
      for (const segment of bars[index] ?? []) {
        // The bar is 160 px wide: each segment's share is its share of the servers.
        expect(segment.width).toBeCloseTo((160 * segment.n) / total, 0);
      }
    });

    const decisions = await page.$$eval('#decisions tbody tr', (trs) =>
      Object.fromEntries(
        trs.map((tr) => [tr.cells[0]?.textContent, Number(tr.cells[1]?.textContent)]),
      ),
    );
    expect(decisions).toEqual(plan.report.totals.decisions);

    const shown = page.locator('#shown');
    await expect.poll(() => shown.textContent()).toBe('200 of 200 groups shown');
    for (const kind of ['scale-out', 'steady', 'skip']) {
      await page.getByRole('checkbox', { name: new RegExp(`^${kind} `) }).uncheck();
    }
    const scaleIn = plan.report.totals.decisions['scale-in'];
    expect(scaleIn).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#groups tbody tr:not([hidden])').count()).toBe(scaleIn);
    expect(
      await page.$$eval('#groups tbody tr:not([hidden])', (trs) => trs.map((t) => t.className)),
    ).toEqual(Array(scaleIn).fill('scale-in'));
    await expect.poll(() => shown.textContent()).toBe(`${scaleIn} of 200 groups shown`);

    for (const kind of ['scale-out', 'steady', 'skip']) {
      await page.getByRole('checkbox', { name: new RegExp(`^${kind} `) }).check();
    }
    const target = plan.report.groups[42]!;
    await page
      .getByRole('searchbox', { name: 'Search by name or id' })
      .fill(target.serverGroupName.toUpperCase());
    await expect
      .poll(() => page.locator('#groups tbody tr:not([hidden]) th').allTextContents())
      .toEqual([target.serverGroupName]);
    await page.getByRole('searchbox').fill(target.serverGroupId);
    await expect.poll(() => page.locator('#groups tbody tr:not([hidden])').count()).toBe(1);
    await page.getByRole('searchbox').fill('');
    await expect.poll(() => shown.textContent()).toBe('200 of 200 groups shown');

    await page.screenshot({ path: resolve(REPORTS, 'report-page.png'), fullPage: false });
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    await page.close();
  }, 60_000);

  it('has one h1, section headings and tables with headers', async () => {
    const { page, errors } = await open(
      'report-page-semantics.html',
      renderReportHtml(plan.report, { whatIf }),
    );
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([
      'Fleet totals',
      'Policy what-if',
      'Groups',
    ]);
    const groups = page.getByRole('table', { name: 'One row per group' });
    expect(await groups.getByRole('columnheader').allTextContents()).toEqual([
      'Group',
      'Decision',
      'Servers by verdict',
      'Usage vs threshold',
      'Planned removals',
    ]);
    expect(await groups.getByRole('rowheader').count()).toBe(200);
    const img = groups.getByRole('img').first();
    expect(await img.getAttribute('aria-label')).toMatch(/^[a-z( ),-]+ \d+/);
    const compare = page.getByRole('table', { name: 'Baseline and override sets' });
    expect(await compare.getByRole('columnheader').allTextContents()).toEqual([
      'Measure',
      'baseline',
      'shrink=15',
      'threshold=70,min=2',
    ]);
    const removals = compare.getByRole('row', { name: /^Planned removals/ }).getByRole('cell');
    expect(await removals.allTextContents()).toEqual(
      [whatIf.baseline, ...whatIf.sets].map((o) => String(o.plannedRemovals)),
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows hostile names as text and runs none of them', async () => {
    const hostile = generatePlan({
      groups: 20,
      serversPerGroup: 4,
      seed: 9,
      rename: () => HOSTILE,
    });
    const { page, errors, dialogs, requests } = await open(
      'report-page-hostile.html',
      renderReportHtml(hostile.report, { title: HOSTILE }),
    );
    expect(await page.locator('#groups tbody th').allTextContents()).toEqual(
      Array(20).fill(HOSTILE),
    );
    expect(await page.title()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    await page.close();
  }, 60_000);
});
