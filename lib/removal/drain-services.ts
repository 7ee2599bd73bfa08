import { createGroupLease } from './lease/group-lease.ts';
import { createDrainStore } from './store/drain-store.ts';
import type { DynamoClientFactory } from './store/dynamo.ts';
import type { DrainServices } from './types.ts';

/**
 * The drain table's services for `tableName`: the drain records and the
 * group leases, through `client` (the SDK's default chain when left out).
 * Only the functions that remove pass it to their invocation
 * (functions/invocation.ts), so a function that never drains (recommend)
 * neither bundles nor needs the table's permissions.
 */
export function createDrainServices(
  tableName: string,
  client?: DynamoClientFactory,
): DrainServices {
  const options = client === undefined ? { tableName } : { tableName, client };
  return { store: createDrainStore(options), lease: createGroupLease(options) };
}

/** How an invocation makes its drain services. */
export type DrainServicesFactory = typeof createDrainServices;
