import type { AttributeValue, DynamoDBClient, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { formatIssues } from '../validation.ts';
import {
  type DynamoClientFactory,
  defaultDynamoClient,
  dynamoSdk,
  isConditionalFailure,
  storeError,
} from './dynamo.ts';
import { DrainConflictError, type DrainConflictKind, DrainStoreError } from './store-errors.ts';

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
  /** `drainedAtMs` + the drain period: no action before this instant; epoch ms. */
  drainUntilMs: z.number().int().nonnegative(),
  /**
   * The abandoned sessions logged off while the server drains (README "Log-off
   * of abandoned sessions"): the re-check then removes it only with no session
   * at all. Absent on records written without a log-off (and by older versions).
   */
  logoffSessionIds: z.array(z.string().min(1)).min(1).optional(),
});
export type DrainRecord = z.infer<typeof DrainRecordSchema>;

export interface DrainStoreOptions {
  tableName: string;
  client?: DynamoClientFactory;
  /** Items per Query page (DynamoDB's own 1 MB page when left out); tests use it to page. */
  queryPageSize?: number;
}

const STRING_FIELDS = [
  'projectId',
  'serverId',
  'groupId',
  'instanceId',
  'machineName',
  'owner',
  'state',
] as const;
const NUMBER_FIELDS = ['drainedAtMs', 'drainUntilMs'] as const;

type Item = Record<string, AttributeValue>;
type DynamoSdk = Awaited<ReturnType<typeof dynamoSdk>>;

function keyOf(projectId: string, serverId: string): Record<string, AttributeValue> {
  return { pk: { S: `drain#${projectId}` }, sk: { S: `server#${serverId}` } };
}

function toItem(record: DrainRecord): Record<string, AttributeValue> {
  const item = keyOf(record.projectId, record.serverId);
  for (const field of STRING_FIELDS) {
    const value = record[field];
    if (value !== undefined) item[field] = { S: value };
  }
  for (const field of NUMBER_FIELDS) item[field] = { N: String(record[field]) };
  if (record.logoffSessionIds !== undefined) {
    item.logoffSessionIds = { L: record.logoffSessionIds.map((id) => ({ S: id })) };
  }
  return item;
}

function fromItem(item: Record<string, AttributeValue>, tableName: string): DrainRecord {
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

/**
 * The durable record of the servers we drained, one DynamoDB item each
 * (`pk` = `drain#<project>`, `sk` = `server#<id>`). Every write is
 * conditional, so two actors never both believe they own one drain; a refused
 * condition throws `DrainConflictError`, any other failure `DrainStoreError`.
 * Reads are strongly consistent.
 */
export function createDrainStore(options: DrainStoreOptions) {
  const { tableName, client = defaultDynamoClient, queryPageSize } = options;

  async function read(projectId: string, serverId: string): Promise<DrainRecord | undefined> {
    const [dynamo, { GetItemCommand }] = await Promise.all([client(), dynamoSdk()]);
    try {
      const answer = await dynamo.send(
        new GetItemCommand({
          TableName: tableName,
          Key: keyOf(projectId, serverId),
          ConsistentRead: true,
        }),
      );
      return answer.Item === undefined ? undefined : fromItem(answer.Item, tableName);
    } catch (error) {
      if (error instanceof DrainStoreError) throw error;
      throw storeError('GetItem', tableName, error);
    }
  }

  // After a refused condition: read the record once to say why, best effort.
  async function conflict(
    operation: string,
    projectId: string,
    serverId: string,
    guess: (current: DrainRecord | undefined) => DrainConflictKind,
    cause: unknown,
  ): Promise<DrainConflictError> {
    const current = await read(projectId, serverId).catch(() => undefined);
    return new DrainConflictError(
      {
        kind: guess(current),
        operation,
        projectId,
        serverId,
        currentOwner: current?.owner,
        currentState: current?.state,
      },
      { cause },
    );
  }

  // One conditional write; a refused condition becomes a DrainConflictError.
  async function write(
    operation: string,
    projectId: string,
    serverId: string,
    run: (dynamo: DynamoDBClient, sdk: DynamoSdk) => Promise<{ Attributes?: Item | undefined }>,
    guess: (current: DrainRecord | undefined) => DrainConflictKind,
  ): Promise<Item | undefined> {
    const [dynamo, sdk] = await Promise.all([client(), dynamoSdk()]);
    try {
      return (await run(dynamo, sdk)).Attributes;
    } catch (error) {
      if (isConditionalFailure(error)) {
        throw await conflict(operation, projectId, serverId, guess, error);
      }
      throw storeError(operation, tableName, error);
    }
  }

  const ownerGuess =
    (state?: DrainState) =>
    (current: DrainRecord | undefined): DrainConflictKind => {
      if (current === undefined) return 'not-recorded';
      if (state !== undefined && current.state !== state) return 'state-mismatch';
      return 'owner-mismatch';
    };

  return {
    /** The record of `serverId`, or `undefined` when we never drained it (or it is settled). */
    getDrain: read,

    /**
     * Writes a new record in state `draining`; refused (`already-recorded`)
     * when the server has one, whoever owns it. Call BEFORE requesting
     * maintenance, so a server we put into maintenance always has a record.
     */
    async recordDrain(record: Omit<DrainRecord, 'state'>): Promise<DrainRecord> {
      const full = DrainRecordSchema.parse({ ...record, state: 'draining' });
      await write(
        'recordDrain',
        full.projectId,
        full.serverId,
        (dynamo, { PutItemCommand }) =>
          dynamo.send(
            new PutItemCommand({
              TableName: tableName,
              Item: toItem(full),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        () => 'already-recorded',
      );
      return full;
    },

    /** Every record of `projectId` (all pages), by server id: what the next sweep recovers. */
    async listDrains(projectId: string): Promise<DrainRecord[]> {
      const [dynamo, { QueryCommand }] = await Promise.all([client(), dynamoSdk()]);
      const records: DrainRecord[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        let answer: QueryCommandOutput;
        try {
          answer = await dynamo.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: `drain#${projectId}` } },
              ConsistentRead: true,
              ...(queryPageSize ? { Limit: queryPageSize } : {}),
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
        } catch (error) {
          throw storeError('Query', tableName, error);
        }
        for (const item of answer.Items ?? []) records.push(fromItem(item, tableName));
        start = answer.LastEvaluatedKey;
      } while (start !== undefined);
      return records;
    },

    /** `draining` → `acting`, only by its owner: call right before the removal or release. */
    async markActing(projectId: string, serverId: string, owner: string): Promise<DrainRecord> {
      const attributes = await write(
        'markActing',
        projectId,
        serverId,
        (dynamo, { UpdateItemCommand }) =>
          dynamo.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: keyOf(projectId, serverId),
              UpdateExpression: 'SET #state = :acting',
              ConditionExpression: '#owner = :owner AND #state = :draining',
              ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
              ExpressionAttributeValues: {
                ':owner': { S: owner },
                ':acting': { S: 'acting' },
                ':draining': { S: 'draining' },
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        ownerGuess('draining'),
      );
      return fromItem(attributes ?? {}, tableName);
    },

    /**
     * Hands a record from `fromOwner` to `toOwner` (crash recovery: the next
     * sweep, holding the group's lease, takes over a dead invocation's drain).
     */
    async claimDrain(
      projectId: string,
      serverId: string,
      fromOwner: string,
      toOwner: string,
    ): Promise<DrainRecord> {
      const attributes = await write(
        'claimDrain',
        projectId,
        serverId,
        (dynamo, { UpdateItemCommand }) =>
          dynamo.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: keyOf(projectId, serverId),
              UpdateExpression: 'SET #owner = :to',
              ConditionExpression: '#owner = :from',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':from': { S: fromOwner }, ':to': { S: toOwner } },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        ownerGuess(),
      );
      return fromItem(attributes ?? {}, tableName);
    },

    /** Deletes the record after the action succeeded: only its owner, only in state `acting`. */
    async completeDrain(projectId: string, serverId: string, owner: string): Promise<void> {
      await write(
        'completeDrain',
        projectId,
        serverId,
        (dynamo, { DeleteItemCommand }) =>
          dynamo.send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: keyOf(projectId, serverId),
              ConditionExpression: '#owner = :owner AND #state = :acting',
              ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
              ExpressionAttributeValues: { ':owner': { S: owner }, ':acting': { S: 'acting' } },
            }),
          ),
        ownerGuess('acting'),
      );
    },

    /**
     * Deletes the record after maintenance was undone (or found lifted): only
     * its owner, in any state.
     */
    async clearDrain(projectId: string, serverId: string, owner: string): Promise<void> {
      await write(
        'clearDrain',
        projectId,
        serverId,
        (dynamo, { DeleteItemCommand }) =>
          dynamo.send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: keyOf(projectId, serverId),
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':owner': { S: owner } },
            }),
          ),
        ownerGuess(),
      );
    },
  };
}

export type DrainStore = ReturnType<typeof createDrainStore>;
