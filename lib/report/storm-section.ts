import type { StormWarning } from '../history/types.ts';
import { escapeHtml, formatCount } from './html-text.ts';

/** Rows shown, the largest shortfalls first; the JSON report holds every warning. */
export const STORM_ROWS = 500;

/**
 * The report page's storm warnings (lib/history/storm.ts): one row per group
 * whose floor for the next hour is below what its history says it will
 * need — the group, the hour, the learned need and the floor with its
 * source; each group links to its week on the history page when there is
 * one. The STORM_ROWS largest shortfalls (need − floor) are listed. Empty
 * when the sweep warned of nothing.
 */
export function stormSection(
  warnings: readonly StormWarning[] | undefined,
  historyHref?: string,
): string {
  if (warnings === undefined || warnings.length === 0) return '';
  const shown = [...warnings]
    .sort((a, b) => b.need - b.floor - (a.need - a.floor))
    .slice(0, STORM_ROWS);
  const rows = shown.map((w) => {
    const name = escapeHtml(w.serverGroupName || w.serverGroupId);
    const group =
      historyHref === undefined
        ? name
        : `<a href="${escapeHtml(`${historyHref}#g-${w.serverGroupId}`)}">${name}</a>`;
    return (
      `<tr><th scope="row">${group}<code>${escapeHtml(w.serverGroupId)}</code></th>` +
      `<td>${escapeHtml(w.hour)}</td><td class="n">${formatCount(w.need)}</td>` +
      `<td class="n">${formatCount(w.floor)}</td><td>${escapeHtml(w.floorFrom)}${w.raised ? ' (raised to the need)' : ''}</td></tr>`
    );
  });
  return (
    `<section aria-labelledby="storms-h"><h2 id="storms-h">Storm warnings</h2>` +
    `<p class="alert" role="alert">${formatCount(warnings.length)} group${warnings.length === 1 ? '' : 's'} ` +
    `will need more servers in the next hour than their floor keeps` +
    (shown.length < warnings.length
      ? `; the ${formatCount(shown.length)} largest shortfalls are listed, every one is in the JSON report`
      : '') +
    `</p>` +
    `<table id="storms"><caption>Floors below the learned need of the next hour</caption><thead><tr>` +
    `<th scope="col">Group</th><th scope="col">Hour</th><th scope="col" class="n">Learned need</th>` +
    `<th scope="col" class="n">Floor</th><th scope="col">Floor from</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></section>`
  );
}
