import * as z from 'zod';

/** LEARNED_FLOORS: `warn` (default) warns of a storm, `raise` also raises floors, `off` reads no needs. */
export const LearnedFloorsSchema = z.enum(['off', 'warn', 'raise']).default('warn');
export type LearnedFloors = z.infer<typeof LearnedFloorsSchema>;

/**
 * HISTORY_WEEKS: weeks of demand history the recommendation reads (default 4,
 * at most 8: serverless.yml expires history objects after 63 days); 0 keeps none.
 */
export const HistoryWeeksSchema = z
  .string()
  .regex(/^\d+$/, 'expected a whole number of weeks')
  .optional()
  .transform((v) => (v === undefined ? 4 : Number(v)))
  .pipe(z.number().int().min(0).max(8));
