import type { RemovalOutcome, RemovalReport } from '../removal/lifecycle.ts';
import {
  type GroupReport,
  isEventful,
  REPORTED_GROUPS,
  type ReportTotals,
  summarise,
} from './report.ts';

const UNLISTED: GroupReport = Object.freeze({
  projectId: '',
  serverGroupId: '',
  serverGroupName: '(not listed)',
  decision: 'scale-in',
  usagePercent: 0,
  inService: 0,
  usedSessions: 0,
  memberReasons: Object.freeze({}),
  removals: Object.freeze([]) as unknown as RemovalReport[],
});

/**
 * The group lines of a sweep, collected as groups finish: the totals count
 * every group and every removal outcome as they happen, while at most
 * REPORTED_GROUPS lines are held at any time (beyond that many groups, only
 * eventful ones), so the memory a sweep holds does not grow with the fleet.
 */
export class GroupLines {
  readonly totals: ReportTotals = summarise([]);
  private held: { position: number; line: GroupReport }[] = [];
  /** The lines held: only they keep their removals (the totals count every one). */
  private listed = new WeakSet<GroupReport>();
  private seen = 0;
  private omittedCount = 0;

  /** Adds one evaluated group; `position` is its place in the listing. */
  add(position: number, line: GroupReport, planned: number): void {
    this.seen++;
    this.totals.groups++;
    this.totals.decisions[line.decision]++;
    this.totals.plannedRemovals += planned;
    this.totals.recommendedScaleOut += line.recommendedScaleOut ?? 0;
    for (const removal of line.removals) this.totals.outcomes[removal.outcome]++;
    if (this.seen === REPORTED_GROUPS + 1) {
      // Past the limit: from now on only eventful groups are listed.
      const before = this.held.length;
      this.held = this.held.filter((h) => {
        if (isEventful(h.line)) return true;
        this.listed.delete(h.line);
        return false;
      });
      this.omittedCount += before - this.held.length;
    }
    if (this.seen <= REPORTED_GROUPS || (isEventful(line) && this.held.length < REPORTED_GROUPS)) {
      this.held.push({ position, line });
      this.listed.add(line);
    } else {
      this.omittedCount++;
    }
  }

  /**
   * Records what happened to one planned removal, listed or not: counted in
   * the totals, and kept on its line only when the line is listed (a line
   * left out of the report would otherwise hold every removal of the fleet
   * until the sweep ends).
   */
  record(line: GroupReport, removal: RemovalReport): void {
    if (this.listed.has(line)) line.removals.push(removal);
    this.totals.outcomes[removal.outcome]++;
  }

  /** Changes one outcome into another on every line held and in the totals. */
  relabel(from: RemovalOutcome, to: RemovalOutcome): void {
    for (const { line } of this.held) {
      for (const removal of line.removals) if (removal.outcome === from) removal.outcome = to;
    }
    this.totals.outcomes[to] += this.totals.outcomes[from];
    this.totals.outcomes[from] = 0;
  }

  /**
   * What a group held for acting keeps of its line: the line itself when it
   * is listed; else one shared, frozen stand-in that `record` only counts
   * (a line left out of the report would be held, with its member counts,
   * for nothing until the group is acted on).
   */
  forActing(line: GroupReport): GroupReport {
    return this.listed.has(line) ? line : UNLISTED;
  }

  get omitted(): number {
    return this.omittedCount;
  }

  /** The lines held, in listing order. */
  lines(): GroupReport[] {
    return this.held.sort((a, b) => a.position - b.position).map((h) => h.line);
  }
}
