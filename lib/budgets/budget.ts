import * as z from 'zod';
import { ScheduleNameSchema, type Schedules, scheduleStateAt } from '../scaling/schedule.ts';
import { formatPath } from '../validation.ts';

/** Why a server is removed: a plain idle server, or one whose abandoned sessions are logged off. */
export type RemovalReason = 'idle' | 'logoff';

/** A planned removal's reason: `logoff` when it logs off abandoned sessions, else `idle`. */
export function reasonOf(removal: {
  logoffSessionIds?: readonly string[] | undefined;
}): RemovalReason {
  return removal.logoffSessionIds?.length ? 'logoff' : 'idle';
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** One entry of BUDGETS as written (docs/configuration.md). */
export const BudgetSchema = z.strictObject({
  max: z.string().regex(/^\d{1,6}%?$/, 'expected "N" or "N%"'),
  per: z
    .string()
    .regex(/^[1-9]\d{0,4}[mhd]$/, 'expected "<n>m", "<n>h" or "<n>d"')
    .optional(),
  scope: z.enum(['group', 'project']).default('group'),
  reasons: z
    .array(z.enum(['idle', 'logoff']))
    .min(1)
    .optional(),
  schedule: ScheduleNameSchema.optional(),
});

/** BUDGETS: a JSON array of budgets, at most 50. */
export const BudgetsSchema = z.array(BudgetSchema).max(50);

/** A disruption budget, parsed: a count or a percentage, at once or per rolling window. */
export interface Budget {
  /** Its place in BUDGETS, and its text as a verdict names it: `BUDGETS[1] (10 per 1h, project)`. */
  index: number;
  name: string;
  max: { count: number } | { percent: number };
  /** The rolling window, ms; absent: the budget caps what is in flight at once. */
  perMs?: number;
  scope: 'group' | 'project';
  reasons?: readonly RemovalReason[];
  schedule?: string;
}

function nameOf(index: number, b: z.infer<typeof BudgetSchema>): string {
  const per = b.per === undefined ? 'at once' : `per ${b.per}`;
  const reasons = b.reasons === undefined ? '' : `, ${b.reasons.join('+')}`;
  const schedule = b.schedule === undefined ? '' : `, during ${b.schedule}`;
  return `BUDGETS[${index}] (${b.max} ${per}, ${b.scope}${reasons}${schedule})`;
}

/** BUDGETS as the schema parsed it, before its schedule names are checked. */
export type BudgetsInput = z.infer<typeof BudgetsSchema>;

/** The outcome of reading budgets: the list, or every problem naming its path. */
export type BudgetsResult = { ok: true; budgets: Budget[] } | { ok: false; problems: string[] };

/**
 * Parses BUDGETS (JSON text) against the schedules it may name; every
 * problem names its path, e.g. `BUDGETS[0].max: expected "N" or "N%"`.
 */
export function parseBudgets(text: string, schedules: Schedules): BudgetsResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`BUDGETS: not JSON (${(error as Error).message})`] };
  }
  const parsed = BudgetsSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (i) => `${formatPath(['BUDGETS', ...i.path])}: ${i.message}`,
      ),
    };
  }
  return budgetsOf(parsed.data, schedules);
}

/**
 * Budgets from their parsed input: each `schedule` must name one of
 * `schedules` (`<label>[i].schedule: …` otherwise).
 */
export function budgetsOf(
  input: BudgetsInput,
  schedules: Schedules,
  label = 'BUDGETS',
): BudgetsResult {
  const problems = input.flatMap((b, i) =>
    b.schedule !== undefined && !Object.hasOwn(schedules, b.schedule)
      ? [`${label}[${i}].schedule: no schedule ${JSON.stringify(b.schedule)} in SCHEDULES`]
      : [],
  );
  if (problems.length > 0) return { ok: false, problems };
  const budgets = input.map((b, index): Budget => {
    const budget: Budget = {
      index,
      name: nameOf(index, b),
      max: b.max.endsWith('%') ? { percent: Number(b.max.slice(0, -1)) } : { count: Number(b.max) },
      scope: b.scope,
    };
    if (b.per !== undefined) {
      budget.perMs = Number(b.per.slice(0, -1)) * UNIT_MS[b.per.slice(-1) as keyof typeof UNIT_MS];
    }
    if (b.reasons !== undefined) budget.reasons = b.reasons;
    if (b.schedule !== undefined) budget.schedule = b.schedule;
    return budget;
  });
  return { ok: true, budgets };
}

/** Whether `budget` is in force at `now`: always without a schedule, else inside one of its windows. */
export function isBudgetActive(budget: Budget, now: number, schedules: Schedules): boolean {
  if (budget.schedule === undefined) return true;
  const schedule = schedules[budget.schedule];
  return schedule !== undefined && scheduleStateAt(schedule, now).kind === 'window';
}

/** Whether `budget` counts removals for `reason`. */
export function budgetCovers(budget: Budget, reason: RemovalReason): boolean {
  return budget.reasons === undefined || budget.reasons.includes(reason);
}

/** The most `budget` lets be in flight (at once) or removed (per window) in a scope of `members`: a percentage rounds up. */
export function limitOf(budget: Budget, members: number): number {
  return 'count' in budget.max ? budget.max.count : Math.ceil((budget.max.percent * members) / 100);
}
