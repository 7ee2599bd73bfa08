import { type Budget, type BudgetsInput, BudgetsSchema, budgetsOf } from './budgets/budget.ts';
import { readSettingFile } from './config-schedules.ts';
import type { Schedules } from './scaling/schedule.ts';
import { jsonText } from './validation.ts';

/** `BUDGETS`: JSON text of a list of disruption budgets (lib/budgets/budget.ts). */
export const BudgetsTextSchema = jsonText('[{"max":"20%"},{"max":"10","per":"1h"}]').pipe(
  BudgetsSchema,
);

/** What the budget variables say, or the problems naming each bad path. */
export type BudgetConfig = { ok: true; budgets: Budget[] } | { ok: false; problems: string[] };

/**
 * Combines `BUDGETS` (already parsed) and `BUDGETS_FILE` (a JSON file of the
 * same shape, read once here): at most one of the two; each `schedule` must
 * name one of `schedules`; an acting run keeps its ledger in the drain
 * table, so budgets need `DRAIN_TABLE_NAME` unless the run is a dry run
 * (which counts against an empty ledger when it has no table).
 */
export function budgetConfigOf(
  env: {
    BUDGETS?: BudgetsInput | undefined;
    BUDGETS_FILE?: string | undefined;
    DRY_RUN: boolean;
    DRAIN_TABLE_NAME?: string | undefined;
  },
  schedules: { settings: { schedules: Schedules } },
): BudgetConfig {
  const input = {
    budgets: env.BUDGETS,
    budgetsFile: env.BUDGETS_FILE,
    schedules: schedules.settings.schedules,
    dryRun: env.DRY_RUN,
    drainTableName: env.DRAIN_TABLE_NAME,
  };
  if (input.budgets !== undefined && input.budgetsFile !== undefined) {
    return { ok: false, problems: ['BUDGETS_FILE: give BUDGETS or BUDGETS_FILE, not both'] };
  }
  let raw = input.budgets;
  if (input.budgetsFile !== undefined) {
    const read = readSettingFile(input.budgetsFile, BudgetsSchema, 'BUDGETS_FILE');
    if (read.problem !== undefined) return { ok: false, problems: [read.problem] };
    raw = read.data;
  }
  if (raw === undefined || raw.length === 0) return { ok: true, budgets: [] };
  const label = input.budgetsFile === undefined ? 'BUDGETS' : 'BUDGETS_FILE';
  const result = budgetsOf(raw, input.schedules, label);
  if (result.ok && !input.dryRun && input.drainTableName === undefined) {
    return {
      ok: false,
      problems: [`${label}: needs DRAIN_TABLE_NAME (the budget ledger is kept in the drain table)`],
    };
  }
  return result;
}
