// The results of the queue drivers (lib/sweep/remediate.ts), types only: the
// consumer and its tally read them without importing the drivers.
import type { QueueMessage } from '../queue/messages.ts';
import type { SendResult } from '../queue/producer.ts';
import type { GroupEvaluation, RemovalReport } from '../removal/lifecycle.ts';
import type { GroupReport } from './report.ts';

/** Sends messages with one `DelaySeconds` for all (lib/queue/producer.ts). */
export type DelayedEnqueue = (
  messages: QueueMessage[],
  delaySeconds: number,
) => Promise<SendResult>;

export interface RemediationOptions {
  maxRemovalsPerSweep: number;
  /** finish-removal messages go back onto the queue through it; required to drain. */
  enqueue?: DelayedEnqueue | undefined;
  /** Called with the group's evaluation on fresh data (the demand history, lib/history/batch-history.ts). */
  onEvaluated?: ((evaluation: GroupEvaluation) => void) | undefined;
}

/** What one queue message did, as the consumer logs and counts it. */
export type RemediationResult =
  | {
      type: 'evaluate-group';
      serverGroupId: string;
      /** `draining`: servers were put into maintenance, each with a finish-removal on its way. */
      status: 'done' | 'draining' | 'aborted' | 'group-not-found';
      group?: GroupReport;
      draining?: string[];
      abortReason?: string;
    }
  | {
      type: 'remove-member';
      serverGroupId: string;
      instanceUuid: string;
      status: 'done' | 'draining' | 'refused' | 'not-a-member' | 'group-not-found';
      detail?: string;
      removal?: RemovalReport;
      draining?: string[];
    }
  | {
      type: 'finish-removal';
      serverGroupId: string;
      serverId: string;
      /** `not-ours`: no record of this owner any more (settled, or taken over by a sweep). */
      status: 'done' | 'not-ours';
      removal?: RemovalReport;
    };
