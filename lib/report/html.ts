import { errorSource, type SweepReport } from '../sweep/report.ts';
import type { WhatIfComparison } from '../what-if/what-if.ts';
import { CONTENT_SECURITY_POLICY, PAGE_SCRIPT, PAGE_STYLE } from './html-assets.ts';
import { groupRows, verdictClass, verdictLabel, verdictTotals } from './html-groups.ts';
import { escapeHtml, formatCount, formatMoney } from './html-text.ts';
import { whatIfSection } from './html-what-if.ts';
import { unlistedSentence } from './listed.ts';
import { DECISION_KINDS, isDecisionKind } from './verdicts.ts';

// The alert that opens each kind of report error.
const ALERT_OF: Record<string, string> = {
  listing: 'Listing failed',
  'drain-store': 'Drain table failed',
  queue: 'Enqueueing failed',
};

/** What the planned removals free: `serverHours` over `horizonHours`, and the saving at known prices. */
export interface ReportCost {
  serverHours: number;
  horizonHours: number;
  saving?: { amount: number; currency: string; unpricedServerHours: number } | undefined;
}

export interface RenderReportOptions {
  /** The page title; default `aps-autoscaler sweep report`. */
  title?: string;
  /** Shown in the fleet totals; default: the what-if baseline's figures, when given. */
  cost?: ReportCost;
  /** The baseline and override sets, shown side by side. */
  whatIf?: WhatIfComparison;
  /** Where the demand-history page is (lib/history/page.ts), linked under the title. */
  historyHref?: string;
}

function countTable(caption: string, id: string, head: string, rows: string[]): string {
  return (
    `<table id="${id}"><caption>${caption}</caption><thead><tr><th scope="col">${head}</th>` +
    `<th scope="col" class="n">Count</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function costOf(options: RenderReportOptions): ReportCost | undefined {
  if (options.cost !== undefined) return options.cost;
  const baseline = options.whatIf?.baseline;
  if (baseline === undefined || options.whatIf === undefined) return undefined;
  return {
    serverHours: baseline.serverHoursFreed,
    horizonHours: options.whatIf.horizonHours,
    saving: baseline.saving,
  };
}

function totalsSection(report: SweepReport, options: RenderReportOptions): string {
  const t = report.totals;
  const facts: [string, string][] = [
    ['Status', escapeHtml(report.status)],
    ['Mode', `${escapeHtml(report.mode)}${report.dryRun ? ', dry run' : ''}`],
    ['Started', escapeHtml(report.startedAt)],
    ['Projects', escapeHtml(report.projects.join(', '))],
    ['Groups', formatCount(t.groups)],
    ['Planned removals', formatCount(t.plannedRemovals)],
    ['Recommended scale-out', formatCount(t.recommendedScaleOut)],
    [
      'Requests',
      `${formatCount(report.requests.requests)} (${formatCount(report.requests.retries)} retries, ${formatCount(report.requests.throttled)} throttled)`,
    ],
  ];
  const cost = costOf(options);
  if (cost !== undefined) {
    facts.push([`Server-hours freed (${cost.horizonHours} h)`, formatCount(cost.serverHours)]);
    if (cost.saving !== undefined) {
      const unpriced =
        cost.saving.unpricedServerHours > 0
          ? ` (${formatCount(cost.saving.unpricedServerHours)} server-hours without a price)`
          : '';
      facts.push([
        'Estimated saving',
        `${formatMoney(cost.saving.amount, cost.saving.currency)}${unpriced}`,
      ]);
    }
  }
  const decisions = DECISION_KINDS.map(
    (kind) =>
      `<tr><th scope="row">${kind}</th><td class="n">${formatCount(t.decisions[kind] ?? 0)}</td></tr>`,
  );
  const verdicts = verdictTotals(report.groups).map(
    ([kind, n]) =>
      `<tr><th scope="row"><span class="sw ${verdictClass(kind)}"></span>${escapeHtml(verdictLabel(kind))}</th>` +
      `<td class="n">${formatCount(n)}</td></tr>`,
  );
  const outcomes = Object.entries(t.outcomes)
    .filter(([, n]) => n > 0)
    .map(
      ([kind, n]) =>
        `<tr><th scope="row">${escapeHtml(kind)}</th><td class="n">${formatCount(n)}</td></tr>`,
    );
  const alerts: string[] = [];
  if (report.abortReason !== undefined) alerts.push(`Aborted: ${report.abortReason}`);
  for (const e of report.errors)
    alerts.push(`${ALERT_OF[errorSource(e)] ?? 'Failed'} in ${e.projectId}: ${e.error}`);
  if (report.notVisitedCount > 0)
    alerts.push(`${report.notVisitedCount} groups not visited (deadline)`);
  const unlisted = unlistedSentence(report);
  if (unlisted !== undefined) alerts.push(`Not every group is shown: ${unlisted}`);
  return (
    `<section aria-labelledby="totals-h"><h2 id="totals-h">Fleet totals</h2>` +
    alerts.map((a) => `<p class="alert" role="alert">${escapeHtml(a)}</p>`).join('') +
    `<dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>` +
    countTable('Groups by decision', 'decisions', 'Decision', decisions) +
    countTable('Servers by verdict (listed groups)', 'verdicts', 'Verdict', verdicts) +
    (outcomes.length > 0 ? countTable('Removal outcomes', 'outcomes', 'Outcome', outcomes) : '') +
    `</section>`
  );
}

function groupsSection(report: SweepReport): string {
  const counts = new Map<string, number>();
  for (const g of report.groups) {
    const kind = isDecisionKind(g.decision) ? g.decision : 'other';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const kinds = [...DECISION_KINDS, ...(counts.has('other') ? ['other'] : [])];
  const boxes = kinds
    .map(
      (k) =>
        `<label><input type="checkbox" value="${k}" checked> ${k} (${counts.get(k) ?? 0})</label>`,
    )
    .join(' ');
  const withProject = report.projects.length > 1;
  return (
    `<section aria-labelledby="groups-h"><h2 id="groups-h">Groups</h2>` +
    `<form id="filters" role="search" onsubmit="return false"><fieldset><legend>Decision</legend>${boxes}</fieldset>` +
    `<label for="search">Search by name or id</label> <input id="search" type="search" autocomplete="off">` +
    `</form><p id="shown" aria-live="polite"></p>` +
    `<table id="groups"><caption>One row per group</caption><thead><tr><th scope="col">Group</th>` +
    (withProject ? '<th scope="col">Project</th>' : '') +
    `<th scope="col">Decision</th><th scope="col">Servers by verdict</th>` +
    `<th scope="col">Usage vs threshold</th><th scope="col" class="n">Planned removals</th></tr></thead>` +
    `<tbody>\n${groupRows(report.groups, withProject)}\n</tbody></table></section>`
  );
}

/**
 * Renders a sweep report as one self-contained static HTML page: fleet
 * totals, one row per listed group (a stacked bar of its servers by verdict,
 * usage against threshold, planned removals and why), a filter by decision
 * and a search by name, and the what-if comparison when given. Pure; every
 * value from the report is HTML-escaped; inline style and script only, and a
 * Content-Security-Policy that forbids any request.
 */
export function renderReportHtml(report: SweepReport, options: RenderReportOptions = {}): string {
  const title = escapeHtml(options.title ?? 'aps-autoscaler sweep report');
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${title}</title><style>${PAGE_STYLE}</style></head><body><main>` +
    `<h1>${title}</h1>` +
    (options.historyHref === undefined
      ? ''
      : `<p><a id="history-link" href="${escapeHtml(options.historyHref)}">Demand history: each group's week</a></p>`) +
    totalsSection(report, options) +
    (options.whatIf === undefined ? '' : whatIfSection(options.whatIf)) +
    groupsSection(report) +
    `</main><script>${PAGE_SCRIPT}</script></body></html>\n`
  );
}
