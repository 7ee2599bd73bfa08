import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countsOf, type ReportCounts } from '../../lib/report/counts.ts';
import { renderReportHtml } from '../../lib/report/html.ts';
import { unlistedSentence } from '../../lib/report/listed.ts';
import { countsPhrase, freedPhrase } from '../../lib/summary.ts';
import { errorSource, type SweepReport } from '../../lib/sweep/report.ts';
import type { PriceTable } from '../../lib/what-if/prices.ts';
import type { WhatIfComparison, WhatIfOutcome } from '../../lib/what-if/what-if.ts';
import { table } from './decision-table.ts';

// What `npm run plan` prints besides the decision table, and the two files it writes.

/** One line: the decisions, what a sweep would remove (the counts), and what it cost to find out. */
export function summaryLine(report: SweepReport, counts: ReportCounts): string {
  const t = report.totals;
  const d = t.decisions;
  const acting =
    report.status === 'aborted'
      ? `${countsPhrase(counts)}: a sweep would remove nothing: ${report.abortReason ?? 'aborted'}`
      : countsPhrase(counts);
  return (
    `plan ${report.status}: ${t.groups} groups (${d['scale-in']} scale-in, ${d.steady} steady, ` +
    `${d['scale-out']} scale-out, ${d.skip} skip), ${acting}, ${t.recommendedScaleOut} scale-out recommended, ` +
    `${freedPhrase(counts)}; ` +
    `${report.requests.requests} requests, ${report.requests.throttled} throttled, ${report.durationMs} ms; nothing was changed`
  );
}

/**
 * The plan's counts: the report's, priced by `--prices` through the what-if
 * baseline when given (the same removals), else by HOURLY_PRICE_BY_FLAVOR.
 */
export function planCounts(
  result: { report: SweepReport; whatIf: WhatIfComparison },
  prices: PriceTable | undefined,
  hourlyPriceByFlavor: Readonly<Record<string, number>> | undefined,
): ReportCounts {
  const saving = result.whatIf.baseline.saving;
  if (prices === undefined || saving === undefined) {
    return countsOf(result.report, { hourlyPriceByFlavor });
  }
  const table: Record<string, number> = { ...prices.perServerHour };
  if (prices.default !== undefined) table['any other product'] = prices.default;
  return countsOf(result.report, {
    saving: {
      priced: true,
      amount: saving.amount,
      per: `${result.whatIf.horizonHours} h`,
      currency: saving.currency,
      source: '--prices',
      prices: table,
      unpriced:
        saving.unpricedServerHours > 0
          ? `${saving.unpricedServerHours} server-hours without a price`
          : '',
    },
  });
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
      'would remove',
      ...all.map((o) =>
        o.aborted ? `0 (${o.plannedRemovals} planned > sweep cap)` : String(o.removals),
      ),
    ],
    [
      `server-hours it would free (${comparison.horizonHours} h per removal)`,
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

/** Writes `plan.json` (`{ report, counts, whatIf }`) and `plan.html` into `dir`; returns both paths. */
export function writePlanFiles(
  dir: string,
  result: { report: SweepReport; whatIf: WhatIfComparison },
  counts: ReportCounts,
  title: string,
): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'plan.json');
  const html = join(dir, 'plan.html');
  writeFileSync(
    json,
    `${JSON.stringify({ report: result.report, counts, whatIf: result.whatIf }, null, 2)}\n`,
  );
  writeFileSync(html, renderReportHtml(result.report, { title, counts, whatIf: result.whatIf }));
  return { json, html };
}
