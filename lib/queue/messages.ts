import * as z from 'zod';
import { ProjectIdSchema } from '../config.ts';

const id = z.string().trim().min(1).max(128);

export const EvaluateGroupMessageSchema = z.strictObject({
  type: z.literal('evaluate-group'),
  projectId: ProjectIdSchema,
  serverGroupId: id,
  dryRun: z.boolean().optional(),
  /** LEARNED_FLOORS=raise: the group's learned floor, read once by the fanout sweep (lib/history/sweep-history.ts). */
  learnedFloor: z
    .strictObject({ value: z.int().min(1).max(10_000), from: z.string().min(1).max(200) })
    .optional(),
});
export type EvaluateGroupMessage = z.infer<typeof EvaluateGroupMessageSchema>;

export const RemoveMemberMessageSchema = z.strictObject({
  type: z.literal('remove-member'),
  projectId: ProjectIdSchema,
  serverGroupId: id,
  instanceUuid: id,
  reason: z.string().max(1024).optional(),
  dryRun: z.boolean().optional(),
});
export type RemoveMemberMessage = z.infer<typeof RemoveMemberMessageSchema>;

/**
 * Sent by `evaluate-group` for each server it put into maintenance, delayed
 * by the drain period: re-check the server and act or undo the drain.
 * `owner` is the drain record's owner; a record held by another owner was
 * taken over (crash recovery) and is left to it.
 */
export const FinishRemovalMessageSchema = z.strictObject({
  type: z.literal('finish-removal'),
  projectId: ProjectIdSchema,
  serverGroupId: id,
  serverId: id,
  owner: id,
});
export type FinishRemovalMessage = z.infer<typeof FinishRemovalMessageSchema>;

/** A remediation queue message body (JSON), discriminated on `type`. */
export const QueueMessageSchema = z.discriminatedUnion('type', [
  EvaluateGroupMessageSchema,
  RemoveMemberMessageSchema,
  FinishRemovalMessageSchema,
]);
export type QueueMessage = z.infer<typeof QueueMessageSchema>;
