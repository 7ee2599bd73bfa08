import * as z from 'zod';
import { ProjectIdSchema, RegionSchema } from './config.ts';
import { PoisonMessageError } from './errors.ts';
import { formatIssues } from './validation.ts';

/** The `detail` a schedule event (or a manual invocation) may carry to override one run. */
export const SweepDetailSchema = z.strictObject({
  dryRun: z.boolean().optional(),
  projects: z
    .array(z.strictObject({ projectId: ProjectIdSchema, region: RegionSchema.optional() }))
    .min(1)
    .max(100)
    .optional(),
});
export type SweepDetail = z.infer<typeof SweepDetailSchema>;

/** An EventBridge scheduled event, or any object with an optional `detail`. */
export const ScheduleEventSchema = z.looseObject({
  detail: SweepDetailSchema.nullable().optional(),
});

/**
 * Validates a sweep invocation event and returns its overrides. Throws
 * PoisonMessageError naming the offending field (`detail.projects[0].region`).
 */
export function parseScheduleEvent(event: unknown): SweepDetail {
  const parsed = ScheduleEventSchema.safeParse(event ?? {});
  if (!parsed.success) {
    throw new PoisonMessageError(`invalid sweep event: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data.detail ?? {};
}

/** The part of an SQS event the remediate handler relies on before it looks at any record. */
export const SqsEventSchema = z.looseObject({
  Records: z
    .array(
      z.looseObject({
        messageId: z.string(),
        body: z.string(),
        receiptHandle: z.string().optional(),
      }),
    )
    .max(10_000),
});

/** Validates the envelope of an SQS event; throws PoisonMessageError naming the field. */
export function assertSqsEvent(event: unknown): asserts event is z.infer<typeof SqsEventSchema> {
  const parsed = SqsEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new PoisonMessageError(`invalid SQS event: ${formatIssues(parsed.error.issues)}`);
  }
}
