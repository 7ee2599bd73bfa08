import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { groupKeyOf } from './drain-record.ts';
import { TTL_ATTRIBUTE, ttlAfter } from './drain-table.ts';

type Item = Record<string, AttributeValue>;

// A group's lease lives on the group's drain item (`drain#<project>` /
// `group#<group>`, lib/removal/store/drain-record.ts), beside its records:
// owner, expiresAtMs, fence, releasedFence. These are the expression parts
// every write of those attributes uses, so a take, a take that writes records
// (lib/removal/store/drain-writes.ts) and a release that ends records keep one
// set of rules. TTL (`ttl`) is set only by a release whose condition says the
// item holds no record; every take and every record write removes it, so TTL
// never deletes an item that holds a drain record.

/** The names the lease's parts use (`owner` and `ttl` are reserved words). */
export const LEASE_NAMES = { '#owner': 'owner', '#ttl': TTL_ATTRIBUTE, '#s': 'servers' };

/** The group item of `groupKey` (`<project id>/<group id>`, lib/removal/lease/group-lease.ts). */
export function leaseItemKey(groupKey: string): { key: Item; projectId: string; groupId: string } {
  const slash = groupKey.indexOf('/');
  if (slash <= 0 || slash === groupKey.length - 1) {
    throw new RangeError(`groupKey must be <project id>/<group id>, got ${groupKey}`);
  }
  const projectId = groupKey.slice(0, slash);
  const groupId = groupKey.slice(slash + 1);
  return { key: groupKeyOf(projectId, groupId), projectId, groupId };
}

/**
 * The UpdateItem parts of a take of `groupKey` by `owner` until `expiresAtMs`:
 * the lease set (fence one more, not released, no TTL) and, with `servers`,
 * the item's records replaced by them (else an absent map made empty).
 * The caller adds the condition.
 */
export function takeParts(
  groupKey: string,
  owner: string,
  expiresAtMs: number,
  servers?: AttributeValue,
) {
  const { projectId, groupId } = leaseItemKey(groupKey);
  return {
    UpdateExpression: `SET #owner = :leaseOwner, expiresAtMs = :expires, projectId = :project, groupId = :group, #s = ${servers === undefined ? 'if_not_exists(#s, :none)' : ':servers'} REMOVE releasedFence, #ttl ADD fence :one`,
    values: {
      ':leaseOwner': { S: owner },
      ':expires': { N: String(expiresAtMs) },
      ':project': { S: projectId },
      ':group': { S: groupId },
      ':one': { N: '1' },
      ...(servers === undefined ? { ':none': { M: {} } } : { ':servers': servers }),
    } satisfies Item,
  };
}

/** A lease as a release names it: the holder and the fence it took. */
export interface HeldLease {
  owner: string;
  fence: number;
}

/**
 * The SET clauses and condition of a release of `lease` at `now`: the item
 * marked released (`releasedFence` = its fence, `expiresAtMs` = `now`), only
 * while `lease` holds it; with `ttl`, TTL set too — the caller's condition
 * must then also say that the item holds no record after the write.
 */
export function releaseParts(lease: HeldLease, now: number, ttl: boolean) {
  return {
    sets: ['expiresAtMs = :released', 'releasedFence = :fence', ...(ttl ? ['#ttl = :ttl'] : [])],
    condition: '#owner = :leaseOwner AND fence = :fence',
    values: {
      ':leaseOwner': { S: lease.owner },
      ':fence': { N: String(lease.fence) },
      ':released': { N: String(now) },
      ...(ttl ? { ':ttl': { N: ttlAfter(now) } } : {}),
    } satisfies Item,
  };
}

/** Holds no record: the condition TTL's every write carries (`:zero` = 0). */
export const NO_RECORDS = '(attribute_not_exists(#s) OR size(#s) = :zero)';
