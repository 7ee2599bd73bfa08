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
 * Registers the hooks of a drain test against the simulator: a local
 * DynamoDB for the block, a frozen simulator and a reset SQS mock per test.
 * Read the fields inside tests and hooks registered after this call.
 */
export function useDrainStack(): DrainStack {
  const sqs = mockSqs();
  const stack = { sqs } as DrainStack;
  beforeAll(async () => {
    stack.dynamo = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await stack.dynamo.close();
    sqs.restore();
  });
  beforeEach(async () => {
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
