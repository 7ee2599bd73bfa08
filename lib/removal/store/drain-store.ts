import type { AttributeValue, DynamoDBClient, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  type DrainRecord,
  DrainRecordSchema,
  type DrainState,
  fromItem,
  keyOf,
  toItem,
} from './drain-record.ts';
import {
  type DynamoClientFactory,
  defaultDynamoClient,
  dynamoSdk,
  isConditionalFailure,
  storeError,
} from './dynamo.ts';
import { DrainConflictError, type DrainConflictKind, DrainStoreError } from './store-errors.ts';

type Item = Record<string, AttributeValue>;
type DynamoSdk = Awaited<ReturnType<typeof dynamoSdk>>;

export {
  type DrainRecord,
  DrainRecordSchema,
  type DrainState,
  DrainStateSchema,
} from './drain-record.ts';

export interface DrainStoreOptions {
  tableName: string;
  client?: DynamoClientFactory;
  /** Items per Query page (DynamoDB's own 1 MB page when left out); tests use it to page. */
  queryPageSize?: number;
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

  // One update of a record still `draining`, only by its owner; the record after it.
  async function updateDraining(
    operation: string,
    projectId: string,
    serverId: string,
    owner: string,
    update: string,
    values: Item,
  ): Promise<DrainRecord> {
    const attributes = await write(
      operation,
      projectId,
      serverId,
      (dynamo, { UpdateItemCommand }) =>
        dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(projectId, serverId),
            UpdateExpression: update,
            ConditionExpression: '#owner = :owner AND #state = :draining',
            ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
            ExpressionAttributeValues: {
              ':owner': { S: owner },
              ':draining': { S: 'draining' },
              ...values,
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      ownerGuess('draining'),
    );
    return fromItem(attributes ?? {}, tableName);
  }

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
    markActing(projectId: string, serverId: string, owner: string): Promise<DrainRecord> {
      return updateDraining('markActing', projectId, serverId, owner, 'SET #state = :acting', {
        ':acting': { S: 'acting' },
      });
    },

    /**
     * Hands a record from `fromOwner` to `toOwner` (crash recovery: the next
     * sweep, holding the group's lease, takes over a dead invocation's drain).
     * Refused while the owner is alive: `ownerUntilMs` (else `drainUntilMs`)
     * still after `now`. The new owner holds it until `ownerUntilMs`.
     */
    async claimDrain(
      projectId: string,
      serverId: string,
      claim: { fromOwner: string; toOwner: string; now: number; ownerUntilMs: number },
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
              UpdateExpression: 'SET #owner = :to, ownerUntilMs = :until',
              ConditionExpression:
                '#owner = :from AND (ownerUntilMs <= :now OR (attribute_not_exists(ownerUntilMs) AND drainUntilMs <= :now))',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: {
                ':from': { S: claim.fromOwner },
                ':to': { S: claim.toOwner },
                ':now': { N: String(claim.now) },
                ':until': { N: String(claim.ownerUntilMs) },
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        ownerGuess(),
      );
      return fromItem(attributes ?? {}, tableName);
    },

    /**
     * Maintenance confirmed: the period starts now, so `drainUntilMs` and
     * `ownerUntilMs` move to the confirmed instant's. Only its owner, only
     * while `draining`.
     */
    confirmMaintenance(
      projectId: string,
      serverId: string,
      owner: string,
      times: Pick<DrainRecord, 'drainUntilMs' | 'ownerUntilMs'>,
    ): Promise<DrainRecord> {
      return updateDraining(
        'confirmMaintenance',
        projectId,
        serverId,
        owner,
        'SET drainUntilMs = :drain, ownerUntilMs = :until',
        {
          ':drain': { N: String(times.drainUntilMs) },
          ':until': { N: String(times.ownerUntilMs ?? times.drainUntilMs) },
        },
      );
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
