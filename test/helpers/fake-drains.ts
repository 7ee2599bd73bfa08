import type { Lease } from '../../lib/removal/lease/group-lease.ts';
import type { DrainRecord } from '../../lib/removal/store/drain-store.ts';
import { DrainConflictError, LeaseLostError } from '../../lib/removal/store/store-errors.ts';
import type { DrainServices } from '../../lib/removal/types.ts';

/**
 * In-memory drain records and group leases with the conditions of
 * lib/removal/store/drain-store.ts and lib/removal/lease/group-lease.ts, for unit tests of
 * the orchestration. `records` and `leases` are open for a test to read or
 * seed; `calls` lists every operation in order.
 */
export function createFakeDrains() {
  const records = new Map<string, DrainRecord>();
  const leases = new Map<string, Lease>();
  // Released leases, as their items stay in the table: held until the release.
  const released = new Map<string, Lease>();
  const calls: string[] = [];
  const conflict = (
    operation: string,
    record: { projectId: string; serverId: string },
    kind: 'already-recorded' | 'not-recorded' | 'owner-mismatch' | 'state-mismatch',
  ) => {
    const current = records.get(record.serverId);
    return new DrainConflictError({
      kind,
      operation,
      projectId: record.projectId,
      serverId: record.serverId,
      currentOwner: current?.owner,
      currentState: current?.state,
    });
  };
  const owned = (operation: string, projectId: string, serverId: string, owner: string) => {
    const current = records.get(serverId);
    if (current === undefined) throw conflict(operation, { projectId, serverId }, 'not-recorded');
    if (current.owner !== owner) {
      throw conflict(operation, { projectId, serverId }, 'owner-mismatch');
    }
    return current;
  };
  const drains: DrainServices = {
    store: {
      async getDrain(_projectId, serverId) {
        calls.push('getDrain');
        return records.get(serverId);
      },
      async recordDrain(record) {
        calls.push('recordDrain');
        if (records.has(record.serverId)) throw conflict('recordDrain', record, 'already-recorded');
        const full: DrainRecord = { ...record, state: 'draining' };
        records.set(record.serverId, full);
        return full;
      },
      async listDrains(projectId) {
        calls.push('listDrains');
        return [...records.values()].filter((r) => r.projectId === projectId);
      },
      async markActing(projectId, serverId, owner) {
        calls.push('markActing');
        const current = owned('markActing', projectId, serverId, owner);
        if (current.state !== 'draining') {
          throw conflict('markActing', { projectId, serverId }, 'state-mismatch');
        }
        const next = { ...current, state: 'acting' as const };
        records.set(serverId, next);
        return next;
      },
      async claimDrain(projectId, serverId, { fromOwner, toOwner, now, ownerUntilMs }) {
        calls.push('claimDrain');
        const current = owned('claimDrain', projectId, serverId, fromOwner);
        if ((current.ownerUntilMs ?? current.drainUntilMs) > now) {
          throw conflict('claimDrain', { projectId, serverId }, 'owner-mismatch');
        }
        const next = { ...current, owner: toOwner, ownerUntilMs };
        records.set(serverId, next);
        return next;
      },
      async confirmMaintenance(projectId, serverId, owner, times) {
        calls.push('confirmMaintenance');
        const current = owned('confirmMaintenance', projectId, serverId, owner);
        if (current.state !== 'draining') {
          throw conflict('confirmMaintenance', { projectId, serverId }, 'state-mismatch');
        }
        const next = { ...current, ...times };
        records.set(serverId, next);
        return next;
      },
      async completeDrain(projectId, serverId, owner) {
        calls.push('completeDrain');
        const current = owned('completeDrain', projectId, serverId, owner);
        if (current.state !== 'acting') {
          throw conflict('completeDrain', { projectId, serverId }, 'state-mismatch');
        }
        records.delete(serverId);
      },
      async clearDrain(projectId, serverId, owner) {
        calls.push('clearDrain');
        owned('clearDrain', projectId, serverId, owner);
        records.delete(serverId);
      },
    },
    lease: {
      async acquireLease(groupKey, owner, ttlMs, now) {
        calls.push('acquireLease');
        const held = leases.get(groupKey);
        if (held !== undefined && held.expiresAtMs > now && held.owner !== owner) {
          return { acquired: false, holder: held.owner, expiresAtMs: held.expiresAtMs };
        }
        const before = held ?? released.get(groupKey);
        const lease = {
          groupKey,
          owner,
          expiresAtMs: now + ttlMs,
          fence: (before?.fence ?? 0) + 1,
        };
        leases.set(groupKey, lease);
        released.delete(groupKey);
        const previous =
          before === undefined
            ? undefined
            : { owner: before.owner, heldUntilMs: before.expiresAtMs };
        return { acquired: true, lease, previous };
      },
      async renewLease(lease, ttlMs, now) {
        calls.push('renewLease');
        const held = leases.get(lease.groupKey);
        if (
          held === undefined ||
          held.owner !== lease.owner ||
          held.fence !== lease.fence ||
          held.expiresAtMs <= now
        ) {
          throw new LeaseLostError({ groupKey: lease.groupKey, owner: lease.owner });
        }
        const next = { ...held, expiresAtMs: now + ttlMs };
        leases.set(lease.groupKey, next);
        return next;
      },
      async releaseLease(lease, now) {
        calls.push('releaseLease');
        const held = leases.get(lease.groupKey);
        if (held?.owner !== lease.owner || held.fence !== lease.fence) return false;
        leases.delete(lease.groupKey);
        released.set(lease.groupKey, { ...held, expiresAtMs: now });
        return true;
      },
    },
  };
  return { drains, records, leases, calls };
}
