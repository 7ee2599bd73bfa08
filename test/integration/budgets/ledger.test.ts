import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Budget, parseBudgets } from '../../../lib/budgets/budget.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import { createBudgetLedger } from '../../../lib/removal/budget/ledger.ts';
import { admitToBudgets, endAdmissions, entriesOf } from '../../../lib/removal/drain/admit.ts';
import type { RemovalSettings } from '../../../lib/removal/types.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import { emptyTable } from '../../helpers/drain-stack.ts';

// The budget ledger against a real local DynamoDB (dynalite): its own items,
// read back, ended, expiring; and two project-scope admitters at once never
// admit past the budget together (the version-conditioned transaction).

const PROJECT = 'p-budget';
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);

function budgetsOf(text: string): Budget[] {
  const parsed = parseBudgets(text, {});
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.budgets;
}

function settingsWith(budgets: Budget[], now = () => NOW) {
  return {
    projectId: PROJECT,
    now,
    budgets,
    dryRun: false,
    drainSeconds: 60,
    limits: { minServersPerGroup: 1, maxRemovalsPerGroup: 10, protectTagKey: 'p' },
  } satisfies Partial<RemovalSettings>;
}

const ask = (groupId: string, i: number) => ({
  groupId,
  groupMembers: 10,
  removal: {
    serverId: `${groupId}-s${i}`,
    instanceId: undefined,
    machineName: undefined,
    idleMinutes: 60,
  },
});

describe('the budget ledger in the drain table (dynalite)', () => {
  let dynamo: LocalDynamoDb;
  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await dynamo.close();
  });
  beforeEach(async () => {
    await emptyTable(dynamo);
  });
  const ledger = () =>
    createBudgetLedger({ tableName: dynamo.tableName, client: async () => dynamo.client });

  it('keeps each admission as its own item, ends it, and lets it expire', async () => {
    const budgets = budgetsOf('[{"max":"5","per":"1h"}]');
    const services = { budgetLedger: ledger(), log: createMemoryLog() };
    const { admitted } = await admitToBudgets(
      [ask('g1', 1), ask('g1', 2)],
      services,
      settingsWith(budgets),
    );
    expect(admitted).toHaveLength(2);
    let view = await ledger().read(PROJECT, NOW);
    expect(view.version).toBe(1);
    expect(view.members).toEqual({ g1: 10 });
    expect(view.admissions.map((a) => [a.serverId, a.endedMs])).toEqual([
      ['g1-s1', undefined],
      ['g1-s2', undefined],
    ]);
    await endAdmissions(
      new Map([
        ['g1-s1', 'removed'],
        ['g1-s2', 'drain-undone'],
      ]),
      services,
      settingsWith(budgets, () => NOW + 1_000),
    );
    view = await ledger().read(PROJECT, NOW + 2_000);
    expect(view.admissions.map((a) => [a.serverId, a.how])).toEqual([
      ['g1-s1', 'removed'],
      ['g1-s2', 'not-removed'],
    ]);
    // Only the removal counts in the window; past the window and its margin the items are gone.
    expect(entriesOf(view, PROJECT, NOW + 2_000).map((e) => e.state)).toEqual(['removed']);
    expect((await ledger().read(PROJECT, NOW + 26 * 3_600_000)).admissions).toEqual([]);
  });

  it('two project-scope admitters at once admit no more than the budget together', async () => {
    const budgets = budgetsOf('[{"max":"3","scope":"project"}]');
    for (let round = 0; round < 3; round++) {
      await emptyTable(dynamo);
      const actor = (groupId: string) =>
        admitToBudgets(
          [ask(groupId, 1), ask(groupId, 2), ask(groupId, 3)],
          { budgetLedger: ledger() },
          settingsWith(budgets),
        );
      const [a, b] = await Promise.all([actor('ga'), actor('gb')]);
      expect(a.admitted.length + b.admitted.length).toBe(3);
      expect(a.held.length + b.held.length).toBe(3);
      const view = await ledger().read(PROJECT, NOW);
      expect(view.admissions).toHaveLength(3);
      expect(a.held[0]?.detail ?? b.held[0]?.detail).toContain(
        'held back by BUDGETS[0] (3 at once, project); frees up when a drain in flight ends',
      );
    }
  });
});
