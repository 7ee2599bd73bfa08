import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { RemovalReason } from '../../budgets/budget.ts';
import {
  type DynamoClientFactory,
  defaultDynamoClient,
  dynamoSdk,
  storeError,
} from '../store/dynamo.ts';

type Item = Record<string, AttributeValue>;

/** One admitted removal as the ledger keeps it (its own item, never inside a drain record). */
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
}

/** A project's ledger as read: the head's version, the member counts it keeps, every live admission. */
export interface LedgerView {
  version: number;
  /** Members of each group as last admitted from: the base of a project percentage. */
  members: Record<string, number>;
  admissions: Admission[];
}

/** The ledger of disruption budgets (lib/removal/budget/admit.ts decides with it). */
export interface BudgetLedger {
  /** Every admission of `projectId` whose item has not expired at `nowMs`. */
  read(projectId: string, nowMs: number): Promise<LedgerView>;
  /**
   * Writes `admissions` and the head (`members`, version + 1) in one
   * transaction, only if the head still has `version`: false when another
   * actor admitted since the read (read again and decide again).
   */
  admit(
    projectId: string,
    version: number,
    members: Record<string, number>,
    admissions: readonly Admission[],
    retainMs: number,
  ): Promise<boolean>;
  /** Marks the admissions ended (one transaction per 100). */
  end(projectId: string, ended: readonly Ending[]): Promise<void>;
}

/** Most items one TransactWriteItems takes. */
export const TRANSACT_MAX = 100;

const pkOf = (projectId: string) => `budget#${projectId}`;
const skOf = (a: Pick<Admission, 'startMs' | 'serverId'>) =>
  `adm#${String(a.startMs).padStart(15, '0')}#${a.serverId}`;
const n = (value: number): AttributeValue => ({ N: String(value) });
const num = (item: Item, key: string): number | undefined =>
  item[key]?.N === undefined ? undefined : Number(item[key]?.N);

function admissionOf(item: Item): Admission | undefined {
  const startMs = num(item, 'startMs');
  const holdUntilMs = num(item, 'holdUntilMs');
  const reason = item.reason?.S;
  if (startMs === undefined || holdUntilMs === undefined) return undefined;
  const admission: Admission = {
    groupId: item.groupId?.S ?? '',
    serverId: item.serverId?.S ?? '',
    // An unknown reason counts under every budget that names none (fail safe).
    reason: reason === 'logoff' ? 'logoff' : 'idle',
    startMs,
    holdUntilMs,
  };
  const endedMs = num(item, 'endedMs');
  if (endedMs !== undefined) admission.endedMs = endedMs;
  const how = item.how?.S;
  if (how === 'removed' || how === 'not-removed') admission.how = how;
  return admission;
}

/**
 * The budget ledger in the drain table: `pk` = `budget#<project>`, a `head`
 * item (version, member counts) and one `adm#<start>#<server>` item per
 * admitted removal, each with a `ttl` (its start + the longest window + a
 * day) so the ledger expires by itself. Reads are strongly consistent;
 * every failure is a DrainStoreError naming the operation and the table.
 */
export function createBudgetLedger(options: {
  tableName: string;
  client?: DynamoClientFactory;
}): BudgetLedger {
  const { tableName, client = defaultDynamoClient } = options;
  const attempt = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw storeError(operation, tableName, error);
    }
  };
  const sdk = async () => {
    const [dynamo, commands] = await Promise.all([client(), dynamoSdk()]);
    return { dynamo, ...commands };
  };
  const endOne = async (projectId: string, a: Ending) => {
    const { dynamo, UpdateItemCommand } = await sdk();
    await attempt('UpdateItem', () =>
      dynamo.send(new UpdateItemCommand(endingOf(tableName, projectId, a))),
    ).catch((error: unknown) => {
      if (!isConditional(error)) throw error;
    });
  };

  return {
    async read(projectId, nowMs) {
      const view: LedgerView = { version: 0, members: {}, admissions: [] };
      let start: Item | undefined;
      do {
        const { dynamo, QueryCommand } = await sdk();
        const query = new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pkOf(projectId) } },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        });
        const page = await attempt('Query', () => dynamo.send(query));
        for (const item of page.Items ?? []) {
          if (item.sk?.S === 'head') {
            view.version = num(item, 'version') ?? 0;
            for (const [groupId, value] of Object.entries(item.members?.M ?? {})) {
              view.members[groupId] = Number(value.N ?? 0);
            }
            continue;
          }
          // DynamoDB deletes expired items late (up to days): an expired one is gone already.
          const ttl = num(item, 'ttl');
          if (ttl !== undefined && ttl * 1_000 <= nowMs) continue;
          const admission = admissionOf(item);
          if (admission !== undefined) view.admissions.push(admission);
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return view;
    },

    async admit(projectId, version, members, admissions, retainMs) {
      const pk = { S: pkOf(projectId) };
      const latest = Math.max(0, ...admissions.map((a) => a.startMs));
      const head = {
        Put: {
          TableName: tableName,
          Item: {
            pk,
            sk: { S: 'head' },
            version: n(version + 1),
            members: { M: Object.fromEntries(Object.entries(members).map(([g, c]) => [g, n(c)])) },
            ttl: n(Math.ceil((latest + retainMs) / 1_000)),
          },
          ConditionExpression:
            version === 0 ? 'attribute_not_exists(version)' : 'version = :version',
          ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': n(version) } }),
        },
      };
      const puts = admissions.map((a) => ({
        Put: {
          TableName: tableName,
          Item: {
            pk,
            sk: { S: skOf(a) },
            groupId: { S: a.groupId },
            serverId: { S: a.serverId },
            reason: { S: a.reason },
            startMs: n(a.startMs),
            holdUntilMs: n(a.holdUntilMs),
            ttl: n(Math.ceil((a.startMs + retainMs) / 1_000)),
          },
        },
      }));
      try {
        const { dynamo, TransactWriteItemsCommand } = await sdk();
        const write = new TransactWriteItemsCommand({ TransactItems: [head, ...puts] });
        await attempt('TransactWriteItems', () => dynamo.send(write));
        return true;
      } catch (error) {
        if (isVersionConflict(error)) return false;
        throw error;
      }
    },

    async end(projectId, ended) {
      const { dynamo, TransactWriteItemsCommand } = await sdk();
      for (let i = 0; i < ended.length; i += TRANSACT_MAX) {
        const chunk = ended.slice(i, i + TRANSACT_MAX);
        const items = chunk.map((a) => ({ Update: endingOf(tableName, projectId, a) }));
        try {
          await attempt('TransactWriteItems', () =>
            dynamo.send(new TransactWriteItemsCommand({ TransactItems: items })),
          );
        } catch (error) {
          if (!isVersionConflict(error)) throw error;
          // An item was gone already (expired): end the others one by one.
          for (const a of chunk) await endOne(projectId, a);
        }
      }
    },
  };
}

type Ending = Pick<Admission, 'serverId' | 'startMs' | 'endedMs' | 'how'>;

// The update that marks one admission ended; an item already expired and deleted stays gone.
function endingOf(tableName: string, projectId: string, a: Ending) {
  return {
    TableName: tableName,
    Key: { pk: { S: pkOf(projectId) }, sk: { S: skOf(a) } },
    UpdateExpression: 'SET endedMs = :ended, how = :how',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: {
      ':ended': n(a.endedMs ?? 0),
      ':how': { S: a.how ?? 'not-removed' },
    },
  };
}

const RETRYABLE_REASONS = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict']);

// A transaction refused by a condition, or racing another on the same item:
// nothing was written, so the caller may read again and try again.
function isVersionConflict(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const name = cause instanceof Error ? cause.name : '';
  if (name === 'TransactionConflictException') return true;
  const reasons = (cause as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return (
    name === 'TransactionCanceledException' &&
    (reasons ?? []).every((r) => RETRYABLE_REASONS.has(r.Code ?? 'None'))
  );
}

function isConditional(error: unknown): boolean {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return cause instanceof Error && cause.name === 'ConditionalCheckFailedException';
}
