import * as z from 'zod';
import type { ServerGroup } from '../huawei/schemas.ts';

/**
 * Hourly prices of one server by product: `perServerHour` is keyed by the
 * group's `product_id` (`workspace.appstream.general.4xlarge.2`); `default`
 * prices any other product. Amounts in `currency`, per server and hour.
 */
export const PriceTableSchema = z.strictObject({
  currency: z.string().min(1).max(8),
  perServerHour: z.record(z.string().min(1), z.number().nonnegative().finite()),
  default: z.number().nonnegative().finite().optional(),
});
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** The product id a group's servers are billed by: the group's, else its product_info's. */
export function productOf(group: ServerGroup): string | undefined {
  if (typeof group.product_id === 'string' && group.product_id !== '') return group.product_id;
  const fromInfo = group.product_info?.product_id;
  return typeof fromInfo === 'string' && fromInfo !== '' ? fromInfo : undefined;
}

/** The hourly price of one server of `group`, or undefined when the table has none. */
export function hourlyPrice(table: PriceTable, group: ServerGroup): number | undefined {
  const product = productOf(group);
  if (product !== undefined && Object.hasOwn(table.perServerHour, product)) {
    return table.perServerHour[product];
  }
  return table.default;
}
