import { renderReportHtml } from '../../lib/report/html.ts';
import { generatePlan } from '../../test/helpers/plan-report.ts';
import { withPageInChromium } from './chromium-page.ts';

/** What the 10,000-group page costs: render in node, then load and lay out in Chromium. */
export interface ReportPageResult {
  groups: number;
  servers: number;
  bytes: number;
  renderMs: number;
  /** From navigation start to the load event (parse, style, layout, the filter script). */
  loadMs: number;
  /** From navigation start to the first contentful paint (the title and headline). */
  firstPaintMs: number;
}

/**
 * Renders the page of a `groups`-group dry-run report with every group listed
 * and every server named (more than a sweep report lists: REPORTED_GROUPS and
 * MEMBER_DETAIL_GROUPS in lib/sweep/report.ts cap it), then opens it in
 * headless Chromium at 1,400 px and times the load.
 */
export async function runReportPageBench(options: {
  groups: number;
  serversPerGroup: number;
  seed: number;
  executablePath?: string;
}): Promise<ReportPageResult> {
  const plan = generatePlan({ ...options, includeMembers: true });
  const started = performance.now();
  const html = renderReportHtml(plan.report);
  const renderMs = performance.now() - started;
  const opened = { selector: '#headline', executablePath: options.executablePath };
  return withPageInChromium(html, opened, async (page) => {
    const [loadMs, firstPaintMs] = (await page.evaluate(
      "[performance.getEntriesByType('navigation')[0].loadEventEnd, performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN]",
    )) as [number, number];
    return {
      groups: plan.report.groups.length,
      servers: plan.report.groups.reduce((n, g) => n + (g.members?.length ?? 0), 0),
      bytes: Buffer.byteLength(html),
      renderMs,
      loadMs,
      firstPaintMs,
    };
  });
}
