import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { formatIssues } from '../../validation.ts';
import { DrainStoreError } from './store-errors.ts';

/**
 * `draining`: we asked APS to put the server into maintenance (or are about
 * to); `acting`: the drain period passed and the removal or release is under way.
 */
export const DrainStateSchema = z.enum(['draining', 'acting']);
export type DrainState = z.infer<typeof DrainStateSchema>;

/** One server WE put into maintenance. Its absence means: not ours, never touch it. */
export const DrainRecordSchema = z.object({
  projectId: z.string().min(1),
  serverId: z.string().min(1),
  groupId: z.string().min(1),
  instanceId: z.string().min(1).optional(),
  machineName: z.string().min(1).optional(),
  /** The sweep or message that holds the record; changes only through `claimDrain`. */
  owner: z.string().min(1),
  state: DrainStateSchema,
  /** When the record was written, just before maintenance was requested; epoch ms. */
  drainedAtMs: z.number().int().nonnegative(),
  /**
   * The drain period's end, counted from when maintenance was confirmed
   * (`confirmMaintenance`; until then from the record write): no action
   * before this instant; epoch ms.
   */
  drainUntilMs: z.number().int().nonnegative(),
  /**
   * Until when the owner is alive and settles the drain itself (the end of
   * its wait plus one lease period); recovery claims the record only after
   * it. Absent on records of older versions: `drainUntilMs` stands for it.
   */
  ownerUntilMs: z.number().int().nonnegative().optional(),
  /**
   * The abandoned sessions logged off while the server drains (README "Log-off
   * of abandoned sessions"): the re-check then removes it only with no session
   * at all. Absent on records written without a log-off (and by older versions).
   */
  logoffSessionIds: z.array(z.string().min(1)).min(1).optional(),
});
export type DrainRecord = z.infer<typeof DrainRecordSchema>;

const STRING_FIELDS = [
  'projectId',
  'serverId',
  'groupId',
  'instanceId',
  'machineName',
  'owner',
  'state',
] as const;
const NUMBER_FIELDS = ['drainedAtMs', 'drainUntilMs', 'ownerUntilMs'] as const;

/** The item key of one server's record. */
export function keyOf(projectId: string, serverId: string): Record<string, AttributeValue> {
  return { pk: { S: `drain#${projectId}` }, sk: { S: `server#${serverId}` } };
}

/** A record as its DynamoDB item. */
export function toItem(record: DrainRecord): Record<string, AttributeValue> {
  const item = keyOf(record.projectId, record.serverId);
  for (const field of STRING_FIELDS) {
    const value = record[field];
    if (value !== undefined) item[field] = { S: value };
  }
  for (const field of NUMBER_FIELDS) {
    const value = record[field];
    if (value !== undefined) item[field] = { N: String(value) };
  }
  if (record.logoffSessionIds !== undefined) {
    item.logoffSessionIds = { L: record.logoffSessionIds.map((id) => ({ S: id })) };
  }
  return item;
}

/** A DynamoDB item as a record; `DrainStoreError` naming the item when it does not fit. */
export function fromItem(item: Record<string, AttributeValue>, tableName: string): DrainRecord {
  const plain: Record<string, unknown> = {};
  for (const field of STRING_FIELDS) if (item[field]?.S !== undefined) plain[field] = item[field].S;
  for (const field of NUMBER_FIELDS) {
    if (item[field]?.N !== undefined) plain[field] = Number(item[field].N);
  }
  const logoff = item.logoffSessionIds?.L;
  if (logoff !== undefined) plain.logoffSessionIds = logoff.map((value) => value.S);
  const parsed = DrainRecordSchema.safeParse(plain);
  if (parsed.success) return parsed.data;
  throw new DrainStoreError({
    operation: 'read drain record',
    tableName,
    detail: `item ${item.sk?.S ?? '(no key)'} does not fit: ${formatIssues(parsed.error.issues)}`,
  });
}
