import { describeFailure } from '../errors.ts';
import type { ServerGroup } from '../huawei/schemas.ts';
import type { EvaluateGroupMessage, QueueMessage } from '../queue/messages.ts';
import type { SendResult } from '../queue/producer.ts';
import type { GroupEvaluation, RemovalServices, RemovalSettings } from '../removal/lifecycle.ts';
import {
  budgetOf,
  drainingOn,
  dryRunOutcomes,
  endingOf,
  fetchAndEvaluate,
  recoverDrains,
  removeNow,
} from '../removal/lifecycle.ts';
import { GroupLines } from './group-lines.ts';
import { createSweepGuard } from './guard.ts';
import type { HeldGroup } from './held.ts';
import { keepForActing, narrowEcsLookups } from './held.ts';
import { drainThenAct } from './inline-drain.ts';
import { forEachConcurrent } from './pool.ts';
import {
  groupReportOf,
  MEMBER_DETAIL_GROUPS,
  markSecondary,
  type RequestStats,
  type SweepReport,
  summarise,
} from './report.ts';

/** Ids of unvisited groups kept in a report; the count is always exact. */
const NOT_VISITED_IDS = 1_000;
/** Evaluate-group messages buffered before a SendMessageBatch round. */
const FANOUT_FLUSH = 100;

export interface SweepProject {
  projectId: string;
  services: RemovalServices;
}

export interface SweepOptions {
  projects: readonly SweepProject[];
  mode: 'inline' | 'fanout';
  /** Per-project settings; `projectId` is filled in per project. */
  settings: Omit<RemovalSettings, 'projectId'>;
  maxRemovalsPerSweep: number;
  /** Groups (and removals) processed at once. */
  concurrency: number;
  /** Request counters of the invocation, read when the report is made. */
  stats: () => RequestStats;
  /** What is swept, named in the report; the enterprise project also filters the group listing. */
  scope?: { region: string; enterpriseProjectId?: string | undefined };
  /** Fanout: puts evaluate-group messages on the remediation queue. */
  enqueue?: (messages: QueueMessage[]) => Promise<SendResult>;
  /**
   * Inline only: called with each group's fetched data and decision as soon
   * as it is evaluated (before any action), so a caller such as `npm run
   * plan` can reuse the data without fetching it again. Must not throw.
   */
  onEvaluated?: (projectId: string, evaluation: GroupEvaluation) => void;
  /**
   * Fanout only: called with each group as it is enqueued (the history's
   * storm check); what it returns rides on the group's evaluate-group message.
   */
  onEnqueue?: (
    projectId: string,
    group: ServerGroup,
  ) => Pick<EvaluateGroupMessage, 'learnedFloor'> | undefined;
  /**
   * Set when `settings.drainSeconds` > 0: the sweep's owner id in drain
   * records and leases, for recovery and the inline sweep's drain, and how
   * many groups' drains start together (default lib/sweep/inline-drain.ts
   * `DRAIN_START_GROUPS`).
   */
  drain?: { owner: string; groupsAtOnce?: number };
}

/**
 * One sweep over every group of every project: inline (evaluate all, check
 * the sweep-wide cap, then act) or fanout (one evaluate-group message per
 * group). Groups stream page by page; the deadline stops new work and the
 * report names what was not visited. Never throws for API failures: they are
 * in the report.
 */
export async function runSweep(options: SweepOptions): Promise<SweepReport> {
  const started = options.settings.now();
  // The one time budget (settings.budget, else deadlineAt on the settings' clock).
  const { hasTime } = budgetOf(options.settings);
  // Whether this sweep drains: decided once, by the lifecycle.
  const drainOwner = drainingOn(options.settings) ? options.drain?.owner : undefined;
  const report: SweepReport = {
    kind: 'sweep',
    mode: options.mode,
    dryRun: options.settings.dryRun,
    status: 'completed',
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    projects: options.projects.map((p) => p.projectId),
    ...(options.scope === undefined
      ? {}
      : {
          scope: {
            projects: options.projects.map((p) => p.projectId),
            region: options.scope.region,
            enterpriseProjectId: options.scope.enterpriseProjectId ?? 'default',
          },
        }),
    totals: summarise([]),
    requests: options.stats(),
    notVisited: [],
    notVisitedCount: 0,
    errors: [],
    groups: [],
    groupsOmitted: 0,
  };
  const lines = new GroupLines();
  const guard = createSweepGuard(lines, {
    maxRemovalsPerSweep: options.maxRemovalsPerSweep,
    dryRun: options.settings.dryRun,
  });
  let seen = 0;
  const skipped = (projectId: string) => (group: ServerGroup) => {
    report.notVisitedCount++;
    if (report.notVisited.length < NOT_VISITED_IDS)
      report.notVisited.push({ projectId, serverGroupId: group.id });
  };

  for (const project of options.projects) {
    const settings: RemovalSettings = { ...options.settings, projectId: project.projectId };
    const enterpriseProjectId = options.scope?.enterpriseProjectId;
    const listing = project.services.aps.listServerGroups(
      enterpriseProjectId === undefined ? {} : { enterprise_project_id: enterpriseProjectId },
    );
    if (drainOwner !== undefined) {
      const recovered = await recover(project, settings, drainOwner, report, lines);
      // Without the drain table nothing can be drained safely: the project waits for the next sweep.
      if (!recovered) continue;
    }
    try {
      if (options.mode === 'fanout') {
        await fanOut(project, listing, options, report, skipped(project.projectId));
        continue;
      }
      await forEachConcurrent(
        listing,
        // Two groups per request slot: a group lists its members, then its
        // sessions (lib/removal/plan/list-group.ts), and evaluates in between, so the
        // request limiter always has a group waiting for a slot.
        2 * options.concurrency,
        async (group) => {
          const position = seen++;
          const evaluation = await fetchAndEvaluate(group, project.services, settings, {
            listing: 'members-first',
            nameSkipped: true,
          });
          options.onEvaluated?.(project.projectId, evaluation);
          const groupReport = markSecondary(
            groupReportOf(project.projectId, evaluation.decision, {
              includeMembers: position < MEMBER_DETAIL_GROUPS,
              error: evaluation.error?.message,
              membersNotListed: evaluation.membersNotListed,
            }),
            group,
          );
          if (evaluation.decision.kind !== 'scale-in') {
            lines.add(position, groupReport, 0);
            return;
          }
          const remove = evaluation.decision.remove;
          lines.add(position, groupReport, remove.length);
          // A dry run reports what an acting run would: the remover's refusals first.
          const planned = settings.dryRun
            ? await dryRunOutcomes(evaluation, remove, project.services, settings)
            : undefined;
          const end = endingOf(project.services, settings, evaluation.group);
          if (!guard.admit(groupReport, remove, end, planned)) return;
          guard.hold({
            projectId: project.projectId,
            services: project.services,
            evaluation: keepForActing(evaluation as HeldGroup['evaluation'], {
              replanned: drainOwner !== undefined,
            }),
            report: lines.forActing(groupReport),
            end,
          });
        },
        { shouldStart: hasTime, onSkipped: skipped(project.projectId) },
      );
    } catch (error) {
      // The group listing failed part-way: groups already seen are still
      // evaluated safely; the ones after the failure were never seen.
      report.errors.push({ projectId: project.projectId, error: describeFailure(error).message });
    }
  }

  const { plan, held } = guard.conclude();
  narrowEcsLookups(held);
  if (plan.kind === 'aborted') {
    report.status = 'aborted';
    report.abortReason = plan.reason;
  } else if (options.mode === 'inline' && drainOwner !== undefined) {
    const failures = await drainThenAct(
      held,
      (projectId) => ({ ...options.settings, projectId }),
      options.concurrency,
      lines,
      drainOwner,
      options.drain?.groupsAtOnce,
    );
    for (const f of failures) drainStoreError(report, f.projectId, f.error);
  } else if (options.mode === 'inline') {
    await act(held, options, lines);
  }
  if (report.status === 'completed' && (report.errors.length > 0 || report.notVisitedCount > 0)) {
    report.status = 'partial';
  }
  report.totals = lines.totals;
  report.groups = lines.lines();
  report.groupsOmitted = lines.omitted;
  if (options.mode === 'fanout') report.totals.groups = report.enqueued?.sent ?? 0;
  report.requests = options.stats();
  report.durationMs = options.settings.now() - started;
  return report;
}

async function act(pending: HeldGroup[], options: SweepOptions, lines: GroupLines): Promise<void> {
  // Longest chains first (a group's removals run in series): the last lanes
  // then finish short chains, so the act phase ends with its slots still full.
  pending.sort((a, b) => b.evaluation.decision.remove.length - a.evaluation.decision.remove.length);
  await forEachConcurrent(releasing(pending), options.concurrency, async (group) => {
    const settings: RemovalSettings = { ...options.settings, projectId: group.projectId };
    const reports = await removeNow(
      group.evaluation,
      group.evaluation.decision.remove,
      group.services,
      settings,
    );
    for (const report of reports) lines.record(group.report, report);
  });
}

/**
 * Yields each item and lets go of it in `items`: a group acted on is then
 * held only by its worker, so what the sweep holds shrinks as it acts.
 */
function* releasing<T>(items: (T | undefined)[]): Generator<T> {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    items[i] = undefined;
    if (item !== undefined) yield item;
  }
}

// Drains a dead invocation left behind: finished or undone before anything
// new. False when the drain table cannot be read: a drain-store error.
async function recover(
  project: SweepProject,
  settings: RemovalSettings,
  owner: string,
  report: SweepReport,
  lines: GroupLines,
): Promise<boolean> {
  let recovered: Awaited<ReturnType<typeof recoverDrains>>;
  try {
    recovered = await recoverDrains(project.projectId, owner, project.services, settings);
  } catch (error) {
    drainStoreError(report, project.projectId, error);
    return false;
  }
  if (recovered.length === 0) return true;
  report.recovered = [...(report.recovered ?? []), ...recovered];
  for (const r of recovered) lines.totals.outcomes[r.outcome]++;
  return true;
}

function drainStoreError(report: SweepReport, projectId: string, error: unknown): void {
  report.errors.push({ projectId, source: 'drain-store', error: describeFailure(error).message });
}

async function fanOut(
  project: SweepProject,
  listing: AsyncIterable<ServerGroup>,
  options: SweepOptions,
  report: SweepReport,
  onSkipped: (group: ServerGroup) => void,
): Promise<void> {
  const enqueue = options.enqueue;
  if (enqueue === undefined) throw new Error('fanout needs REMEDIATION_QUEUE_URL');
  const enqueued = report.enqueued ?? { sent: 0, failed: [] };
  report.enqueued = enqueued;
  let buffer: QueueMessage[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const result = await enqueue(buffer);
    buffer = [];
    enqueued.sent += result.sent;
    for (const failure of result.failed) {
      const serverGroupId = 'serverGroupId' in failure.message ? failure.message.serverGroupId : '';
      enqueued.failed.push({ serverGroupId, error: `${failure.code}: ${failure.error}` });
    }
  };
  try {
    for await (const group of listing) {
      if (!budgetOf(options.settings).hasTime()) {
        onSkipped(group);
        continue;
      }
      buffer.push({
        type: 'evaluate-group',
        projectId: project.projectId,
        serverGroupId: group.id,
        ...(options.settings.dryRun ? { dryRun: true } : {}),
        ...options.onEnqueue?.(project.projectId, group),
      });
      if (buffer.length >= FANOUT_FLUSH) await flush();
    }
  } finally {
    await flush();
  }
  if (enqueued.failed.length > 0) {
    report.errors.push({
      projectId: project.projectId,
      source: 'queue',
      error: `${enqueued.failed.length} evaluate-group message(s) could not be enqueued`,
    });
  }
}
