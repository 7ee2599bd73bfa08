import type { Schedules } from '../scaling/schedule.ts';
import {
  type Budget,
  budgetCovers,
  isBudgetActive,
  limitOf,
  type RemovalReason,
} from './budget.ts';

/**
 * One disruption the budgets count, whoever started it (sweep or queue): a
 * drain in flight, or a removal done at `at` (epoch ms). The drain table
 * keeps these with a TTL, so the ledger expires by itself.
 */
export interface LedgerEntry {
  serverId: string;
  groupId: string;
  projectId: string;
  reason: RemovalReason;
  state: 'in-flight' | 'removed';
  at: number;
}

/** The removal asked about: its group and project, their member counts, and its reason. */
export interface RemovalAsk {
  groupId: string;
  projectId: string;
  reason: RemovalReason;
  /** In-service members of the group, and of the whole project (a percentage's base). */
  groupMembers: number;
  projectMembers: number;
}

/** A budget that holds a removal back: which, and when it frees up (absent: when a drain in flight ends). */
export interface BudgetBlock {
  budget: Budget;
  freesAt?: number;
}

function inScope(entry: LedgerEntry, budget: Budget, ask: RemovalAsk): boolean {
  if (!budgetCovers(budget, entry.reason)) return false;
  return budget.scope === 'project'
    ? entry.projectId === ask.projectId
    : entry.groupId === ask.groupId && entry.projectId === ask.projectId;
}

/** How many more removals `budget` allows now for `ask`, and when one more would free up. */
function roomIn(
  budget: Budget,
  ask: RemovalAsk,
  ledger: readonly LedgerEntry[],
  now: number,
): { room: number; freesAt?: number } {
  const limit = limitOf(budget, budget.scope === 'project' ? ask.projectMembers : ask.groupMembers);
  const counted = ledger.filter((e) => inScope(e, budget, ask));
  const inFlight = counted.filter((e) => e.state === 'in-flight').length;
  if (budget.perMs === undefined) return { room: Math.max(0, limit - inFlight) };
  const perMs = budget.perMs;
  // A drain in flight ends in a removal (or is undone): it counts as one already.
  const done = counted
    .filter((e) => e.state === 'removed' && e.at > now - perMs && e.at <= now)
    .map((e) => e.at)
    .sort((a, b) => a - b);
  const room = limit - inFlight - done.length;
  if (room > 0) return { room };
  // The window frees one slot when the removal that puts it over its limit ages out.
  const over = -room;
  const oldest = done[over];
  return oldest === undefined ? { room: 0 } : { room: 0, freesAt: oldest + perMs };
}

/**
 * Whether one more removal for `ask` fits every disruption budget active at
 * `now` that covers its reason, given the ledger (every trigger's drains in
 * flight and recent removals). Undefined: it fits; else the tightest budget
 * that holds it back (the first listed on a tie) and when it frees up. Pure.
 */
export function budgetBlock(
  budgets: readonly Budget[],
  ask: RemovalAsk,
  ledger: readonly LedgerEntry[],
  now: number,
  schedules: Schedules,
): BudgetBlock | undefined {
  let block: BudgetBlock | undefined;
  for (const budget of budgets) {
    if (!budgetCovers(budget, ask.reason) || !isBudgetActive(budget, now, schedules)) continue;
    const { room, freesAt } = roomIn(budget, ask, ledger, now);
    if (room > 0 || block !== undefined) continue;
    block = freesAt === undefined ? { budget } : { budget, freesAt };
  }
  return block;
}

/**
 * The removals of `asks` (in order) that the budgets admit at `now`, each
 * admitted one counted as in flight for those after it; the others with the
 * budget that holds each back. Pure: the caller records the admitted ones in
 * the ledger before acting.
 */
export function admitRemovals<T extends RemovalAsk & { serverId: string }>(
  budgets: readonly Budget[],
  asks: readonly T[],
  ledger: readonly LedgerEntry[],
  now: number,
  schedules: Schedules,
): { admitted: T[]; held: { ask: T; block: BudgetBlock }[] } {
  const book = [...ledger];
  const admitted: T[] = [];
  const held: { ask: T; block: BudgetBlock }[] = [];
  for (const ask of asks) {
    const block = budgetBlock(budgets, ask, book, now, schedules);
    if (block !== undefined) {
      held.push({ ask, block });
      continue;
    }
    admitted.push(ask);
    book.push({
      serverId: ask.serverId,
      groupId: ask.groupId,
      projectId: ask.projectId,
      reason: ask.reason,
      state: 'in-flight',
      at: now,
    });
  }
  return { admitted, held };
}

/**
 * The asks `budgets` admit at `now` on top of `book`, each admitted one then
 * booked in flight there: a plan's running tally over many groups (the
 * what-if's sets), as a run's ledger would hold them. Pure but for `book`.
 */
export function admitInto<T extends RemovalAsk & { serverId: string }>(
  book: LedgerEntry[],
  budgets: readonly Budget[],
  asks: readonly T[],
  now: number,
  schedules: Schedules,
): T[] {
  const { admitted } = admitRemovals(budgets, asks, book, now, schedules);
  for (const { serverId, groupId, projectId, reason } of admitted) {
    book.push({ serverId, groupId, projectId, reason, state: 'in-flight', at: now });
  }
  return admitted;
}

/** A ledger without what no budget can count any more: removals older than the longest window. */
export function pruneLedger(
  ledger: readonly LedgerEntry[],
  budgets: readonly Budget[],
  now: number,
): LedgerEntry[] {
  const longest = Math.max(0, ...budgets.map((b) => b.perMs ?? 0));
  return ledger.filter((e) => e.state === 'in-flight' || e.at > now - longest);
}
