import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../lib/removal/lifecycle.ts';

/** The table name the local stage and the tests use unless told otherwise. */
export const LOCAL_DRAIN_TABLE = 'aps-autoscaler-drain-local';

export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`: give it as `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  tableName: string;
  /** A client pointed at the server, with the dummy credentials it accepts. */
  client: DynamoDBClient;
  /** Requests the server has answered so far, by operation (`PutItem`, `Query`, …). */
  requests(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * Starts a real DynamoDB API server (dynalite, in memory) on 127.0.0.1 and
 * creates the drain table from `lib/removal/store/drain-table.json`, the definition
 * the stack deploys. `port` 0 (the default) picks a free one.
 */
export async function startLocalDynamoDb(
  options: { port?: number; tableName?: string } = {},
): Promise<LocalDynamoDb> {
  const { port = 0, tableName = LOCAL_DRAIN_TABLE } = options;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const counts: Record<string, number> = {};
  // The operation is the X-Amz-Target header's suffix (`DynamoDB_20120810.PutItem`).
  server.on('request', (request: { headers: Record<string, unknown> }) => {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    counts[operation] = (counts[operation] ?? 0) + 1;
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, tableName, client, requests: () => ({ ...counts }), close };
}
