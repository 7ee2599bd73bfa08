import { LeaseLostError } from '../store/store-errors.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';
import { groupLeaseKey, LEASE_TTL_MS, type Lease, type PreviousHold } from './group-lease.ts';

// The one place a group's lease is taken, renewed and released, for every
// actor: the inline sweep's drain start (lib/removal/drain/leased-start.ts), the
// queue's drain start (`underGroupLease`), and every settle
// (lib/removal/actuation/settle-group.ts). Without a drain table there is nothing to hold:
// every call answers as if held.

/**
 * A group held by this actor, or why not. Without a drain table `lease` is
 * undefined and nothing is known of earlier holders (`previous` is `unknown`);
 * else `previous` is the lease item before this take (undefined: none).
 */
export type Hold =
  | { held: true; lease: Lease; previous: PreviousHold | undefined }
  | { held: true; lease: undefined; previous: 'unknown' }
  | { held: false; holder?: string };

/** Takes `groupId`'s lease for `ttlMs` (one lease period unless told). */
export async function takeGroup(
  groupId: string,
  owner: string,
  services: Pick<RemovalServices, 'drains'>,
  settings: Pick<RemovalSettings, 'projectId' | 'now'>,
  ttlMs: number = LEASE_TTL_MS,
): Promise<Hold> {
  const lease = services.drains?.lease;
  if (lease === undefined) return { held: true, lease: undefined, previous: 'unknown' };
  const key = groupLeaseKey(settings.projectId, groupId);
  const taken = await lease.acquireLease(key, owner, ttlMs, settings.now());
  return taken.acquired
    ? { held: true, lease: taken.lease, previous: taken.previous }
    : { held: false, ...(taken.holder === undefined ? {} : { holder: taken.holder }) };
}

/**
 * Renews a held lease for one lease period: the renewed lease, or undefined
 * once another actor holds the group (stop acting). Other failures throw.
 */
export async function renewGroup(
  lease: Lease,
  services: Pick<RemovalServices, 'drains'>,
  settings: Pick<RemovalSettings, 'now'>,
): Promise<Lease | undefined> {
  const store = services.drains?.lease;
  if (store === undefined) return lease;
  try {
    return await store.renewLease(lease, LEASE_TTL_MS, settings.now());
  } catch (error) {
    if (error instanceof LeaseLostError) return undefined;
    throw error;
  }
}

/**
 * Gives a held lease up, best effort (it expires on its own otherwise),
 * recording `settings.now()` as the time the group was held until: call it
 * only once this actor's changes to the group are done.
 */
export async function releaseGroup(
  lease: Lease | undefined,
  services: Pick<RemovalServices, 'drains'>,
  settings: Pick<RemovalSettings, 'now'>,
): Promise<void> {
  if (lease === undefined) return;
  await services.drains?.lease.releaseLease(lease, settings.now()).catch(() => false);
}

/** `work` under `groupId`'s lease, released after; `{ held: false }` when another actor holds it. */
export async function underGroupLease<T>(
  groupId: string,
  owner: string,
  services: Pick<RemovalServices, 'drains'>,
  settings: Pick<RemovalSettings, 'projectId' | 'now'>,
  work: () => Promise<T>,
): Promise<{ held: true; value: T } | { held: false; holder?: string }> {
  const hold = await takeGroup(groupId, owner, services, settings);
  if (!hold.held) return hold;
  try {
    return { held: true, value: await work() };
  } finally {
    await releaseGroup(hold.lease, services, settings);
  }
}
