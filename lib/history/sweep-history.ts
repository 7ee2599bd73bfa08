import type { S3Client } from '@aws-sdk/client-s3';
import { describeFailure } from '../errors.ts';
import type { ServerGroup } from '../huawei/schemas.ts';
import type { Log } from '../logger.ts';
import type { EvaluateGroupMessage } from '../queue/messages.ts';
import type { GroupEvaluation } from '../removal/lifecycle.ts';
import type { EvaluationLimits } from '../scaling/types.ts';
import type { SweepReport } from '../sweep/report.ts';
import { compactClosedHour } from './compact.ts';
import { LearnedNeedsFileSchema, needsKeyOf } from './needs-file.ts';
import { SampleBuffer } from './sample-buffer.ts';
import { getHistoryObject } from './store.ts';
import { type LearnedEntry, learnedFloorAt, stormWarningOf } from './storm.ts';
import type { HistoryCompaction, StormWarning } from './types.ts';

/** Storm warnings named one by one in the sweep's WARN line; the report holds them all. */
const WARNINGS_LOGGED = 20;

export interface SweepHistoryOptions {
  /** REPORT_BUCKET; none: no history is kept or read. */
  bucket: string | undefined;
  /** LEARNED_FLOORS: `off` reads no needs, `warn` (default) warns, `raise` also raises floors. */
  learnedFloors: 'off' | 'warn' | 'raise';
  /** HISTORY_WEEKS; 0 keeps no samples. */
  historyWeeks: number;
  /**
   * A fanout sweep evaluates no group itself: remediate records each group's
   * sample (lib/history/batch-history.ts); the sweep warns from the listing.
   */
  sweepMode: 'inline' | 'fanout';
  s3?: (() => Promise<S3Client>) | undefined;
  log: Log;
  now: () => number;
}

/** A group evaluated or enqueued before the learned needs arrived: checked when they do. */
interface PendingCheck {
  projectId: string;
  group: ServerGroup;
  base: EvaluationLimits;
  now: number;
}

/**
 * The sweep's side of the demand history: reads each project's learned
 * needs once (one GET per project), records what every evaluated group
 * showed, checks the coming hour against its floor, and at the end writes
 * one object per project (lib/history/store.ts). In fanout mode it checks
 * each group as it is enqueued and hands LEARNED_FLOORS=raise's floor to the
 * message; remediate records the samples. Failures are WARN lines and
 * `history.error` in the report (metric HistoryFailures), never a lost sweep.
 *
 * With LEARNED_FLOORS=warn the needs are read beside the group listing, off
 * the sweep's critical path: a group seen before they arrive is checked when
 * they do. Only `raise`, whose floors the evaluation uses, waits for them.
 */
export class SweepHistory {
  private readonly samples = new SampleBuffer();
  private readonly warnings: StormWarning[] = [];
  private readonly needs = new Map<string, LearnedEntry>();
  private readError: string | undefined;
  /** Until the needs are read: the checks they wait for. */
  private pending: PendingCheck[] | undefined = [];
  private reading: Promise<void> = Promise.resolve();
  /** Fanout: the compaction of the last closed hour, run while the sweep enqueues. */
  private compaction: Promise<{ compacted: HistoryCompaction; error?: string }> | undefined;
  /** The sweep's clock at its start: names the partition its samples go to. */
  private readonly startedAt: number;

  private constructor(private readonly options: SweepHistoryOptions) {
    this.startedAt = options.now();
  }

  /** Starts reading the learned needs of `projectIds` (unless LEARNED_FLOORS=off or no bucket); `raise` waits for them. */
  static async start(projectIds: readonly string[], options: SweepHistoryOptions) {
    const history = new SweepHistory(options);
    const { bucket, s3 } = options;
    if (bucket !== undefined && s3 !== undefined && options.learnedFloors !== 'off') {
      history.reading = history.readNeeds(projectIds, bucket, s3);
    } else {
      history.pending = undefined;
    }
    if (options.learnedFloors === 'raise') await history.reading;
    // Each remediate batch writes its own object (⌈groups ÷ 10⌉ a sweep): the
    // sweep merges each closed hour into one, so a reader's objects grow with
    // the hours kept, not with sweeps × groups (lib/history/compact.ts).
    if (
      bucket !== undefined &&
      s3 !== undefined &&
      history.keeps &&
      options.sweepMode === 'fanout'
    ) {
      history.compaction = compactClosedHour(projectIds, history.startedAt, {
        bucket,
        s3,
        log: options.log,
      });
    }
    return history;
  }

  /** Reads each project's needs into `needs` (never throws), then makes the checks that waited. */
  private async readNeeds(
    projectIds: readonly string[],
    bucket: string,
    s3: () => Promise<S3Client>,
  ): Promise<void> {
    for (const projectId of projectIds) {
      try {
        const text = await getHistoryObject(needsKeyOf(projectId), { bucket, s3 });
        if (text === undefined) continue;
        const file = LearnedNeedsFileSchema.parse(JSON.parse(text));
        for (const [group, entry] of Object.entries(file.groups)) this.needs.set(group, entry);
      } catch (error) {
        this.readError = `learned needs of ${projectId} not read: ${describeFailure(error).message}`;
        this.options.log.warn('learned needs not read', {
          bucket,
          projectId,
          error: this.readError,
        });
      }
    }
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const c of pending) this.checkStorm(c.projectId, c.group, c.base, c.now);
  }

  private get keeps(): boolean {
    return this.options.historyWeeks > 0 && this.options.bucket !== undefined;
  }

  /** The limits with LEARNED_FLOORS=raise applied (unchanged otherwise). */
  limits(base: EvaluationLimits): EvaluationLimits {
    if (this.options.learnedFloors !== 'raise' || this.needs.size === 0) return base;
    const needs = this.needs;
    return {
      ...base,
      learnedFloorOf: (groupId, now) => {
        const entry = needs.get(groupId);
        return entry === undefined ? undefined : learnedFloorAt(entry, now);
      },
    };
  }

  /** Records one evaluated group and checks its coming hour (runSweep's `onEvaluated`). */
  observe(projectId: string, evaluation: GroupEvaluation, base: EvaluationLimits): void {
    const now = this.options.now();
    if (this.keeps) this.samples.add(projectId, evaluation, now);
    this.checkStorm(projectId, evaluation.group, base, now);
  }

  /**
   * Fanout (runSweep's `onEnqueue`): checks the group's coming hour, and with
   * LEARNED_FLOORS=raise returns its learned floor for the message to carry.
   */
  enqueued(
    projectId: string,
    group: ServerGroup,
    base: EvaluationLimits,
  ): Pick<EvaluateGroupMessage, 'learnedFloor'> | undefined {
    const now = this.options.now();
    this.checkStorm(projectId, group, base, now);
    const entry = this.needs.get(group.id);
    if (this.options.learnedFloors !== 'raise' || entry === undefined) return undefined;
    const learnedFloor = learnedFloorAt(entry, now);
    return learnedFloor === undefined ? undefined : { learnedFloor };
  }

  private checkStorm(
    projectId: string,
    group: ServerGroup,
    base: EvaluationLimits,
    now: number,
  ): void {
    if (this.pending !== undefined) {
      this.pending.push({ projectId, group, base, now });
      return;
    }
    const entry = this.needs.get(group.id);
    if (entry === undefined) return;
    const raised = this.options.learnedFloors === 'raise';
    const warning = stormWarningOf(projectId, group, entry, now, base, raised);
    if (warning !== undefined) this.warnings.push(warning);
  }

  /** Writes the samples (one PUT per project) and puts `history` and `stormWarnings` on the report. */
  async finish(report: SweepReport, sweepId: string): Promise<SweepReport> {
    const { bucket, s3, log } = this.options;
    await this.reading;
    const out: SweepReport = { ...report };
    if (bucket !== undefined && s3 !== undefined && this.keeps) {
      out.history =
        this.options.sweepMode === 'fanout'
          ? { samples: 0, objects: 0, bytes: 0, keptBy: 'remediate' }
          : await this.samples.keep(this.startedAt, sweepId, { bucket, s3, log });
    }
    const compaction = await this.compaction;
    const errors = [out.history?.error, this.readError, compaction?.error].filter(
      (e) => e !== undefined,
    );
    if (compaction !== undefined || errors.length > 0) {
      out.history = {
        samples: 0,
        objects: 0,
        bytes: 0,
        ...out.history,
        ...(compaction === undefined ? {} : { compacted: compaction.compacted }),
        ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
      };
    }
    if (this.needs.size > 0) {
      out.stormWarnings = this.warnings;
      if (this.warnings.length > 0) {
        log.warn('storm ahead: floors below the learned need of the next hour', {
          groups: this.warnings.length,
          warnings: this.warnings.slice(0, WARNINGS_LOGGED),
        });
      }
    }
    return out;
  }
}
