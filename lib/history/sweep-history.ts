import type { S3Client } from '@aws-sdk/client-s3';
import { describeFailure } from '../errors.ts';
import type { ServerGroup } from '../huawei/schemas.ts';
import type { Log } from '../logger.ts';
import type { EvaluateGroupMessage } from '../queue/messages.ts';
import type { GroupEvaluation } from '../removal/lifecycle.ts';
import type { EvaluationLimits } from '../scaling/types.ts';
import type { SweepReport } from '../sweep/report.ts';
import { LearnedNeedsFileSchema, needsKeyOf } from './needs-file.ts';
import { SampleBuffer } from './sample-buffer.ts';
import { getHistoryObject } from './store.ts';
import { type LearnedEntry, learnedFloorAt, stormWarningOf } from './storm.ts';
import type { StormWarning } from './types.ts';

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

/**
 * The sweep's side of the demand history: reads each project's learned
 * needs once (one GET per project), records what every evaluated group
 * showed, checks the coming hour against its floor, and at the end writes
 * one object per project (lib/history/store.ts). In fanout mode it checks
 * each group as it is enqueued and hands LEARNED_FLOORS=raise's floor to the
 * message; remediate records the samples. Failures are WARN lines and
 * `history.error` in the report (metric HistoryFailures), never a lost sweep.
 */
export class SweepHistory {
  private readonly samples = new SampleBuffer();
  private readonly warnings: StormWarning[] = [];
  private readError: string | undefined;
  /** The sweep's clock at its start: names the partition its samples go to. */
  private readonly startedAt: number;

  private constructor(
    private readonly options: SweepHistoryOptions,
    private readonly needs: ReadonlyMap<string, LearnedEntry>,
  ) {
    this.startedAt = options.now();
  }

  /** Reads the learned needs of `projectIds` (unless LEARNED_FLOORS=off or no bucket). */
  static async start(projectIds: readonly string[], options: SweepHistoryOptions) {
    const needs = new Map<string, LearnedEntry>();
    let readError: string | undefined;
    const { bucket, s3 } = options;
    const reads = options.learnedFloors !== 'off';
    if (bucket !== undefined && s3 !== undefined && reads) {
      for (const projectId of projectIds) {
        try {
          const text = await getHistoryObject(needsKeyOf(projectId), { bucket, s3 });
          if (text === undefined) continue;
          const file = LearnedNeedsFileSchema.parse(JSON.parse(text));
          for (const [group, entry] of Object.entries(file.groups)) needs.set(group, entry);
        } catch (error) {
          readError = `learned needs of ${projectId} not read: ${describeFailure(error).message}`;
          options.log.warn('learned needs not read', { bucket, projectId, error: readError });
        }
      }
    }
    const history = new SweepHistory(options, needs);
    history.readError = readError;
    return history;
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
    if (this.options.historyWeeks > 0 && this.options.bucket !== undefined) {
      this.samples.add(projectId, evaluation, now);
    }
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
    const entry = this.needs.get(group.id);
    if (entry === undefined) return;
    const raised = this.options.learnedFloors === 'raise';
    const warning = stormWarningOf(projectId, group, entry, now, base, raised);
    if (warning !== undefined) this.warnings.push(warning);
  }

  /** Writes the samples (one PUT per project) and puts `history` and `stormWarnings` on the report. */
  async finish(report: SweepReport, sweepId: string): Promise<SweepReport> {
    const { bucket, s3, log } = this.options;
    const out: SweepReport = { ...report };
    if (bucket !== undefined && s3 !== undefined && this.options.historyWeeks > 0) {
      out.history =
        this.options.sweepMode === 'fanout'
          ? { samples: 0, objects: 0, bytes: 0, keptBy: 'remediate' }
          : await this.samples.keep(this.startedAt, sweepId, { bucket, s3, log });
    }
    if (this.readError !== undefined) {
      out.history = { samples: 0, objects: 0, bytes: 0, ...out.history, error: this.readError };
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
