import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DrainRecord, DrainState } from './drain-record.ts';
import type { DrainConflictKind } from './store-errors.ts';

type Item = Record<string, AttributeValue>;

/**
 * Servers one request writes at most: DynamoDB caps an update or condition
 * expression at 4 KB, and a claim's condition is about 130 characters a
 * server. A group with more drained servers takes one request per 20.
 */
export const SERVERS_PER_WRITE = 20;

/**
 * One conditional change of drain records, the same for a group item's
 * entries (`path` = `#s.#k0.`, the entry in its `servers` map) and for an
 * older version's server item (`path` = '', the item itself): what to set
 * (or `remove` the entry), the condition each record must meet, and how a
 * refused condition is explained.
 */
export interface DrainStep {
  operation: string;
  /** SET clauses for one record, e.g. `${path}#state = :acting`; none with `remove`. */
  set?: (path: string, i: number) => string[];
  /** Deletes the entry (the server item). */
  remove?: boolean;
  condition: (path: string, record: DrainRecord) => string;
  /** Values of one record's clauses (names end in its index `i`). */
  values?: (record: DrainRecord, i: number) => Item;
  /** Values every record's clauses share. */
  shared: Item;
  guess: (current: DrainRecord | undefined, record: DrainRecord) => DrainConflictKind;
  /** Clauses on the group item itself (none on an older server item). */
  extra?: ItemExtra;
}

/** The names every step uses: `#owner`, `#state` (both reserved words in DynamoDB). */
const NAMES = { '#owner': 'owner', '#state': 'state' };

/**
 * Clauses a write adds to one group item besides its entries' (the lease
 * attributes of lib/removal/store/lease-item.ts): SET and REMOVE clauses, a
 * condition on the item, and their names and values.
 */
export interface ItemExtra {
  sets?: readonly string[];
  removes?: readonly string[];
  condition?: string;
  names?: Record<string, string>;
  values?: Item;
}

/** The UpdateItem parts of `step` over one group item's `records`, with `extra` clauses. */
export function groupUpdate(step: DrainStep, records: readonly DrainRecord[], more?: ItemExtra) {
  const extra = joined(step.extra, more);
  const names: Record<string, string> = { ...NAMES, '#s': 'servers', ...extra?.names };
  const values: Item = { ...step.shared, ...extra?.values };
  const sets: string[] = [...(extra?.sets ?? [])];
  const removes: string[] = [...(extra?.removes ?? [])];
  const conditions: string[] = [];
  records.forEach((record, i) => {
    names[`#k${i}`] = record.serverId;
    const path = `#s.#k${i}.`;
    if (step.remove) removes.push(`#s.#k${i}`);
    else sets.push(...(step.set?.(path, i) ?? []));
    conditions.push(`(${step.condition(path, record)})`);
    Object.assign(values, step.values?.(record, i));
  });
  if (extra?.condition !== undefined) conditions.push(`(${extra.condition})`);
  const update = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .join(' ')
    .trim();
  const condition = conditions.join(' AND ');
  return {
    UpdateExpression: update,
    ConditionExpression: condition,
    ...usedIn(`${update} ${condition}`, names, values),
  };
}

function joined(a: ItemExtra | undefined, b: ItemExtra | undefined): ItemExtra | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const conditions = [a.condition, b.condition].filter((c) => c !== undefined);
  return {
    sets: [...(a.sets ?? []), ...(b.sets ?? [])],
    removes: [...(a.removes ?? []), ...(b.removes ?? [])],
    ...(conditions.length > 0 ? { condition: conditions.map((c) => `(${c})`).join(' AND ') } : {}),
    names: { ...a.names, ...b.names },
    values: { ...a.values, ...b.values },
  };
}

// DynamoDB refuses a request that names or values something its expressions never use.
function usedIn(expressions: string, names: Record<string, string>, values: Item) {
  // Keys are `#name` / `:value` words: no character in them is special to a RegExp.
  const used = (key: string) => new RegExp(`${key}(?![A-Za-z0-9_])`).test(expressions);
  const keep = <T>(map: Record<string, T>) =>
    Object.fromEntries(Object.entries(map).filter(([key]) => used(key)));
  const kept = keep(values);
  return {
    ExpressionAttributeNames: keep(names),
    ...(Object.keys(kept).length > 0 ? { ExpressionAttributeValues: kept } : {}),
  };
}

/** The UpdateItem (or, with `remove`, DeleteItem) parts of `step` over one older server item. */
export function serverUpdate(step: DrainStep, record: DrainRecord) {
  const values: Item = { ...step.shared, ...step.values?.(record, 0) };
  const condition = step.condition('', record);
  const update = step.remove ? '' : `SET ${(step.set?.('', 0) ?? []).join(', ')}`;
  return {
    ...(step.remove ? {} : { UpdateExpression: update }),
    ConditionExpression: condition,
    ...usedIn(`${update} ${condition}`, NAMES, values),
  };
}

/** Only `owner` may change it (and, when given, only in `state`). */
export function ownedIn(owner: string, state?: DrainState) {
  return {
    condition: (path: string) =>
      `${path}#owner = :owner${state === undefined ? '' : ` AND ${path}#state = :in`}`,
    shared: { ':owner': { S: owner }, ...(state === undefined ? {} : { ':in': { S: state } }) },
    guess: (current: DrainRecord | undefined): DrainConflictKind => {
      if (current === undefined) return 'not-recorded';
      if (state !== undefined && current.state !== state) return 'state-mismatch';
      return 'owner-mismatch';
    },
  };
}

/** `records` grouped by the item that holds them: one list per group item, one per server item. */
export function byItem(records: readonly DrainRecord[]): DrainRecord[][] {
  const groups = new Map<string, DrainRecord[]>();
  const lists: DrainRecord[][] = [];
  for (const record of records) {
    if (record.item === 'server') {
      lists.push([record]);
      continue;
    }
    const key = `${record.projectId}\u0000${record.groupId}`;
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [record]);
    else list.push(record);
  }
  for (const list of groups.values()) {
    for (let i = 0; i < list.length; i += SERVERS_PER_WRITE) {
      lists.push(list.slice(i, i + SERVERS_PER_WRITE));
    }
  }
  return lists;
}
