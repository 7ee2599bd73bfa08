import { countRows } from '../../lib/report/count-rows.ts';
import type { ReportCounts } from '../../lib/report/counts.ts';
import { table } from './decision-table.ts';

/**
 * The counts `npm start` and `npm run plan` print, the same rows and labels
 * as the page's headline (lib/report/count-rows.ts): COUNT, N, WHY.
 */
export function countsTable(counts: ReportCounts): string {
  return table([
    ['COUNT', 'N', 'WHY'],
    ...countRows(counts).map((row) => [row.label, row.value, row.detail]),
  ]);
}
