import type { StormWarning } from './types.ts';

/** Warnings named one by one in the summary line; the report and its page hold them all. */
const NAMED = 2;

/** One warning in words: `pool-a Mon 08:00–09:00 needs 6, floor 1`. */
export function stormText(w: StormWarning): string {
  return `${w.serverGroupName || w.serverGroupId} ${w.hour} needs ${w.need}, floor ${w.floor}${w.raised ? ' (raised)' : ''}`;
}

/**
 * The summary line's part for storm warnings, e.g. `2 storm warnings (pool-a
 * Mon 08:00–09:00 needs 6, floor 1; …)`; undefined when there are none.
 */
export function stormPhrase(warnings: readonly StormWarning[] | undefined): string | undefined {
  if (warnings === undefined || warnings.length === 0) return undefined;
  const named = warnings.slice(0, NAMED).map(stormText);
  const more = warnings.length > NAMED ? `; +${warnings.length - NAMED} more` : '';
  const n = warnings.length;
  return `${n} storm warning${n === 1 ? '' : 's'} (${named.join('; ')}${more})`;
}
