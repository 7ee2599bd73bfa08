import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RemovalReason } from '../../budgets/budget.ts';
import {
  type DynamoClientFactory,
  defaultDynamoClient,
  dynamoSdk,
  isConditionalFailure,
  storeError,
} from '../store/dynamo.ts';

type Item = Record<string, AttributeValue>;

/** One admitted removal as the ledger keeps it (its own items, never inside a drain record). */
export interface Admission {
  groupId: string;
  serverId: string;
  reason: RemovalReason;
  /** When it was admitted, epoch ms. */
  startMs: number;
  /** Until when it counts as in flight unless ended (the drain hold); epoch ms. */
  holdUntilMs: number;
  /** Set once the removal ended: when, and whether the server left the group. */
  endedMs?: number;
  how?: 'removed' | 'not-removed';
  /** The ledger item that holds it (one per admitted batch of a group). */
  batch?: string;
}

/** A project's ledger as read: the head's version, the member counts it keeps, every live admission. */
export interface LedgerView {
  version: number;
  /** Members of each group as last admitted from: the base of a project percentage. */
  members: Record<string, number>;
  admissions: Admission[];
}

/** The ledger of disruption budgets (lib/removal/drain/admit.ts decides with it). */
export interface BudgetLedger {
  /** The head, then every admission of `projectId` whose item has not expired at `nowMs`. */
  read(projectId: string, nowMs: number): Promise<LedgerView>;
  /**
   * Records `admissions` (one group's, one item) and then moves the head to
   * version + 1 with `members`, only if it still has `version`: false when
   * another actor admitted since the read (the item is taken back; read
   * again and decide again).
   */
  admit(
    projectId: string,
    version: number,
    members: Record<string, number>,
    admissions: readonly Admission[],
    retainMs: number,
  ): Promise<boolean>;
  /** Marks admissions ended: one write per ledger item touched. */
  end(projectId: string, ended: readonly Ending[]): Promise<void>;
}

/** An admission's end, as `end` writes it. */
export type Ending = Required<Pick<Admission, 'serverId' | 'batch' | 'endedMs' | 'how'>>;

/** Most admissions a batch item holds (an item stays far below DynamoDB's 400 KB). */
export const BATCH_MAX = 100;

const HEAD = 'head';
const pkOf = (projectId: string) => ({ S: `budget#${projectId}` });
const n = (value: number): AttributeValue => ({ N: String(value) });
const num = (item: Item, key: string): number | undefined =>
  item[key]?.N === undefined ? undefined : Number(item[key]?.N);

// One batch item's admissions: `servers` maps each server to its reason, and
// an ended one carries `end:<server id>` = `<how>@<ms>`.
function admissionsOf(item: Item): Admission[] {
  const startMs = num(item, 'startMs');
  const holdUntilMs = num(item, 'holdUntilMs');
  const batch = item.sk?.S;
  if (startMs === undefined || holdUntilMs === undefined || batch === undefined) return [];
  return Object.entries(item.servers?.M ?? {}).map(([serverId, reason]) => {
    const admission: Admission = {
      groupId: item.groupId?.S ?? '',
      serverId,
      // An unknown reason counts under every budget that names none (fail safe).
      reason: reason.S === 'logoff' ? 'logoff' : 'idle',
      startMs,
      holdUntilMs,
      batch,
    };
    const [how, at] = (item[`end:${serverId}`]?.S ?? '').split('@');
    if (at !== undefined) {
      admission.endedMs = Number(at);
      admission.how = how === 'removed' ? 'removed' : 'not-removed';
    }
    return admission;
  });
}

/**
 * The budget ledger in the drain table: `pk` = `budget#<project>`, a `head`
 * item (version, member counts) and one `adm#<start>#<id>` item per admitted
 * batch of one group, each with a `ttl` (its start + the longest window + a
 * margin) so the ledger expires by itself. An admission is its batch item
 * written first, then the head moved on by a conditional write: a reader
 * reads the head before the batches, so a batch it missed belongs to a head
 * move after its read, and its own move then fails. A batch whose head move
 * failed, or whose writer died first, is counted until it expires (fail
 * safe). Reads are strongly consistent; failures are DrainStoreErrors.
 */
export function createBudgetLedger(options: {
  tableName: string;
  client?: DynamoClientFactory;
}): BudgetLedger {
  const { tableName, client = defaultDynamoClient } = options;
  const sdk = async () => {
    const [dynamo, commands] = await Promise.all([client(), dynamoSdk()]);
    return { dynamo, ...commands };
  };
  const attempt = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw storeError(operation, tableName, error);
    }
  };

  return {
    async read(projectId, nowMs) {
      const { dynamo, GetItemCommand, QueryCommand } = await sdk();
      const view: LedgerView = { version: 0, members: {}, admissions: [] };
      const key = { pk: pkOf(projectId), sk: { S: HEAD } };
      const get = new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true });
      const head = (await attempt('GetItem', () => dynamo.send(get))).Item;
      if (head !== undefined) {
        view.version = num(head, 'version') ?? 0;
        for (const [groupId, value] of Object.entries(head.members?.M ?? {})) {
          view.members[groupId] = Number(value.N ?? 0);
        }
      }
      let start: Item | undefined;
      do {
        const query = new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :adm)',
          ExpressionAttributeValues: { ':pk': pkOf(projectId), ':adm': { S: 'adm#' } },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        });
        const page = await attempt('Query', () => dynamo.send(query));
        for (const item of page.Items ?? []) {
          // DynamoDB deletes expired items late (up to days): an expired one is gone already.
          const ttl = num(item, 'ttl');
          if (ttl !== undefined && ttl * 1_000 <= nowMs) continue;
          view.admissions.push(...admissionsOf(item));
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return view;
    },

    async admit(projectId, version, members, admissions, retainMs) {
      const { dynamo, PutItemCommand, DeleteItemCommand } = await sdk();
      const first = admissions[0];
      if (first === undefined) return true;
      const sk = { S: `adm#${String(first.startMs).padStart(15, '0')}#${randomUUID()}` };
      const ttl = n(Math.ceil((first.startMs + retainMs) / 1_000));
      const batch = new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: pkOf(projectId),
          sk,
          groupId: { S: first.groupId },
          startMs: n(first.startMs),
          holdUntilMs: n(first.holdUntilMs),
          servers: { M: Object.fromEntries(admissions.map((a) => [a.serverId, { S: a.reason }])) },
          ttl,
        },
      });
      await attempt('PutItem', () => dynamo.send(batch));
      const head = new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: pkOf(projectId),
          sk: { S: HEAD },
          version: n(version + 1),
          members: { M: Object.fromEntries(Object.entries(members).map(([g, c]) => [g, n(c)])) },
          ttl,
        },
        ConditionExpression: version === 0 ? 'attribute_not_exists(version)' : 'version = :v',
        ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': n(version) } }),
      });
      try {
        await dynamo.send(head);
        return true;
      } catch (error) {
        if (!isConditionalFailure(error)) throw storeError('PutItem', tableName, error);
        // Another actor admitted first: take the batch back (left behind, it counts until it expires).
        const undo = new DeleteItemCommand({
          TableName: tableName,
          Key: { pk: pkOf(projectId), sk },
        });
        await attempt('DeleteItem', () => dynamo.send(undo));
        return false;
      }
    },

    async end(projectId, ended) {
      const { dynamo, UpdateItemCommand } = await sdk();
      const byBatch = new Map<string, Ending[]>();
      for (const e of ended) byBatch.set(e.batch, [...(byBatch.get(e.batch) ?? []), e]);
      for (const [batch, ends] of byBatch) {
        const names = Object.fromEntries(ends.map((e, i) => [`#e${i}`, `end:${e.serverId}`]));
        const values = Object.fromEntries(
          ends.map((e, i) => [`:e${i}`, { S: `${e.how}@${e.endedMs}` }]),
        );
        const update = new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: pkOf(projectId), sk: { S: batch } },
          UpdateExpression: `SET ${ends.map((_, i) => `#e${i} = :e${i}`).join(', ')}`,
          // A batch already expired and deleted is not written again.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        });
        await attempt('UpdateItem', () => dynamo.send(update)).catch((error: unknown) => {
          if (!isConditionalFailure((error as Error).cause)) throw error;
        });
      }
    },
  };
}
