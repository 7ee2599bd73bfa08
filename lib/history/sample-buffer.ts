import type { GroupEvaluation } from '../removal/lifecycle.ts';
import { type HistorySample, sampleOf } from './sample.ts';
import { type HistoryStoreOptions, keepHistory } from './store.ts';
import type { HistoryWrite } from './types.ts';

/**
 * The samples one invocation (a sweep, or a remediate batch in fanout mode)
 * gathers, by project; written at its end as one object per project in the
 * partition layout of lib/history/store.ts.
 */
export class SampleBuffer {
  private readonly byProject = new Map<string, HistorySample[]>();
  private count = 0;

  /** Records what `evaluation` showed at `now` (epoch ms); nothing for a group whose listing failed. */
  add(projectId: string, evaluation: GroupEvaluation, now: number): void {
    const sample = sampleOf(evaluation, now);
    if (sample === undefined) return;
    const list = this.byProject.get(projectId) ?? [];
    list.push(sample);
    this.byProject.set(projectId, list);
    this.count++;
  }

  /** Samples gathered so far. */
  get size(): number {
    return this.count;
  }

  /** Writes the samples under the partition of `at`, named `id` (never throws: lib/history/store.ts). */
  keep(at: number, id: string, options: HistoryStoreOptions): Promise<HistoryWrite> {
    return keepHistory(this.byProject, at, id, options);
  }
}
