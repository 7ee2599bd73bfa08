import { errorSource, MEMBER_DETAIL_GROUPS, type SweepReport } from '../sweep/report.ts';
import type { WhatIfComparison } from '../what-if/what-if.ts';
import { type CountRow, countRows } from './count-rows.ts';
import { countsOf, type ReportCounts } from './counts.ts';
import { CONTENT_SECURITY_POLICY, PAGE_SCRIPT, PAGE_STYLE } from './html-assets.ts';
import { groupRows } from './html-groups.ts';
import { verdictClass } from './html-servers.ts';
import { escapeHtml, formatCount } from './html-text.ts';
import { whatIfSection } from './html-what-if.ts';
import { unlistedSentence } from './listed.ts';
import { stormSection } from './storm-section.ts';
import { DECISION_KINDS, isDecisionKind, VERDICT_KINDS, verdictLabel } from './verdicts.ts';

// The alert that opens each kind of report error.
const ALERT_OF: Record<string, string> = {
  listing: 'Listing failed',
  'drain-store': 'Drain table failed',
  queue: 'Enqueueing failed',
};

export interface RenderReportOptions {
  /** The page title; default `aps-autoscaler sweep report`. */
  title?: string;
  /** The counts the headline shows; default: the report's own (`counts`), else counted from it. */
  counts?: ReportCounts;
  /** The baseline and override sets, shown side by side. */
  whatIf?: WhatIfComparison;
  /** Where the demand-history page is (lib/history/page.ts), linked under the title. */
  historyHref?: string;
}

/** One headline tile; `data-count` names the quantity so every place showing it can be compared. */
function tile(row: CountRow): string {
  const tone = row.tone === undefined ? '' : ` ${row.tone}`;
  const detail = row.detail === '' ? '' : `<small>${escapeHtml(row.detail)}</small>`;
  return (
    `<div class="tile${tone}" data-count="${row.key}"><dt>${escapeHtml(row.label)}</dt>` +
    `<dd><span class="num">${escapeHtml(row.value)}</span>${detail}</dd></div>`
  );
}

function alertsOf(report: SweepReport): string[] {
  const alerts: string[] = [];
  if (report.abortReason !== undefined) alerts.push(`Aborted: ${report.abortReason}`);
  for (const e of report.errors)
    alerts.push(`${ALERT_OF[errorSource(e)] ?? 'Failed'} in ${e.projectId}: ${e.error}`);
  if (report.notVisitedCount > 0)
    alerts.push(`${report.notVisitedCount} groups not visited (deadline)`);
  const unlisted = unlistedSentence(report);
  if (unlisted !== undefined) alerts.push(`Not every group is shown: ${unlisted}`);
  return alerts;
}

/** What was removed, freed, saved, kept and failed first; then one line of what the run was. */
function headlineSection(report: SweepReport, counts: ReportCounts): string {
  const t = report.totals;
  const decisions = DECISION_KINDS.map((k) => `${formatCount(t.decisions[k] ?? 0)} ${k}`).join(
    ', ',
  );
  const facts = [
    `${escapeHtml(report.status)}`,
    `${escapeHtml(report.mode)}${report.dryRun ? ', dry run: nothing was changed' : ''}`,
    `started ${escapeHtml(report.startedAt)}`,
    `project ${escapeHtml(report.projects.join(', '))}`,
    `<span data-count="groups">${formatCount(t.groups)}</span> groups (${decisions})`,
    `${formatCount(t.recommendedScaleOut)} scale-out recommended`,
    `${formatCount(report.requests.requests)} requests (${formatCount(report.requests.retries)} retries, ${formatCount(report.requests.throttled)} throttled)`,
  ];
  if (report.enqueued !== undefined) {
    // A fanout sweep acts on nothing itself: remediate does, group by group.
    facts.unshift(
      `<strong>fanout: ${formatCount(report.enqueued.sent)} evaluate-group messages enqueued; ` +
        `remediate removes and logs each group's servers, not counted here</strong>`,
    );
  }
  return (
    `<section aria-labelledby="headline-h"><h2 id="headline-h">Headline</h2>` +
    alertsOf(report)
      .map((a) => `<p class="alert" role="alert">${escapeHtml(a)}</p>`)
      .join('') +
    `<dl id="headline">${countRows(counts).map(tile).join('')}</dl>` +
    `<p id="facts">${facts.join(' · ')}</p></section>`
  );
}

/** The colours of the bars in words: the text equivalent of every bar's legend. */
function legend(): string {
  const items = VERDICT_KINDS.map(
    (kind) => `<li><i class="sw ${verdictClass(kind)}"></i>${escapeHtml(verdictLabel(kind))}</li>`,
  );
  return `<ul id="legend" aria-label="Bar colours">${items.join('')}</ul>`;
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
  const unnamed = report.groups.filter(
    (g) => g.members === undefined && g.membersNotListed === undefined,
  );
  const note =
    unnamed.length === 0
      ? ''
      : `<p>${formatCount(unnamed.length)} groups list only their planned removals by name: a report names ` +
        `every server of its first ${formatCount(MEMBER_DETAIL_GROUPS)} groups; the bar counts the rest by verdict.</p>`;
  return (
    `<section aria-labelledby="groups-h"><h2 id="groups-h">Groups</h2>${note}` +
    `<form id="filters" role="search" onsubmit="return false"><fieldset><legend>Decision</legend>${boxes}</fieldset>` +
    `<label for="search">Search by group or server name or id</label> <input id="search" type="search" autocomplete="off">` +
    `</form><p id="shown" aria-live="polite"></p>${legend()}` +
    `<table id="groups"><caption>One row per group, every server named</caption><thead><tr class="g">` +
    `<th scope="col">Group</th><th scope="col">Decision</th><th scope="col">Servers: verdict, reason, outcome</th>` +
    `<th scope="col">Usage vs threshold</th></tr></thead>` +
    `<tbody>\n${groupRows(report.groups, report.projects.length > 1)}\n</tbody></table></section>`
  );
}

/**
 * Renders a sweep report as one self-contained static HTML page: the
 * headline (removed or would remove, server-hours, saving, kept and why,
 * failed, refused, undone, planned: one set of counts, lib/report/counts.ts),
 * the what-if comparison when given, then one row per listed group with every
 * server named, a filter by decision and a search by name or id. Pure; every
 * value from the report is HTML-escaped; inline style and script only, and a
 * Content-Security-Policy that forbids any request.
 */
export function renderReportHtml(report: SweepReport, options: RenderReportOptions = {}): string {
  const title = escapeHtml(options.title ?? 'aps-autoscaler sweep report');
  const own = (report as { counts?: ReportCounts }).counts;
  const counts = options.counts ?? own ?? countsOf(report);
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${title}</title><style>${PAGE_STYLE}</style></head><body><main>` +
    `<h1>${title}</h1>` +
    (options.historyHref === undefined
      ? ''
      : `<p><a id="history-link" href="${escapeHtml(options.historyHref)}">Demand history: each group's week</a></p>`) +
    headlineSection(report, counts) +
    stormSection(report.stormWarnings, options.historyHref) +
    (options.whatIf === undefined ? '' : whatIfSection(options.whatIf)) +
    groupsSection(report) +
    `</main><script>${PAGE_SCRIPT}</script></body></html>\n`
  );
}
