import * as z from 'zod';
import { WEEK_HOURS } from './sample.ts';

/**
 * What the weekly recommendation leaves for the sweep: per group, the floor
 * each hour of the week needs (`history/learned/{projectId}.json`).
 */
export const LearnedNeedsFileSchema = z.object({
  generatedAt: z.iso.datetime(),
  groups: z.record(
    z.string().min(1),
    z.object({
      name: z.string(),
      /** The IANA zone the hours are read on. */
      timeZone: z.string().min(1),
      /** 168 floors, Monday 00:00 first. */
      needs: z.array(z.int().min(0)).length(WEEK_HOURS),
    }),
  ),
});
export type LearnedNeedsFile = z.infer<typeof LearnedNeedsFileSchema>;

/** The key of a project's learned needs under the history prefix. */
export function needsKeyOf(projectId: string): string {
  return `learned/${projectId}.json`;
}
