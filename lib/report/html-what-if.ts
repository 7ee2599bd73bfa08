import type { WhatIfComparison, WhatIfOutcome } from '../what-if/what-if.ts';
import { escapeHtml, formatCount, formatMoney } from './html-text.ts';

/** A row of the comparison; `count` names the baseline cell's quantity (the headline's `data-count`). */
function row(label: string, cells: readonly string[], count?: string): string {
  const tds = cells.map((c, i) => {
    const data = i === 0 && count !== undefined ? ` data-count="${count}"` : '';
    return `<td class="n"${data}>${c}</td>`;
  });
  return `<tr><th scope="row">${label}</th>${tds.join('')}</tr>`;
}

function listed(count: number, shown: number): string {
  return count > shown ? `<p>${formatCount(shown)} of ${formatCount(count)} listed.</p>` : '';
}

function setDetails(outcome: WhatIfOutcome, riskHours: number): string {
  if (outcome.changedCount === 0 && outcome.riskyCount === 0) return '';
  const changed = outcome.changed
    .map(
      (c) =>
        `<tr><th scope="row" title="${escapeHtml(c.serverGroupId)}">${escapeHtml(c.serverGroupName)}</th>` +
        `<td>${escapeHtml(c.from)} → ${escapeHtml(c.to)}</td><td class="n">${c.removalsFrom} → ${c.removalsTo}</td></tr>`,
    )
    .join('');
  const risky = outcome.risky
    .map(
      (r) =>
        `<tr><th scope="row">${escapeHtml(r.machineName ?? r.serverId)}</th>` +
        `<td>${escapeHtml(r.serverGroupName)}</td><td>${escapeHtml(r.lastSessionAt)}</td></tr>`,
    )
    .join('');
  const changedTable =
    outcome.changedCount === 0
      ? ''
      : `<table><caption>Groups whose decision or removals change</caption><thead><tr><th scope="col">Group</th>` +
        `<th scope="col">Decision</th><th scope="col" class="n">Removals</th></tr></thead>` +
        `<tbody>${changed}</tbody></table>${listed(outcome.changedCount, outcome.changed.length)}`;
  const riskyTable =
    outcome.riskyCount === 0
      ? ''
      : `<table><caption>Removed although used in the last ${riskHours} h</caption><thead><tr>` +
        `<th scope="col">Server</th><th scope="col">Group</th><th scope="col">Last session</th>` +
        `</tr></thead><tbody>${risky}</tbody></table>${listed(outcome.riskyCount, outcome.risky.length)}`;
  return (
    `<details><summary>${escapeHtml(outcome.label)}: ${formatCount(outcome.changedCount)} groups whose decision or removals change, ` +
    `${formatCount(outcome.riskyCount)} risky removals</summary>${changedTable}${riskyTable}</details>`
  );
}

/** The what-if section: the baseline and every override set side by side, then their details. */
export function whatIfSection(comparison: WhatIfComparison): string {
  const all = [comparison.baseline, ...comparison.sets];
  const head = all.map((o) => `<th scope="col" class="n">${escapeHtml(o.label)}</th>`).join('');
  const rows = [
    row(
      'Planned removals (before refusals and the sweep cap)',
      all.map((o) => formatCount(o.plannedRemovals)),
      'planned',
    ),
    row(
      'Would remove',
      all.map((o) => formatCount(o.removals)),
      'would-remove',
    ),
    row(
      'Sweep cap',
      all.map((o) => (o.aborted ? '<strong>aborted: nothing removed</strong>' : 'within')),
    ),
    row(
      `Server-hours it would free (${comparison.horizonHours} h per removal)`,
      all.map((o) => formatCount(o.serverHoursFreed)),
      'server-hours',
    ),
    row(
      'Groups scaling in',
      all.map((o) => formatCount(o.decisions['scale-in'])),
    ),
    row(
      'Groups scaling out',
      all.map((o) => formatCount(o.decisions['scale-out'])),
    ),
    row(
      'Groups whose decision or removals change',
      all.map((o) => formatCount(o.changedCount)),
    ),
    row(
      `Risky removals (session in last ${comparison.riskHours} h)`,
      all.map((o) => formatCount(o.riskyCount)),
    ),
  ];
  if (all.some((o) => o.saving !== undefined)) {
    rows.splice(
      4,
      0,
      row(
        'Estimated saving',
        all.map((o) =>
          o.saving === undefined ? '–' : formatMoney(o.saving.amount, o.saving.currency),
        ),
      ),
    );
  }
  return (
    `<section aria-labelledby="what-if-h"><h2 id="what-if-h">Policy what-if</h2>` +
    `<p>The same fetched data re-evaluated with other policy values; server-hours = would remove × ` +
    `${comparison.horizonHours} h.</p><table id="what-if"><caption>Baseline and override sets</caption>` +
    `<thead><tr><th scope="col">Measure</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `${comparison.sets.map((o) => setDetails(o, comparison.riskHours)).join('')}</section>`
  );
}
