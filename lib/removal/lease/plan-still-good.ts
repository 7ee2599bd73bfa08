import type { Hold } from './group-hold.ts';
import { LEASE_ITEM_LINGER_MS } from './group-lease.ts';

/**
 * The clock skew allowed between two actors' clocks (Lambda invocations keep
 * time by NTP, a few ms apart): a hold that ended less than this before a
 * listing began counts as overlapping it. Far below the lease period, which
 * must outlast the skew too (lib/removal/lease/group-lease.ts).
 */
export const CLOCK_SKEW_MARGIN_MS = 10_000;

/**
 * Whether a plan made without the group's lease may be carried out as it is,
 * now that the lease is held: true only when no actor held the group after
 * the plan's listing of it began (`listedAtMs`, less
 * {@link CLOCK_SKEW_MARGIN_MS}). Every actor that changes a group holds its
 * lease while it does (docs/drain-lifecycle.md, "The lease at drain start"),
 * so then nothing but the group's users changed it since, and the plan is as
 * good as one made now; otherwise, or when anything is unknown (no drain
 * table, no listing time, a malformed item), the group must be read and
 * planned again. A lease item that is gone was last held at least
 * {@link LEASE_ITEM_LINGER_MS} before `now` (TTL never deletes sooner). Pure.
 */
export function planStillGood(
  hold: Extract<Hold, { held: true }>,
  listedAtMs: number | undefined,
  now: number,
): boolean {
  if (hold.previous === 'unknown' || listedAtMs === undefined) return false;
  const { heldBeforeMs, absentOk } = stillGoodBounds(listedAtMs, now);
  if (hold.previous === undefined) return absentOk;
  return hold.previous.heldUntilMs < heldBeforeMs;
}

/**
 * The {@link planStillGood} test as bounds a conditional write can check
 * itself (lib/removal/store/lease-writes.ts): the group's last hold must have
 * ended before `heldBeforeMs` (strictly); no item at all passes only when
 * `absentOk` (a gone item was last held {@link LEASE_ITEM_LINGER_MS} before
 * `now` or earlier). Pure.
 */
export function stillGoodBounds(
  listedAtMs: number,
  now: number,
): { heldBeforeMs: number; absentOk: boolean } {
  const heldBeforeMs = listedAtMs - CLOCK_SKEW_MARGIN_MS;
  return { heldBeforeMs, absentOk: now - LEASE_ITEM_LINGER_MS < heldBeforeMs };
}
