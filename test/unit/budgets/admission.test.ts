import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Budget, isBudgetActive, limitOf, parseBudgets } from '../../../lib/budgets/budget.ts';
import type {
  Admission,
  BudgetLedger,
  Ending,
  LedgerView,
} from '../../../lib/removal/budget/ledger.ts';
import { admitToBudgets, budgetDetail, entriesOf } from '../../../lib/removal/drain/admit.ts';
import { LEASE_TTL_MS } from '../../../lib/removal/lease/group-lease.ts';
import { type Schedules, SchedulesSchema } from '../../../lib/scaling/schedule.ts';

// Admission where drains start (lib/removal/drain/admit.ts) on an in-memory
// ledger with the DynamoDB one's contract (head read first, a batch then a
// version-conditioned head write), every ledger call's completion ordered by
// fast-check: no sequence of concurrent actors, ends and crashes (an actor
// that admits and dies, never ending) admits past an active budget.

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 7, 6, 0, 0); // a Monday, before the office window
const MEMBERS = 10;
// The drain period of the settings below plus one lease period (lib/removal/drain/admit.ts).
const HOLD_MS = 120_000 + LEASE_TTL_MS;
const SCHEDULES: Schedules = SchedulesSchema.parse({
  office: {
    timeZone: 'UTC',
    windows: [{ days: ['Mon'], from: '08:00', to: '18:00', minServers: 1 }],
  },
});
const BUDGETS = budgets(
  '[{"max":"20%","per":"1h"},{"max":"2"},{"max":"5","per":"2h","scope":"project"},{"max":"1","per":"30m","schedule":"office","reasons":["logoff"]}]',
);

function budgets(text: string): Budget[] {
  const parsed = parseBudgets(text, SCHEDULES);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.budgets;
}

/** The DynamoDB ledger's contract in memory: `delay` decides when each call completes. */
function memoryLedger(delay: <T>(value: () => T) => Promise<T>) {
  const state = {
    version: 0,
    members: {} as Record<string, number>,
    batches: new Map<string, Admission[]>(),
  };
  let ids = 0;
  const ledger: BudgetLedger = {
    read: async () => {
      const head = await delay(() => ({ version: state.version, members: { ...state.members } }));
      const admissions = await delay(() =>
        [...state.batches.values()].flat().map((a) => ({ ...a })),
      );
      return { ...head, admissions } satisfies LedgerView;
    },
    admit: async (_project, version, members, admissions) => {
      const batch = `adm#${ids++}`;
      await delay(() =>
        state.batches.set(
          batch,
          admissions.map((a) => ({ ...a, batch })),
        ),
      );
      return delay(() => {
        if (state.version !== version) {
          state.batches.delete(batch);
          return false;
        }
        state.version = version + 1;
        state.members = { ...members };
        return true;
      });
    },
    end: async (_project, ended: readonly Ending[]) => {
      await delay(() => {
        for (const e of ended) {
          const a = state.batches.get(e.batch)?.find((x) => x.serverId === e.serverId);
          if (a !== undefined) Object.assign(a, { endedMs: e.endedMs, how: e.how });
        }
      });
    },
  };
  return { ledger, state };
}

/** Every active budget that admitted at `now` past its limit in a scope, counted from what the actors were told. */
function overBudget(truth: readonly Admission[], now: number): string[] {
  const view = { version: 0, members: {}, admissions: [...truth] };
  const entries = entriesOf(view, 'p', now);
  const groups = new Set(entries.map((e) => e.groupId));
  const problems: string[] = [];
  for (const budget of BUDGETS) {
    if (!isBudgetActive(budget, now, SCHEDULES)) continue;
    const scopes = budget.scope === 'project' ? ['*'] : [...groups];
    for (const scope of scopes) {
      const counted = entries.filter(
        (e) =>
          (scope === '*' || e.groupId === scope) &&
          (budget.reasons === undefined || budget.reasons.includes(e.reason)),
      );
      const n =
        budget.perMs === undefined
          ? counted.filter((e) => e.state === 'in-flight').length
          : counted.filter((e) => e.at > now - budget.perMs!).length;
      const limit = limitOf(budget, budget.scope === 'project' ? MEMBERS * groups.size : MEMBERS);
      // A project's base grows as groups are seen; the count-only project budget does not care.
      // Over its limit only from removals made before it was active: nothing more may start.
      const startedNow = counted.some((e) => e.at === now);
      if (n > limit && startedNow)
        problems.push(
          `${budget.name} in ${scope}: ${n} > ${limit} at ${new Date(now).toISOString()}`,
        );
    }
  }
  return problems;
}

const step = fc.record({
  advanceMinutes: fc.integer({ min: 0, max: 40 }),
  actors: fc.array(
    fc.record({
      group: fc.constantFrom('g1', 'g2', 'g3'),
      servers: fc.integer({ min: 1, max: 4 }),
      logoff: fc.boolean(),
      fate: fc.constantFrom('removed', 'drain-undone', 'crash', 'later'),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

describe('admitToBudgets', () => {
  it('never admits past an active budget, whatever actors run at once, end or die', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(step, { minLength: 1, maxLength: 12 }),
        async (s, steps) => {
          const truth: Admission[] = [];
          const { ledger } = memoryLedger((value) => s.schedule(Promise.resolve()).then(value));
          let now = START;
          let serial = 0;
          const later: { serverId: string; fate: 'removed' }[] = [];
          const settings = () => ({
            projectId: 'p',
            now: () => now,
            budgets: BUDGETS,
            dryRun: false,
            drainSeconds: 120,
            limits: {
              minServersPerGroup: 1,
              maxRemovalsPerGroup: 10,
              protectTagKey: 'p',
              schedules: { schedules: SCHEDULES, defaultSchedule: undefined },
            },
          });
          for (const { advanceMinutes, actors } of steps) {
            now += advanceMinutes * MINUTE;
            const runs = actors.map(async (actor) => {
              const asks = Array.from({ length: actor.servers }, () => ({
                groupId: actor.group,
                groupMembers: MEMBERS,
                removal: {
                  serverId: `srv-${serial++}`,
                  instanceId: undefined,
                  machineName: undefined,
                  idleMinutes: 60,
                  ...(actor.logoff ? { logoffSessionIds: ['s'] } : {}),
                },
              }));
              const { admitted } = await admitToBudgets(asks, { budgetLedger: ledger }, settings());
              const ids = admitted.map((a) => a.removal.serverId);
              for (const a of admitted) {
                truth.push({
                  groupId: a.groupId,
                  serverId: a.removal.serverId,
                  reason: actor.logoff ? 'logoff' : 'idle',
                  startMs: now,
                  holdUntilMs: now + HOLD_MS,
                });
              }
              if (actor.fate === 'later')
                for (const serverId of ids) later.push({ serverId, fate: 'removed' });
              if (actor.fate === 'removed' || actor.fate === 'drain-undone') {
                const view = await ledger.read('p', now);
                const how = actor.fate === 'removed' ? 'removed' : 'not-removed';
                for (const a of truth)
                  if (ids.includes(a.serverId)) Object.assign(a, { endedMs: now, how });
                await ledger.end(
                  'p',
                  view.admissions
                    .filter((a) => ids.includes(a.serverId))
                    .map((a) => ({
                      serverId: a.serverId,
                      batch: a.batch ?? '',
                      endedMs: now,
                      how,
                    })),
                );
              }
            });
            await s.waitFor(Promise.all(runs));
            expect(overBudget(truth, now)).toEqual([]);
            // Drains started earlier end now, removed.
            const view = await s.waitFor(ledger.read('p', now));
            const due = later.splice(0).flatMap(({ serverId }) =>
              view.admissions
                .filter((a) => a.serverId === serverId)
                .map((a) => ({
                  serverId,
                  batch: a.batch ?? '',
                  endedMs: now,
                  how: 'removed' as const,
                })),
            );
            await s.waitFor(ledger.end('p', due));
            for (const a of truth) {
              if (due.some((d) => d.serverId === a.serverId))
                Object.assign(a, { endedMs: now, how: 'removed' });
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('names the budget and when it frees up', () => {
    const [hourly, atOnce] = budgets('[{"max":"1","per":"1h"},{"max":"2"}]');
    expect(budgetDetail({ budget: hourly!, freesAt: Date.UTC(2026, 11, 7, 11, 0, 0) })).toBe(
      'held back by BUDGETS[0] (1 per 1h, group); frees up at 2026-12-07T11:00:00.000Z',
    );
    expect(budgetDetail({ budget: atOnce! })).toBe(
      'held back by BUDGETS[1] (2 at once, group); frees up when a drain in flight ends',
    );
  });
});
