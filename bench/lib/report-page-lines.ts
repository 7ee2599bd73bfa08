import { type BenchLine, fmt, line, seconds } from './lines.ts';
import { runReportPageBench } from './report-page.ts';

/** The report page of a 10,000-group sweep in Chromium (bench/lib/report-page.ts). */
export async function reportPageLines(options: {
  groups: number;
  seed: number;
}): Promise<BenchLine[]> {
  const SEED = options.seed;
  const r = await runReportPageBench({ groups: options.groups, serversPerGroup: 6, seed: SEED });
  return [
    line({
      name: `report page: ${fmt(r.groups)} groups in Chromium`,
      inputs: `a dry-run report of a generated fleet (${fmt(r.groups)} groups × 6 servers, seed ${SEED}), every group listed and every server named (${fmt(r.servers)} server lines; a sweep's own report lists at most 1,000 groups and names the servers of 200), rendered by lib/report/html.ts, opened from a file in headless Chromium at 1,400 px: navigation start to the load event (parse, style, layout and the filter script)`,
      value: r.loadMs / 1000,
      unit: 's',
      shown:
        `${seconds(r.loadMs)} to load (${fmt(r.bytes / 1e6, 2)} MB page rendered in ${fmt(r.renderMs)} ms, ` +
        `${fmt(r.bytesPerServer)} bytes per server line; first paint with the headline at ${seconds(r.firstPaintMs)}; ` +
        `renderer: parse and the rest ${seconds(r.renderer.parseMs)}, layout ${seconds(r.renderer.layoutMs)}, ` +
        `style ${seconds(r.renderer.styleMs)}, script ${seconds(r.renderer.scriptMs)}, ${fmt(r.renderer.nodes)} DOM nodes)`,
      target: { op: '<', value: 3, unit: 's' },
      details: { ...r },
    }),
  ];
}
