import { type ReportCounts, type SavingCount, topReasons, total } from './counts.ts';
import { formatAmount, formatCount } from './html-text.ts';
import { verdictLabel } from './verdicts.ts';

/** One quantity as every surface shows it: the page headline, the CLI table. */
export interface CountRow {
  /** Names the quantity wherever it is shown (the page's `data-count`). */
  key:
    | 'planned'
    | 'removed'
    | 'would-remove'
    | 'server-hours'
    | 'saving'
    | 'kept'
    | 'failed'
    | 'refused'
    | 'undone'
    | 'budget';
  label: string;
  /** The number (or the saving), as text. */
  value: string;
  /** The reasons or prices behind it, as text; empty when none. */
  detail: string;
  /** `bad`: failures; `warn`: planned but not removed. */
  tone?: 'bad' | 'warn';
}

/** The words of the budget count wherever it is shown (headline, CLI table, summary line). */
export const BUDGET_LABEL = 'Held back by a budget';

/** Kept servers' top reasons shown beside the count; the rest follow in the detail. */
const TOP_KEPT = 3;

/** `12.50 CNY per 24 h` or `~12.50 a month`; the hint when nothing was priced. */
export function savingText(saving: SavingCount): string {
  if (!saving.priced) return saving.note;
  const currency = saving.currency === undefined ? '' : ` ${saving.currency}`;
  return saving.per === 'a month'
    ? `~${formatAmount(saving.amount)}${currency} a month`
    : `${formatAmount(saving.amount)}${currency} per ${saving.per}`;
}

/** `at HOURLY_PRICE_BY_FLAVOR: s2.large 0.5/h, …` plus what had no price. */
function pricesText(saving: SavingCount): string {
  if (!saving.priced) return '';
  const table = Object.entries(saving.prices)
    .map(([name, price]) => `${name} ${price}/h`)
    .join(', ');
  return [`at ${saving.source}: ${table || 'empty table'}`, saving.unpriced]
    .filter(Boolean)
    .join('; ');
}

/**
 * The headline quantities of a sweep or plan, in the order an operator reads
 * them: removed (or would remove), server-hours, saving, kept and why,
 * failed, refused, undone, held back by a budget, planned. Plain text; each
 * surface escapes it.
 */
export function countRows(c: ReportCounts): CountRow[] {
  const hours = c.dryRun ? 'Server-hours it would free' : 'Server-hours freed';
  const keptScope = c.keptListedOnly ? ' (listed groups)' : '';
  const rows: CountRow[] = [
    c.dryRun
      ? {
          key: 'would-remove',
          label: 'Would remove (dry run)',
          value: formatCount(c.wouldRemove),
          detail: '',
        }
      : { key: 'removed', label: 'Removed', value: formatCount(c.removed), detail: '' },
    {
      key: 'server-hours',
      label: `${hours} (${c.hoursPerRemoval} h per removal)`,
      value: formatCount(c.serverHoursFreed),
      detail: '',
    },
    {
      key: 'saving',
      label: 'Estimated saving',
      value: savingText(c.saving),
      detail: pricesText(c.saving),
    },
    {
      key: 'kept',
      label: `Kept${keptScope}`,
      value: formatCount(total(c.kept)),
      detail: topReasons(c.kept, TOP_KEPT, verdictLabel),
    },
    {
      key: 'failed',
      label: 'Failed',
      value: formatCount(c.failed),
      detail: '',
      ...(c.failed > 0 ? { tone: 'bad' as const } : {}),
    },
  ];
  for (const [key, label, byReason] of [
    ['refused', 'Refused by the remover', c.refused],
    ['undone', 'Undone or skipped', c.undone],
  ] as const) {
    const n = total(byReason);
    rows.push({
      key,
      label,
      value: formatCount(n),
      detail: topReasons(byReason),
      ...(n > 0 ? { tone: 'warn' as const } : {}),
    });
  }
  rows.push({
    key: 'budget',
    label: BUDGET_LABEL,
    value: formatCount(c.budget),
    detail: c.budget > 0 ? 'BUDGETS: each server names its budget and when it frees up' : '',
    ...(c.budget > 0 ? { tone: 'warn' as const } : {}),
  });
  const parts = [
    c.dryRun ? `would remove ${c.wouldRemove}` : `removed ${c.removed}`,
    `refused ${total(c.refused)}`,
    `undone ${total(c.undone)}`,
    `held back ${c.budget}`,
    `failed ${c.failed}`,
  ];
  rows.push({
    key: 'planned',
    label: 'Planned removals',
    value: formatCount(c.planned),
    detail: parts.join(' + '),
  });
  return rows;
}
