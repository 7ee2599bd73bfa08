import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/lib/local-dynamodb.ts';
import type { Simulator } from '../../sim/server.ts';
import { startFrozenSimulator } from './stack.ts';

const mockSqs = () => mockClient(SQSClient);

/** What `useDrainStack` holds for the tests of one describe block. */
export interface DrainStack {
  /** A fresh frozen simulator per test. */
  sim: Simulator;
  /** One local DynamoDB (dynalite) with the drain table for the block. */
  dynamo: LocalDynamoDb;
  /** SQS mocked: every batch entry is accepted, a single send answers `dlq-message`. */
  sqs: ReturnType<typeof mockSqs>;
}

/**
 * Registers the hooks of a test of the drain table: a local DynamoDB for the
 * block, emptied before each test. Read `dynamo` inside tests and hooks
 * registered after this call.
 */
export function useDrainTable(): Pick<DrainStack, 'dynamo'> {
  const table = {} as Pick<DrainStack, 'dynamo'>;
  beforeAll(async () => {
    table.dynamo = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await table.dynamo.close();
  });
  beforeEach(async () => {
    await emptyTable(table.dynamo);
  });
  return table;
}

/**
 * Registers the hooks of a drain test against the simulator: the drain table
 * of `useDrainTable`, a frozen simulator and a reset SQS mock per test.
 * Read the fields inside tests and hooks registered after this call.
 */
export function useDrainStack(): DrainStack {
  const sqs = mockSqs();
  const table = useDrainTable();
  const stack = {
    sqs,
    get dynamo() {
      return table.dynamo;
    },
  } as DrainStack;
  afterAll(() => {
    sqs.restore();
  });
  beforeEach(async () => {
    // Every test starts at the simulator's same frozen instant (the table was
    // emptied first): a lease or record an earlier test left would still be alive.
    stack.sim = await startFrozenSimulator();
    sqs.reset();
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: unknown[] }) => ({
      Successful: input.Entries.map((_, i) => ({ Id: `m${i}` })),
      Failed: [],
    }));
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-message' });
  });
  afterEach(async () => {
    await stack.sim.close();
  });
  return stack;
}

/** Deletes every item of the drain table (records and leases). */
export async function emptyTable(dynamo: LocalDynamoDb): Promise<void> {
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
  for (const item of Items) {
    const { pk, sk } = item;
    if (pk === undefined || sk === undefined) continue;
    await dynamo.client.send(
      new DeleteItemCommand({ TableName: dynamo.tableName, Key: { pk, sk } }),
    );
  }
}
