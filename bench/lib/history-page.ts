import { renderHistoryHtml } from '../../lib/history/page.ts';
import type { HistorySample } from '../../lib/history/sample.ts';
import { WeekCharts } from '../../lib/history/week-chart.ts';
import { plannedSessions, playedSessions, weeklyGroups } from '../../sim/weekly-fleet.ts';
import { withPageInChromium } from './chromium-page.ts';

const HOUR_MS = 3_600_000;
const STEP_MS = 15 * 60_000;
/** Monday 2026-11-16 00:00 UTC: the charted week is the one before. */
const NOW = Date.parse('2026-11-16T00:00:00Z');

/** What the history page of `groups` groups costs: made in node, loaded and used in Chromium. */
export interface HistoryPageResult {
  groups: number;
  bytes: number;
  /** Generating a week of 15-minute samples and folding them into the hourly charts; then rendering the page. */
  foldMs: number;
  renderMs: number;
  /** Navigation start to the load event (parse, the data, the first chart, the search list). */
  loadMs: number;
  /** Typing the last group's id into the search, picking it, and its chart drawn. */
  pickMs: number;
}

/**
 * A week of sweeps every 15 minutes over `groups` groups of the simulator's
 * weekly fleet (seed 1, every group with learned needs), folded and rendered
 * as recommend does (lib/history/weekly.ts), then opened in headless
 * Chromium: the load, and picking the last group through the search.
 */
export async function runHistoryPageBench(options: {
  groups: number;
  executablePath?: string;
}): Promise<HistoryPageResult> {
  const seed = 1;
  const groups = weeklyGroups({ groups: options.groups, seed }).map((g, i) => ({
    ...g,
    id: `sg-${String(i).padStart(5, '0')}`,
  }));
  const folding = performance.now();
  const charts = new WeekCharts(NOW);
  for (let at = NOW - 7 * 24 * HOUR_MS; at < NOW; at += STEP_MS) {
    const t = new Date(at).toISOString();
    const step: HistorySample[] = groups.map((g) => {
      const used = playedSessions(g, at, seed);
      return {
        t,
        group: g.id,
        name: g.name,
        inService: Math.ceil(used / g.perServer) + 1,
        used,
        perServer: g.perServer,
        removals: at % (6 * HOUR_MS) === 0 ? 1 : 0,
        floor: 1,
      };
    });
    charts.add(step);
  }
  const monday = NOW - 7 * 24 * HOUR_MS;
  const pages = groups.map((g) =>
    charts.chartOf(g.id, g.name, {
      timeZone: 'UTC',
      needs: Array.from(
        { length: 168 },
        (_, slot) => Math.ceil(plannedSessions(g, monday + slot * HOUR_MS) / g.perServer) + 1,
      ),
    }),
  );
  const foldMs = performance.now() - folding;
  const rendering = performance.now();
  const html = renderHistoryHtml(pages, 'aps-autoscaler demand history (bench)');
  const renderMs = performance.now() - rendering;
  const opened = { selector: '#chart svg', executablePath: options.executablePath };
  return withPageInChromium(html, opened, async (page) => {
    const loadMs = (await page.evaluate(
      "performance.getEntriesByType('navigation')[0].loadEventEnd",
    )) as number;
    const last = groups.at(-1);
    if (last === undefined) throw new Error('no groups');
    const picking = performance.now();
    await page.fill('#find', last.id);
    await page.locator('#matches a', { hasText: last.name }).click();
    await page.locator('#chart h2', { hasText: last.id }).waitFor({ state: 'visible' });
    const pickMs = performance.now() - picking;
    return {
      groups: groups.length,
      bytes: Buffer.byteLength(html),
      foldMs,
      renderMs,
      loadMs,
      pickMs,
    };
  });
}
