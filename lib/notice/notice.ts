import type { RemovalReport } from '../removal/outcome.ts';
import type { SweepReport } from '../sweep/report.ts';

/** What a person is told about one sweep: a subject, text for e-mail or chat, and filter attributes. */
export interface SweepNotice {
  /** At most 100 characters (the SNS limit for a subject). */
  subject: string;
  text: string;
  /** SNS message attributes (String values) subscribers filter on. */
  attributes: Record<string, string>;
}

/** The figures a notice reads besides the report: its problems, saving and kept page. */
export interface NoticeContext {
  /** `sweepProblems` of lib/finish-sweep.ts: empty for a clean sweep. */
  problems: readonly string[];
  summary: string;
  serverHoursFreed: number;
  estimatedMonthlySaving?: number | undefined;
  /** Where the kept report page is (an s3:// address or a URL); absent when none was kept. */
  reportPage?: string | undefined;
}

type RemovalLine = RemovalReport & { serverGroupName: string };

function removalsOf(report: SweepReport): RemovalLine[] {
  return report.groups.flatMap((g) =>
    g.removals.map((r) => ({ ...r, serverGroupName: g.serverGroupName })),
  );
}

/** `count × reason` lines, largest first, ties by name. */
function countLines(counts: Map<string, number>): string[] {
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, n]) => `  ${n} × ${reason}`);
}

function keptCounts(report: SweepReport): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);
  for (const group of report.groups) {
    if (group.decision === 'skip') add(`group skipped: ${group.reason ?? 'unknown'}`, 1);
    for (const [reason, n] of Object.entries(group.memberReasons)) {
      // An idle verdict is a removal (listed above), not a server kept; a
      // skipped group's servers are its one line above.
      if (reason !== 'idle' && reason !== 'group-skipped') add(reason, n);
    }
  }
  return counts;
}

const serverName = (r: RemovalLine): string =>
  `${r.machineName ?? '(no machine name)'} (${r.serverId}) in ${r.serverGroupName}`;

/**
 * The notice of a sweep that acted, failed or aborted; undefined for one that
 * changed nothing (no server removed, no problem). Names every removed server
 * (machine name and id), every removal that failed, what was kept and why in
 * counts, the saving and the kept report page. Pure.
 */
export function noticeOf(report: SweepReport, context: NoticeContext): SweepNotice | undefined {
  const removals = removalsOf(report);
  const removed = removals.filter((r) => r.outcome === 'removed');
  const failed = removals.filter((r) => r.outcome === 'failed');
  const status =
    report.status === 'aborted' ? 'aborted' : context.problems.length > 0 ? 'failed' : 'acted';
  if (status === 'acted' && removed.length === 0) return undefined;
  const where = report.scope?.projects.join(', ') ?? report.projects.join(', ');
  const subject = `aps-autoscaler ${status}: ${removed.length} server(s) removed (${where})`.slice(
    0,
    100,
  );
  const lines = [context.summary, ''];
  if (removed.length > 0) {
    lines.push(`Removed (${removed.length}):`, ...removed.map((r) => `  ${serverName(r)}`), '');
  }
  if (failed.length > 0) {
    lines.push(
      `Failed (${failed.length}):`,
      ...failed.map((r) => `  ${serverName(r)}: ${r.detail ?? 'no detail'}`),
      '',
    );
  }
  if (context.problems.length > 0) {
    lines.push('Problems:', ...context.problems.map((p) => `  ${p}`), '');
  }
  const kept = countLines(keptCounts(report));
  if (kept.length > 0) lines.push('Kept, and why:', ...kept, '');
  const saving =
    context.estimatedMonthlySaving === undefined
      ? ''
      : `, about ${context.estimatedMonthlySaving.toFixed(2)} a month`;
  lines.push(`Saving: ${context.serverHoursFreed.toFixed(1)} server-hours freed${saving}`);
  lines.push(`Report: ${context.reportPage ?? 'not kept'}`);
  return {
    subject,
    text: lines.join('\n'),
    attributes: {
      status,
      mode: report.mode,
      dryRun: String(report.dryRun),
      removed: String(removed.length),
      failed: String(failed.length),
      projects: where,
    },
  };
}
