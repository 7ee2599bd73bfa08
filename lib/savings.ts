/** Average hours in a month (8,760 / 12), the basis of a monthly estimate. */
export const HOURS_PER_MONTH = 730;

/**
 * Hours a removal is counted as freeing: one day. A removed server may come
 * back through the group's own scale-out, so a removal is not counted as
 * freeing more than the day after it.
 */
export const FREED_HOURS_PER_REMOVAL = 24;

export interface RemovedServer {
  /** The server's flavor id (`flavor_id`), when known. */
  flavorId?: string | undefined;
}

export interface Savings {
  /** Server-hours freed by the removals: removals × FREED_HOURS_PER_REMOVAL. */
  serverHoursFreed: number;
  /**
   * Σ price per hour × HOURS_PER_MONTH over the removed servers whose flavor
   * has a price; undefined when no price table is configured.
   */
  estimatedMonthlySaving: number | undefined;
  /** Flavors of removed servers missing from the price table (not counted in the saving). */
  unpricedFlavors: string[];
}

/**
 * What the removals of one run free, in server-hours, and with a price table
 * (HOURLY_PRICE_BY_FLAVOR) an estimated monthly saving in the table's currency,
 * rounded to cents.
 */
export function savingsOf(
  removed: readonly RemovedServer[],
  hourlyPriceByFlavor: Readonly<Record<string, number>> | undefined,
): Savings {
  const serverHoursFreed = removed.length * FREED_HOURS_PER_REMOVAL;
  if (hourlyPriceByFlavor === undefined) {
    return { serverHoursFreed, estimatedMonthlySaving: undefined, unpricedFlavors: [] };
  }
  let perHour = 0;
  const unpriced = new Set<string>();
  for (const server of removed) {
    const flavor = server.flavorId ?? '(unknown flavor)';
    const price = Object.hasOwn(hourlyPriceByFlavor, flavor)
      ? hourlyPriceByFlavor[flavor]
      : undefined;
    if (price === undefined) unpriced.add(flavor);
    else perHour += price;
  }
  return {
    serverHoursFreed,
    estimatedMonthlySaving: Math.round(perHour * HOURS_PER_MONTH * 100) / 100,
    unpricedFlavors: [...unpriced].sort(),
  };
}
