import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReportHtml } from '../../lib/report/html.ts';
import { unlistedSentence } from '../../lib/report/listed.ts';
import { errorSource, type SweepReport } from '../../lib/sweep/report.ts';
import type { WhatIfComparison, WhatIfOutcome } from '../../lib/what-if/what-if.ts';
import { table } from './decision-table.ts';

// What `npm run plan` prints besides the decision table, and the two files it writes.

/** One line: the decisions, what a sweep would remove, and what it cost to find out. */
export function summaryLine(report: SweepReport): string {
  const t = report.totals;
  const d = t.decisions;
  const acting =
    report.status === 'aborted'
      ? `${t.plannedRemovals} removals planned, but a sweep would remove nothing: ${report.abortReason ?? 'aborted'}`
      : `${t.outcomes['would-remove']} would be removed`;
  return (
    `plan ${report.status}: ${t.groups} groups (${d['scale-in']} scale-in, ${d.steady} steady, ` +
    `${d['scale-out']} scale-out, ${d.skip} skip), ${acting}, ${t.recommendedScaleOut} scale-out recommended; ` +
    `${report.requests.requests} requests, ${report.requests.throttled} throttled, ${report.durationMs} ms; nothing was changed`
  );
}

/** Lines about what the table leaves out or could not see; empty when it shows everything. */
export function caveatLines(report: SweepReport): string[] {
  const lines: string[] = [];
  const unlisted = unlistedSentence(report);
  if (unlisted !== undefined) lines.push(`the table ${unlisted}`);
  for (const e of report.errors) {
    lines.push(`${errorSource(e)} failed in project ${e.projectId}: ${e.error}`);
  }
  return lines;
}

function money(outcome: WhatIfOutcome): string {
  const s = outcome.saving;
  if (s === undefined) return '-';
  const unpriced = s.unpricedServerHours > 0 ? ` (+${s.unpricedServerHours} h unpriced)` : '';
  return `${s.amount.toFixed(2)} ${s.currency}${unpriced}`;
}

/** The baseline and each what-if set side by side, one column each. */
export function whatIfTable(comparison: WhatIfComparison): string {
  const all = [comparison.baseline, ...comparison.sets];
  const rows: string[][] = [
    ['', ...all.map((o) => o.label)],
    [
      'removals',
      ...all.map((o) =>
        o.aborted ? `0 (${o.plannedRemovals} planned > sweep cap)` : String(o.removals),
      ),
    ],
    [
      `server-hours freed (${comparison.horizonHours} h)`,
      ...all.map((o) => String(o.serverHoursFreed)),
    ],
    ['groups whose decision or removals change', ...all.map((o) => String(o.changedCount))],
    [`risky: used in the last ${comparison.riskHours} h`, ...all.map((o) => String(o.riskyCount))],
  ];
  if (comparison.baseline.saving !== undefined) {
    rows.push(['estimated saving', ...all.map(money)]);
  }
  return table(rows);
}

/** Writes `plan.json` (`{ report, whatIf }`) and `plan.html` into `dir`; returns both paths. */
export function writePlanFiles(
  dir: string,
  result: { report: SweepReport; whatIf: WhatIfComparison },
  title: string,
): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'plan.json');
  const html = join(dir, 'plan.html');
  writeFileSync(
    json,
    `${JSON.stringify({ report: result.report, whatIf: result.whatIf }, null, 2)}\n`,
  );
  writeFileSync(html, renderReportHtml(result.report, { title, whatIf: result.whatIf }));
  return { json, html };
}
