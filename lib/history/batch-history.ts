import type { S3Client } from '@aws-sdk/client-s3';
import type { Log } from '../logger.ts';
import type { QueueMessage } from '../queue/messages.ts';
import type { GroupEvaluation, RemovalSettings } from '../removal/lifecycle.ts';
import { SampleBuffer } from './sample-buffer.ts';
import type { HistoryWrite } from './types.ts';

export interface BatchHistoryOptions {
  /** REPORT_BUCKET; none: no history is kept. */
  bucket: string | undefined;
  /** HISTORY_WEEKS; 0 keeps no samples. */
  historyWeeks: number;
  s3?: (() => Promise<S3Client>) | undefined;
  log: Log;
  now: () => number;
}

/**
 * The remediate side of the demand history, for fanout sweeps: each
 * evaluate-group message the batch carries out records its group's sample,
 * as the inline sweep does (lib/history/sweep-history.ts); at the end of the
 * invocation one object per project is written in the same partition layout,
 * named by the invocation's request id: at most one PUT per batch, so O(1)
 * requests per group. A record that fails (and will be retried) records
 * nothing, so a retried group is sampled once.
 */
export class BatchHistory {
  private readonly buffer = new SampleBuffer();
  private readonly startedAt: number;

  constructor(private readonly options: BatchHistoryOptions) {
    this.startedAt = options.now();
  }

  private get keeps(): boolean {
    const { bucket, s3, historyWeeks } = this.options;
    return bucket !== undefined && s3 !== undefined && historyWeeks > 0;
  }

  /**
   * Runs `process` with a hook that receives the group's evaluation, and
   * records it once `process` resolves (only for evaluate-group messages).
   */
  async recording<R>(
    message: QueueMessage,
    process: (onEvaluated: (evaluation: GroupEvaluation) => void) => Promise<R>,
  ): Promise<R> {
    let seen: GroupEvaluation | undefined;
    const result = await process((evaluation) => {
      seen = evaluation;
    });
    if (seen !== undefined && message.type === 'evaluate-group' && this.keeps) {
      this.buffer.add(message.projectId, seen, this.options.now());
    }
    return result;
  }

  /** Writes the batch's samples (one PUT per project); undefined when there were none to keep. */
  async keep(batchId: string): Promise<HistoryWrite | undefined> {
    const { bucket, s3, log } = this.options;
    if (bucket === undefined || s3 === undefined || this.buffer.size === 0) return undefined;
    return this.buffer.keep(this.startedAt, batchId, { bucket, s3, log });
  }
}

/**
 * The settings an evaluate-group message is carried out with: its learned
 * floor (LEARNED_FLOORS=raise, read by the fanout sweep) applied to the
 * group it names, as the inline sweep applies it (lib/scaling/evaluate.ts).
 */
export function withLearnedFloor(
  settings: RemovalSettings,
  message: QueueMessage,
): RemovalSettings {
  if (message.type !== 'evaluate-group' || message.learnedFloor === undefined) return settings;
  const learned = message.learnedFloor;
  return {
    ...settings,
    limits: {
      ...settings.limits,
      learnedFloorOf: (groupId) => (groupId === message.serverGroupId ? learned : undefined),
    },
  };
}
