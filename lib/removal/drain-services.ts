import { type BudgetLedger, createBudgetLedger } from './budget/ledger.ts';
import { createGroupLease } from './lease/group-lease.ts';
import { createDrainStore } from './store/drain-store.ts';
import type { DynamoClientFactory } from './store/dynamo.ts';
import type { DrainServices } from './types.ts';

/**
 * The drain table's services for `tableName`: the drain records and the
 * group leases, through `client` (the SDK's default chain when left out).
 */
export function createDrainServices(
  tableName: string,
  client?: DynamoClientFactory,
): DrainServices {
  const options = client === undefined ? { tableName } : { tableName, client };
  return { store: createDrainStore(options), lease: createGroupLease(options) };
}

/** The disruption budgets' ledger, its own items in the drain table (lib/removal/budget/ledger.ts). */
export function createLedger(tableName: string, client?: DynamoClientFactory): BudgetLedger {
  return createBudgetLedger(client === undefined ? { tableName } : { tableName, client });
}

/**
 * What an invocation makes of the drain table. Only the functions that
 * remove pass it to their invocation (functions/invocation.ts), so a
 * function that never removes (recommend) neither bundles nor needs the
 * table's permissions.
 */
export const TABLE_SERVICES = { drains: createDrainServices, ledger: createLedger };

/** How an invocation makes its drain table's services. */
export type TableServices = typeof TABLE_SERVICES;
