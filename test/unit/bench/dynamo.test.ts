import { describe, expect, it } from 'vitest';
import type { DeployedRun } from '../../../bench/lib/deployed-sweep.ts';
import { type DynamoRun, NEVER_HOLDS, uniformIdleFleet } from '../../../bench/lib/dynamo.ts';
import { dynamoLines } from '../../../bench/lib/dynamo-lines.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import { parseFleet } from '../../../sim/fleet.ts';

describe('uniformIdleFleet', () => {
  it('makes a fleet the simulator loads where every group drains exactly n servers over the floor of 1', () => {
    const fleet = parseFleet(uniformIdleFleet(30, 20, 42));
    const now = Date.parse(fleet.now ?? '');
    expect(fleet.groups).toHaveLength(30);
    const ecs = new Set(fleet.ecsServerGroups?.flatMap((g) => g.members));
    for (const group of fleet.groups) {
      const servers = fleet.servers.filter((s) => s.server_group_id === group.id);
      expect(servers).toHaveLength(21);
      expect(servers.every((s) => ecs.has(s.instance_id))).toBe(true);
      const decision = evaluateGroup({
        group,
        servers,
        sessions: [],
        now,
        limits: { minServersPerGroup: 1, maxRemovalsPerGroup: 20, protectTagKey: 'p' },
      });
      expect(decision.kind === 'scale-in' ? decision.remove.length : decision.kind).toBe(20);
    }
  });
});

const run = (
  perGroup: number,
  budgets: boolean,
  requests: Record<string, number>,
  drained = 20 * perGroup,
): DynamoRun => ({
  groups: 20,
  seed: 42,
  perGroup,
  budgets: budgets ? NEVER_HOLDS : '',
  run: {
    drained,
    actedGroups: 20,
    status: 'completed',
    errors: 0,
    dynamoRequests: requests,
  } as DeployedRun,
});

const SETTINGS = { drainSeconds: 10, removalMode: 'remove-member' };
const PLAIN = { PutItem: 20, UpdateItem: 60, DeleteItem: 40, Query: 1 };
const LEDGER = { ...PLAIN, GetItem: 40, PutItem: 60, Query: 41, UpdateItem: 80 };

describe('dynamoLines', () => {
  it('holds the requests a group costs to the same at 20 drained as at 2, and a server to 0.5 at 20', () => {
    const [flat, perServer] = dynamoLines(
      [run(2, false, PLAIN), run(20, false, PLAIN), run(2, true, LEDGER), run(20, true, LEDGER)],
      SETTINGS,
    );
    expect(flat).toMatchObject({ value: 1, met: true });
    expect(perServer).toMatchObject({ value: 0.3, met: true });
    expect(perServer?.shown).toContain('0.65 with a budget (its ledger: 7.0 more a group)');
  });

  it('misses when a group costs more as it drains more (a request a server)', () => {
    const perServerWrites = { ...PLAIN, UpdateItem: 60 + 20 * 20 };
    const [flat, perServer] = dynamoLines(
      [
        run(2, false, PLAIN),
        run(20, false, perServerWrites),
        run(2, true, LEDGER),
        run(20, true, LEDGER),
      ],
      SETTINGS,
    );
    expect(flat?.met).toBe(false);
    expect(perServer?.met).toBe(false);
  });

  it('misses when a run drained less than its fleet was made to drain', () => {
    const [flat] = dynamoLines(
      [
        run(2, false, PLAIN),
        run(20, false, PLAIN, 390),
        run(2, true, LEDGER),
        run(20, true, LEDGER),
      ],
      SETTINGS,
    );
    expect(flat?.met).toBe(false);
  });
});
