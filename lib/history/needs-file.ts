import * as z from 'zod';
import { WEEK_HOURS } from './sample.ts';

// One loop, not an element schema: a sweep reads 168 numbers for each of up
// to tens of thousands of groups, and zod's per-element checks cost it most of
// a second at 10,000 groups (docs/performance.md).
const NeedsSchema = z.custom<number[]>(
  (value) =>
    Array.isArray(value) &&
    value.length === WEEK_HOURS &&
    value.every((n) => Number.isInteger(n) && n >= 0),
  { message: `expected ${WEEK_HOURS} whole numbers of at least 0` },
);

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
      needs: NeedsSchema,
    }),
  ),
});
export type LearnedNeedsFile = z.infer<typeof LearnedNeedsFileSchema>;

/** The key of a project's learned needs under the history prefix. */
export function needsKeyOf(projectId: string): string {
  return `learned/${projectId}.json`;
}
