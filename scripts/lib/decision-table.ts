import { describeSettings } from '../../lib/scaling/effective-settings.ts';
import type { GroupReport } from '../../lib/sweep/report.ts';

// The decision table `npm start` and `npm run plan` print: one line per group.

/** Left-aligned columns, two spaces apart; the first row is the heading. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** GROUP, DECISION, WHY, USAGE, REMOVALS, LIMITS: the heading row, then one row per group. */
export function decisionRows(groups: readonly GroupReport[]): string[][] {
  const rows = [['GROUP', 'DECISION', 'WHY', 'USAGE', 'REMOVALS', 'LIMITS']];
  for (const g of groups) {
    const why =
      g.decision === 'skip'
        ? `${g.reason}${g.detail ? `: ${g.detail}` : ''}`
        : g.decision === 'scale-out'
          ? `usage ≥ ${g.thresholdPercent}%: add ${g.recommendedScaleOut}`
          : Object.entries(g.memberReasons)
              .map(([k, n]) => `${n} ${k}`)
              .join(', ');
    const removals =
      g.removals
        .map((r) => {
          if (r.outcome === 'drain-undone')
            return `${r.serverId} (draining → undone: ${r.undoReason})`;
          const drained = r.drainedSeconds === undefined ? '' : `draining ${r.drainedSeconds}s → `;
          const ecs = r.ecsServerGroupIds?.length
            ? ` from ECS group ${r.ecsServerGroupIds.join(', ')}`
            : '';
          return `${r.serverId} (${drained}${r.outcome}${ecs})`;
        })
        .join(', ') || '-';
    const limits = g.settings === undefined ? '-' : describeSettings(g.settings);
    rows.push([g.serverGroupId, g.decision, why, `${g.usagePercent}%`, removals, limits]);
  }
  return rows;
}
