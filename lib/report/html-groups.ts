import { describeSettings } from '../scaling/effective-settings.ts';
import type { GroupReport } from '../sweep/report.ts';
import { serverList, verdictClass } from './html-servers.ts';
import { clampPercent, escapeHtml, formatCount, formatPercent } from './html-text.ts';
import { isDecisionKind, isVerdictKind, VERDICT_KINDS, verdictLabel } from './verdicts.ts';

/** The group's member counts per verdict, known kinds first in legend order. */
function orderedReasons(reasons: Record<string, number>): [string, number][] {
  const known = VERDICT_KINDS.flatMap((kind): [string, number][] => {
    const n = reasons[kind];
    return n !== undefined && n > 0 ? [[kind, n]] : [];
  });
  const other = Object.entries(reasons).filter(([kind, n]) => !isVerdictKind(kind) && n > 0);
  return [...known, ...other];
}

/** A stacked bar: one segment per verdict, its width the number of servers with it. */
function verdictBar(reasons: Record<string, number>): string {
  const parts = orderedReasons(reasons);
  // A skipped group has no member verdicts: its members were never assessed.
  if (parts.length === 0)
    return '<span class="bar" role="img" aria-label="no member verdicts"></span>';
  const label = parts.map(([kind, n]) => `${verdictLabel(kind)} ${n}`).join(', ');
  const segments = parts
    .map(([kind, n]) => {
      const title = isVerdictKind(kind) ? '' : ` title="${escapeHtml(kind)}"`;
      return `<i class="${verdictClass(kind)}" style="flex:${Math.floor(n)}"${title}></i>`;
    })
    .join('');
  return `<span class="bar" role="img" aria-label="${escapeHtml(label)}">${segments}</span>`;
}

function usageCell(group: GroupReport): string {
  const marker =
    group.thresholdPercent === undefined
      ? ''
      : `<b style="left:${clampPercent(group.thresholdPercent)}%"></b>`;
  const after =
    group.usageAfterPercent === undefined
      ? ''
      : ` &#8594; ${formatPercent(group.usageAfterPercent)}`;
  const threshold =
    group.thresholdPercent === undefined
      ? 'no threshold'
      : `threshold ${formatPercent(group.thresholdPercent)}`;
  return (
    `<span class="use"><i style="width:${clampPercent(group.usagePercent)}%"></i>${marker}</span>` +
    `${formatPercent(group.usagePercent)}${after}<small>${threshold}; ` +
    `${formatCount(group.usedSessions)} sessions, ${formatCount(group.inService)} in service</small>`
  );
}

function decisionCell(group: GroupReport): string {
  const notes: string[] = [];
  if (group.reason !== undefined) notes.push(group.reason);
  if (group.detail !== undefined) notes.push(group.detail);
  if (group.hold !== undefined) notes.push(`${group.hold.reason}: ${group.hold.detail}`);
  if (group.recommendedScaleOut !== undefined) notes.push(`add ${group.recommendedScaleOut}`);
  if (group.error !== undefined) notes.push(`error: ${group.error}`);
  if (group.settings !== undefined) notes.push(describeSettings(group.settings));
  const small = notes.length === 0 ? '' : `<small>${escapeHtml(notes.join(' · '))}</small>`;
  return `${escapeHtml(group.decision)}${small}`;
}

// Groups per <tbody>: each body is skipped by content-visibility while off
// screen, so a 10,000-group page lays out and observes 100 of them, not 10,000
// rows (bench/lib/report-page.ts).
const ROWS_PER_BODY = 100;

/**
 * One `<tr>` per group, in `<tbody>`s of ROWS_PER_BODY: its name and id,
 * decision, a bar of its servers by verdict and every server named; the
 * row's second class is its decision (the filter reads it).
 */
export function groupBodies(groups: readonly GroupReport[], withProject: boolean): string {
  const bodies: string[] = [];
  for (let i = 0; i < groups.length; i += ROWS_PER_BODY) {
    const rows = groups.slice(i, i + ROWS_PER_BODY).map((group) => groupRow(group, withProject));
    bodies.push(`<tbody>\n${rows.join('\n')}\n</tbody>`);
  }
  return bodies.join('');
}

function groupRow(group: GroupReport, withProject: boolean): string {
  const decision = isDecisionKind(group.decision) ? group.decision : 'other';
  const project = withProject ? `<small>project ${escapeHtml(group.projectId)}</small>` : '';
  return (
    `<tr class="g ${decision}"><th scope="row">${escapeHtml(group.serverGroupName)}` +
    `<code>${escapeHtml(group.serverGroupId)}</code>${project}</th>` +
    `<td>${decisionCell(group)}</td><td>${verdictBar(group.memberReasons)}${serverList(group)}</td>` +
    `<td>${usageCell(group)}</td></tr>`
  );
}
