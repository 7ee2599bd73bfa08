import { admitRemovals, type BudgetBlock, type LedgerEntry } from '../../budgets/allowance.ts';
import { reasonOf } from '../../budgets/budget.ts';
import { describeFailure } from '../../errors.ts';
import type { Removal } from '../../scaling/types.ts';
import { type Admission, BATCH_MAX, type LedgerView } from '../budget/ledger.ts';
import { LEASE_TTL_MS } from '../lease/group-lease.ts';
import type { RemovalOutcome } from '../outcome.ts';
import { storeError } from '../store/dynamo.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';

// The one place disruption budgets (BUDGETS, docs/drain-lifecycle.md) admit
// or hold back a removal, where drains start (begin-drains.ts) and where a
// removal without a drain starts (lifecycle.ts removeNow); a dry run asks the
// same question without writing. Every settle ends its admissions here too.

/** A ledger kept past its longest window by this much: an admission read late still counts. */
const RETAIN_MARGIN_MS = 86_400_000;
/** Reads and writes of one admission before a busy ledger is a failure (each round one actor wins). */
const MAX_TRIES = 25;

/** One removal asking to start: its group and how many members that group has (a percentage's base). */
export interface AdmissionAsk {
  groupId: string;
  removal: Removal;
  groupMembers: number;
}

// A dry run's admissions, per invocation's services: never written, yet
// counted for the groups after them, as a run's ledger would count them.
const dryRunBooks = new WeakMap<object, Admission[]>();

/** What the budgets said: the asks admitted (with their ledger entries), and each held back with why. */
export interface Admitted<T extends AdmissionAsk> {
  admitted: T[];
  held: { ask: T; outcome: Extract<RemovalOutcome, 'budget'>; detail: string }[];
}

/**
 * The ledger's admissions as the pure allowance counts them at `now`: an
 * ended removal counts in its window from its start; one not ended counts as
 * in flight until its hold ends, then (its owner died) in its window only.
 */
export function entriesOf(view: LedgerView, projectId: string, now: number): LedgerEntry[] {
  return view.admissions.flatMap((a): LedgerEntry[] => {
    if (a.endedMs !== undefined && a.how !== 'removed') return [];
    const inFlight = a.endedMs === undefined && a.holdUntilMs > now;
    const { serverId, groupId, reason } = a;
    return [
      {
        serverId,
        groupId,
        projectId,
        reason,
        state: inFlight ? 'in-flight' : 'removed',
        at: a.startMs,
      },
    ];
  });
}

/** The words of a hold: the budget, and when it frees up. */
export function budgetDetail(block: BudgetBlock): string {
  const when =
    block.freesAt === undefined
      ? 'when a drain in flight ends'
      : `at ${new Date(block.freesAt).toISOString()}`;
  return `held back by ${block.budget.name}; frees up ${when}`;
}

/**
 * Admits `asks` (one project's, in order) against BUDGETS: read the ledger,
 * decide (lib/budgets/allowance.ts), and record every admitted removal in
 * one transaction conditioned on the ledger's version, so concurrent actors
 * (the sweep, any number of queue messages) never admit past a budget
 * together; on a conflict read and decide again. `readOnly` (a dry run, the
 * plan) decides without writing; without a ledger it counts an empty one.
 * Throws a DrainStoreError when the ledger fails or stays busy.
 */
export async function admitToBudgets<T extends AdmissionAsk>(
  asks: readonly T[],
  services: Pick<RemovalServices, 'budgetLedger'>,
  settings: Pick<RemovalSettings, 'projectId' | 'now' | 'budgets' | 'limits' | 'drainSeconds'>,
  options: { readOnly?: boolean } = {},
): Promise<Admitted<T>> {
  const budgets = settings.budgets ?? [];
  if (budgets.length === 0 || asks.length === 0) return { admitted: [...asks], held: [] };
  const ledger = services.budgetLedger;
  const schedules = settings.limits.schedules?.schedules ?? {};
  const retainMs = Math.max(0, ...budgets.map((b) => b.perMs ?? 0)) + RETAIN_MARGIN_MS;
  const holdMs = (settings.drainSeconds ?? 0) * 1_000 + LEASE_TTL_MS;
  const result: Admitted<T> = { admitted: [], held: [] };
  let dryBook: Admission[] | undefined;
  if (options.readOnly) {
    dryBook = dryRunBooks.get(services) ?? [];
    dryRunBooks.set(services, dryBook);
  }
  let pending = [...asks];
  for (let tries = 0; pending.length > 0; ) {
    if (++tries > MAX_TRIES) throw busy(settings.projectId);
    const now = settings.now();
    const view: LedgerView =
      ledger === undefined
        ? { version: 0, members: {}, admissions: [] }
        : await ledger.read(settings.projectId, now);
    // One group's asks per write: a batch item is one group's (lib/removal/budget/ledger.ts).
    const groupId = pending[0]?.groupId;
    const batch = pending.filter((a) => a.groupId === groupId).slice(0, BATCH_MAX);
    const members = { ...view.members };
    for (const ask of batch) members[ask.groupId] = ask.groupMembers;
    const projectMembers = Object.values(members).reduce((sum, count) => sum + count, 0);
    const decided = admitRemovals(
      budgets,
      batch.map((ask) => ({
        ask,
        serverId: ask.removal.serverId,
        groupId: ask.groupId,
        projectId: settings.projectId,
        reason: reasonOf(ask.removal),
        groupMembers: ask.groupMembers,
        projectMembers,
      })),
      entriesOf(
        { ...view, admissions: [...view.admissions, ...(dryBook ?? [])] },
        settings.projectId,
        now,
      ),
      now,
      schedules,
    );
    const admissions: Admission[] = decided.admitted.map(({ ask }) => ({
      groupId: ask.groupId,
      serverId: ask.removal.serverId,
      reason: reasonOf(ask.removal),
      startMs: now,
      holdUntilMs: now + holdMs,
    }));
    dryBook?.push(...admissions);
    const write = options.readOnly || ledger === undefined || admissions.length === 0;
    if (
      !write &&
      !(await ledger.admit(settings.projectId, view.version, members, admissions, retainMs))
    ) {
      continue;
    }
    result.admitted.push(...decided.admitted.map((a) => a.ask));
    for (const { ask, block } of decided.held) {
      result.held.push({ ask: ask.ask, outcome: 'budget', detail: budgetDetail(block) });
    }
    const done = new Set(batch);
    pending = pending.filter((a) => !done.has(a));
    tries = 0;
  }
  return result;
}

/**
 * Marks the admissions of these servers ended (`removed` also for a server
 * already gone; any other end frees its slot at once and leaves the window).
 * Never throws: an admission not ended runs out with its hold, and counts in
 * its window meanwhile (an ERROR line says so).
 */
export async function endAdmissions(
  ends: ReadonlyMap<string, RemovalOutcome>,
  services: Pick<RemovalServices, 'budgetLedger' | 'log'>,
  settings: Pick<RemovalSettings, 'projectId' | 'now' | 'budgets' | 'dryRun'>,
): Promise<void> {
  const ledger = services.budgetLedger;
  if (ledger === undefined || ends.size === 0 || settings.dryRun) return;
  if ((settings.budgets ?? []).length === 0) return;
  try {
    const now = settings.now();
    const view = await ledger.read(settings.projectId, now);
    const open = view.admissions.filter((a) => a.endedMs === undefined && ends.has(a.serverId));
    if (open.length === 0) return;
    await ledger.end(
      settings.projectId,
      open.map((a) => {
        const outcome = ends.get(a.serverId);
        const removed = outcome === 'removed' || outcome === 'already-removed';
        return {
          serverId: a.serverId,
          batch: a.batch ?? '',
          endedMs: now,
          how: removed ? ('removed' as const) : ('not-removed' as const),
        };
      }),
    );
  } catch (error) {
    const failure = describeFailure(error);
    services.log.error('budget admission not ended; it runs out with its hold', {
      projectId: settings.projectId,
      serverIds: [...ends.keys()],
      error: failure.message,
      requestId: failure.requestId,
    });
  }
}

function busy(projectId: string): Error {
  const cause = Object.assign(new Error(`budget ledger of ${projectId} stayed busy`), {
    name: 'ConditionalCheckFailedException',
    $retryable: {},
  });
  return storeError('PutItem', 'budget ledger', cause);
}
