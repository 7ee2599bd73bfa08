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
  /**
   * `server`: the record is an item of its own (`sk` = `server#<id>`), as
   * versions before the group item wrote it; read, settled and cleared as
   * such for one release. Absent: an entry of its group's item.
   */
  item: z.literal('server').optional(),
});
export type DrainRecord = z.infer<typeof DrainRecordSchema>;

const ENTRY_STRINGS = ['instanceId', 'machineName', 'owner', 'state'] as const;
const NUMBER_FIELDS = ['drainedAtMs', 'drainUntilMs', 'ownerUntilMs'] as const;
/** What an older version's item of its own holds besides an entry's fields. */
const ITEM_STRINGS = ['projectId', 'serverId', 'groupId'] as const;

type Item = Record<string, AttributeValue>;

/** The partition of a project's drains: every group item (and every older server item). */
export function partitionOf(projectId: string): string {
  return `drain#${projectId}`;
}

/** The item key of one group's drains: one item holds every server of the group we drain. */
export function groupKeyOf(projectId: string, groupId: string): Item {
  return { pk: { S: partitionOf(projectId) }, sk: { S: `group#${groupId}` } };
}

/** The item key of a record an older version wrote as an item of its own (`item: 'server'`). */
export function serverKeyOf(projectId: string, serverId: string): Item {
  return { pk: { S: partitionOf(projectId) }, sk: { S: `server#${serverId}` } };
}

/** A record as its entry in the group item's `servers` map (keyed by server id). */
export function toEntry(record: DrainRecord): AttributeValue {
  const entry: Item = {};
  for (const field of ENTRY_STRINGS) {
    const value = record[field];
    if (value !== undefined) entry[field] = { S: value };
  }
  for (const field of NUMBER_FIELDS) {
    const value = record[field];
    if (value !== undefined) entry[field] = { N: String(value) };
  }
  if (record.logoffSessionIds !== undefined) {
    entry.logoffSessionIds = { L: record.logoffSessionIds.map((id) => ({ S: id })) };
  }
  return { M: entry };
}

/** A group item: its key, its project and group, and the entries of `records`. */
export function toGroupItem(records: readonly DrainRecord[]): Item {
  const [first] = records;
  if (first === undefined) throw new RangeError('a group item needs at least one record');
  return {
    ...groupKeyOf(first.projectId, first.groupId),
    projectId: { S: first.projectId },
    groupId: { S: first.groupId },
    servers: { M: Object.fromEntries(records.map((r) => [r.serverId, toEntry(r)])) },
  };
}

function plainOf(fields: Item, into: Record<string, unknown>): Record<string, unknown> {
  for (const field of [...ITEM_STRINGS, ...ENTRY_STRINGS]) {
    if (fields[field]?.S !== undefined) into[field] = fields[field].S;
  }
  for (const field of NUMBER_FIELDS) {
    if (fields[field]?.N !== undefined) into[field] = Number(fields[field].N);
  }
  const logoff = fields.logoffSessionIds?.L;
  if (logoff !== undefined) into.logoffSessionIds = logoff.map((value) => value.S);
  return into;
}

function parsed(plain: Record<string, unknown>, where: string, tableName: string): DrainRecord {
  const result = DrainRecordSchema.safeParse(plain);
  if (result.success) return result.data;
  throw new DrainStoreError({
    operation: 'read drain record',
    tableName,
    detail: `${where} does not fit: ${formatIssues(result.error.issues)}`,
  });
}

/**
 * The records an item holds, told apart by its sort key: every entry of a
 * group item (none when it holds only the group's lease), or the one record
 * of an older version's server item (marked `item: 'server'`). A
 * `DrainStoreError` names the item when one does not fit.
 */
export function recordsOf(item: Item, tableName: string): DrainRecord[] {
  const sk = item.sk?.S ?? '(no key)';
  if (sk.startsWith('server#')) return [parsed(plainOf(item, { item: 'server' }), sk, tableName)];
  const servers = item.servers?.M ?? {};
  const base = { projectId: item.projectId?.S, groupId: item.groupId?.S };
  return Object.entries(servers).map(([serverId, entry]) =>
    parsed(plainOf(entry.M ?? {}, { ...base, serverId }), `${sk} server ${serverId}`, tableName),
  );
}

/** An older version's server item as it wrote it (tests of reading the old shape write it so). */
export function toServerItem(record: DrainRecord): Item {
  const item: Item = serverKeyOf(record.projectId, record.serverId);
  for (const field of ITEM_STRINGS) item[field] = { S: record[field] };
  return { ...item, ...(toEntry(record).M ?? {}) };
}
