import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admitRemovals,
  budgetBlock,
  type LedgerEntry,
  pruneLedger,
  type RemovalAsk,
} from '../../../lib/budgets/allowance.ts';
import {
  type Budget,
  budgetCovers,
  isBudgetActive,
  limitOf,
  parseBudgets,
  type RemovalReason,
} from '../../../lib/budgets/budget.ts';
import { type Schedules, SchedulesSchema } from '../../../lib/scaling/schedule.ts';

const MINUTE = 60_000;
const DAY_START = Date.UTC(2026, 11, 7, 0, 0, 0); // a Monday
const SCHEDULES: Schedules = SchedulesSchema.parse({
  office: {
    timeZone: 'UTC',
    windows: [
      { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '08:00', to: '18:00', minServers: 1 },
    ],
  },
});

function parsed(text: string): Budget[] {
  const result = parseBudgets(text, SCHEDULES);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.budgets;
}

describe('parseBudgets', () => {
  it('reads the example of the issue', () => {
    const [share, hourly] = parsed('[{"max":"20%"},{"max":"10","per":"1h","scope":"project"}]');
    expect(share).toMatchObject({ max: { percent: 20 }, scope: 'group' });
    expect(share?.perMs).toBeUndefined();
    expect(hourly).toMatchObject({ max: { count: 10 }, perMs: 60 * MINUTE, scope: 'project' });
    expect(hourly?.name).toBe('BUDGETS[1] (10 per 1h, project)');
  });

  it.each([
    ['[{"max":"ten"}]', 'BUDGETS[0].max: expected "N" or "N%"'],
    ['[{"max":"1","per":"1w"}]', 'BUDGETS[0].per'],
    ['[{"max":"1"},{"max":"1","scope":"fleet"}]', 'BUDGETS[1].scope'],
    ['[{"max":"1","reasons":["busy"]}]', 'BUDGETS[0].reasons[0]'],
    ['[{"max":"1","schedule":"night"}]', 'BUDGETS[0].schedule: no schedule "night"'],
    ['[{"max":"1","extra":true}]', 'BUDGETS[0]'],
    ['{"max":"1"}', 'BUDGETS: '],
    ['[{', 'BUDGETS: not JSON'],
  ])('names the path of a bad budget: %s', (text, expected) => {
    const result = parseBudgets(text, SCHEDULES);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problems.join('; ')).toContain(expected);
  });

  it('rounds a percentage up, as Karpenter does', () => {
    const [budget] = parsed('[{"max":"10%"}]');
    expect(limitOf(budget!, 9)).toBe(1);
    expect(limitOf(budget!, 11)).toBe(2);
    expect(limitOf(budget!, 0)).toBe(0);
  });

  it('applies a budget with a schedule only inside its windows', () => {
    const [budget] = parsed('[{"max":"0","schedule":"office"}]');
    expect(isBudgetActive(budget!, DAY_START + 9 * 60 * MINUTE, SCHEDULES)).toBe(true);
    expect(isBudgetActive(budget!, DAY_START + 19 * 60 * MINUTE, SCHEDULES)).toBe(false);
  });
});

const ask = (serverId: string, groupId = 'g1', reason: RemovalReason = 'idle') => ({
  serverId,
  groupId,
  projectId: 'p1',
  reason,
  groupMembers: 10,
  projectMembers: 40,
});

describe('budgetBlock and admitRemovals', () => {
  it('lets the tightest active budget win and names it with when it frees up', () => {
    const budgets = parsed('[{"max":"5"},{"max":"2","per":"1h"}]');
    const now = DAY_START + 60 * MINUTE;
    const ledger: LedgerEntry[] = [
      { ...ask('a'), state: 'removed', at: now - 50 * MINUTE },
      { ...ask('b'), state: 'removed', at: now - 20 * MINUTE },
    ];
    const block = budgetBlock(budgets, ask('c'), ledger, now, SCHEDULES);
    expect(block?.budget.index).toBe(1);
    expect(block?.freesAt).toBe(now + 10 * MINUTE);
    expect(budgetBlock(budgets, ask('c'), ledger, now + 10 * MINUTE, SCHEDULES)).toBeUndefined();
  });

  it('counts drains in flight of every trigger and only the reasons a budget names', () => {
    const budgets = parsed('[{"max":"1","reasons":["logoff"]}]');
    const ledger: LedgerEntry[] = [{ ...ask('a', 'g1', 'logoff'), state: 'in-flight', at: 0 }];
    expect(budgetBlock(budgets, ask('b', 'g1', 'logoff'), ledger, 1, SCHEDULES)).toBeDefined();
    expect(budgetBlock(budgets, ask('b', 'g1', 'idle'), ledger, 1, SCHEDULES)).toBeUndefined();
    expect(budgetBlock(budgets, ask('b', 'g2', 'logoff'), ledger, 1, SCHEDULES)).toBeUndefined();
    const { admitted, held } = admitRemovals(
      parsed('[{"max":"2"}]'),
      [ask('x'), ask('y'), ask('z')],
      [],
      1,
      SCHEDULES,
    );
    expect(admitted.map((a) => a.serverId)).toEqual(['x', 'y']);
    expect(held.map((h) => h.ask.serverId)).toEqual(['z']);
  });
});

/**
 * Every budget active at `now` that counts one of `admitted` holds in the
 * scope of each admitted removal, given the ledger (a budget that turned
 * active over drains already in flight admits nothing more, which is all it can do).
 */
function violations(
  budgets: readonly Budget[],
  ledger: readonly LedgerEntry[],
  now: number,
  members: (groupId: string) => RemovalAsk,
  admitted: readonly LedgerEntry[],
): string[] {
  const found: string[] = [];
  for (const budget of budgets) {
    if (!isBudgetActive(budget, now, SCHEDULES)) continue;
    const counted = admitted.filter((e) => budgetCovers(budget, e.reason));
    for (const groupId of new Set(counted.map((e) => e.groupId))) {
      const scope = members(groupId);
      const counted = ledger.filter(
        (e) =>
          budgetCovers(budget, e.reason) && (budget.scope === 'project' || e.groupId === groupId),
      );
      const limit = limitOf(
        budget,
        budget.scope === 'project' ? scope.projectMembers : scope.groupMembers,
      );
      const inFlight = counted.filter((e) => e.state === 'in-flight').length;
      const windowed =
        budget.perMs === undefined
          ? inFlight
          : inFlight +
            counted.filter((e) => e.state === 'removed' && e.at > now - budget.perMs!).length;
      if (windowed > limit) found.push(`${budget.name} in ${groupId}: ${windowed} > ${limit}`);
    }
  }
  return found;
}

const GROUP_SIZE = { g1: 20, g2: 8, g3: 12 } as Record<string, number>;
const membersOf = (groupId: string): RemovalAsk => ({
  groupId,
  projectId: 'p1',
  reason: 'idle',
  groupMembers: GROUP_SIZE[groupId] ?? 0,
  projectMembers: 40,
});

type Step =
  | { kind: 'sweep' | 'message'; groups: string[]; reasons: RemovalReason[] }
  | { kind: 'finish'; pick: number }
  | { kind: 'crash' }
  | { kind: 'wait'; minutes: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom<'sweep' | 'message'>('sweep', 'message'),
    groups: fc.array(fc.constantFrom('g1', 'g2', 'g3'), { minLength: 1, maxLength: 8 }),
    reasons: fc.array(fc.constantFrom<RemovalReason>('idle', 'logoff'), {
      minLength: 8,
      maxLength: 8,
    }),
  }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(20) }),
  fc.constant<Step>({ kind: 'crash' }),
  fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 120 }) }),
);

const budgetArb = fc.record({
  max: fc.oneof(
    fc.nat(4).map(String),
    fc.integer({ min: 0, max: 60 }).map((n) => `${n}%`),
  ),
  per: fc.option(fc.constantFrom('15m', '1h', '3h'), { nil: undefined }),
  scope: fc.constantFrom('group', 'project'),
  reasons: fc.option(fc.subarray(['idle', 'logoff'], { minLength: 1 }), { nil: undefined }),
  schedule: fc.option(fc.constant('office'), { nil: undefined, freq: 3 }),
});

/** Runs sweeps and queue messages over one shared ledger: drains finish, invocations crash, time passes. */
function play(
  budgets: Budget[],
  steps: readonly Step[],
  start: number,
  ledger: LedgerEntry[] = [],
): string[] {
  let now = start;
  let serial = 0;
  const problems: string[] = [];
  for (const step of steps) {
    if (step.kind === 'wait') now += step.minutes * MINUTE;
    else if (step.kind === 'finish') {
      const flying = ledger.filter((e) => e.state === 'in-flight');
      const done = flying[step.pick % Math.max(1, flying.length)];
      if (done !== undefined) done.state = 'removed';
      if (done !== undefined) done.at = now;
    } else if (step.kind === 'crash') {
      // A crashed invocation leaves its drains in flight: they still count until they end.
    } else {
      const asks = step.groups.map((g, i) => ({
        ...membersOf(g),
        reason: step.reasons[i] ?? 'idle',
        serverId: `s${serial++}`,
      }));
      const { admitted } = admitRemovals(
        budgets,
        asks,
        pruneLedger(ledger, budgets, now),
        now,
        SCHEDULES,
      );
      const entries = admitted.map((a): LedgerEntry => ({ ...a, state: 'in-flight', at: now }));
      ledger.push(...entries);
      problems.push(
        ...violations(budgets, ledger, now, membersOf, entries).map(
          (v) => `${step.kind} at ${new Date(now).toISOString()}: ${v}`,
        ),
      );
    }
  }
  return problems;
}

describe('no sequence of sweeps, messages and crashes exceeds an active budget', () => {
  it('holds for any budgets and any interleaving', () => {
    fc.assert(
      fc.property(
        fc.array(budgetArb, { minLength: 1, maxLength: 3 }),
        fc.array(stepArb, { maxLength: 40 }),
        fc.integer({ min: 0, max: 7 * 24 * 60 }),
        (raw, steps, offset) => {
          const budgets = parsed(JSON.stringify(raw));
          expect(play(budgets, steps, DAY_START + offset * MINUTE)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a day at 15-minute steps under {"max":"10%","per":"1h"} and {"max":"2"}: inline and queue together', () => {
    const budgets = parsed('[{"max":"10%","per":"1h"},{"max":"2"}]');
    const steps: Step[] = [];
    for (let quarter = 0; quarter < 96; quarter++) {
      steps.push({
        kind: 'sweep',
        groups: ['g1', 'g1', 'g1', 'g2', 'g2', 'g3'],
        reasons: Array(8).fill('idle'),
      });
      steps.push({ kind: 'message', groups: ['g1', 'g3', 'g3'], reasons: Array(8).fill('logoff') });
      steps.push(
        { kind: 'wait', minutes: 5 },
        { kind: 'finish', pick: quarter },
        { kind: 'finish', pick: 0 },
      );
      if (quarter % 7 === 3) steps.push({ kind: 'crash' });
      steps.push({ kind: 'wait', minutes: 10 });
    }
    const ledger: LedgerEntry[] = [];
    expect(play(budgets, steps, DAY_START, ledger)).toEqual([]);
    // 10 % of g1 (20 members) is 2 an hour: the budgets bound, and they are reached.
    const removed = ledger.filter((e) => e.groupId === 'g1' && e.state === 'removed').length;
    expect(removed).toBeGreaterThan(24);
    expect(removed).toBeLessThanOrEqual(2 * 24);
  });

  it('a budget active only in a window applies only then', () => {
    const budgets = parsed('[{"max":"0","schedule":"office"}]');
    const admittedAt = (hour: number) =>
      admitRemovals(
        budgets,
        [{ ...membersOf('g1'), serverId: 'x' }],
        [],
        DAY_START + hour * 60 * MINUTE,
        SCHEDULES,
      ).admitted.length;
    expect([7, 8, 12, 17, 18, 22].map(admittedAt)).toEqual([1, 0, 0, 0, 1, 1]);
  });
});
