import { REPORTED_GROUPS, type SweepReport } from '../sweep/report.ts';
import { formatCount } from './html-text.ts';
import { DECISION_KINDS } from './verdicts.ts';

/**
 * What a report's group list leaves out, exactly, in one sentence (e.g.
 * `listed 1,000 of 2,000 groups: 875 of 1,327 scale-in, 0 of 469 steady, …`),
 * counted per decision from the listed lines against the totals; undefined
 * when every group is listed.
 */
export function unlistedSentence(
  report: Pick<SweepReport, 'groups' | 'totals'>,
): string | undefined {
  const total = report.totals.groups;
  if (report.groups.length >= total) return undefined;
  const listed = new Map<string, number>();
  for (const group of report.groups)
    listed.set(group.decision, (listed.get(group.decision) ?? 0) + 1);
  const parts = DECISION_KINDS.flatMap((kind) => {
    const all = report.totals.decisions[kind];
    const shown = listed.get(kind) ?? 0;
    return shown < all ? [`${formatCount(shown)} of ${formatCount(all)} ${kind}`] : [];
  });
  return (
    `listed ${formatCount(report.groups.length)} of ${formatCount(total)} groups: ${parts.join(', ')} ` +
    `(beyond ${formatCount(REPORTED_GROUPS)} groups a report lists only acting, scaling-out or failed ones, ` +
    `at most ${formatCount(REPORTED_GROUPS)}; the totals count every group)`
  );
}
