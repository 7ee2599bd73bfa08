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
  // Each record alone, as the real store's conditions judge it: the written ones and the refused.
  const each = async (
    records: readonly DrainRecord[],
    change: (record: DrainRecord) => DrainRecord,
  ) => {
    const written: DrainRecord[] = [];
    const conflicts: DrainConflictError[] = [];
    for (const record of records) {
      try {
        written.push(change(record));
      } catch (error) {
        if (!(error instanceof DrainConflictError)) throw error;
        conflicts.push(error);
      }
    }
    return { records: written, conflicts };
  };
  const draining = (operation: string, record: DrainRecord, owner: string) => {
    const current = owned(operation, record.projectId, record.serverId, owner);
    if (current.state !== 'draining') {
      throw conflict(operation, record, 'state-mismatch');
    }
    return current;
  };
  const drains: DrainServices = {
    store: {
      async getDrain(_projectId, serverId) {
        calls.push('getDrain');
        return records.get(serverId);
      },
      async recordDrains(list) {
        calls.push('recordDrains');
        return each(
          list.map((r) => ({ ...r, state: 'draining' as const })),
          (record) => {
            if (records.has(record.serverId)) {
              throw conflict('recordDrain', record, 'already-recorded');
            }
            records.set(record.serverId, record);
            return record;
          },
        );
      },
      async listDrains(projectId) {
        calls.push('listDrains');
        return [...records.values()].filter((r) => r.projectId === projectId);
      },
      async markActing(list, owner) {
        calls.push('markActing');
        return each(list, (record) => {
          const next = { ...draining('markActing', record, owner), state: 'acting' as const };
          records.set(record.serverId, next);
          return next;
        });
      },
      async claimDrains(list, { toOwner, now, ownerUntilMs }) {
        calls.push('claimDrains');
        return each(list, (record) => {
          const current = owned('claimDrain', record.projectId, record.serverId, record.owner);
          if ((current.ownerUntilMs ?? current.drainUntilMs) > now) {
            throw conflict('claimDrain', record, 'owner-mismatch');
          }
          const next = { ...current, owner: toOwner, ownerUntilMs };
          records.set(record.serverId, next);
          return next;
        });
      },
      async confirmMaintenance(list, owner, times) {
        calls.push('confirmMaintenance');
        return each(list, (record) => {
          const next = { ...draining('confirmMaintenance', record, owner), ...times };
          records.set(record.serverId, next);
          return next;
        });
      },
      async takeAndRecord(list, take) {
        calls.push('takeAndRecord');
        const [first] = list;
        if (first === undefined) throw new RangeError('no records');
        const groupKey = `${first.projectId}/${first.groupId}`;
        const before = leases.get(groupKey) ?? released.get(groupKey);
        const free = before === undefined ? take.absentOk : before.expiresAtMs < take.heldBeforeMs;
        const busy = [...records.values()].some(
          (r) => r.projectId === first.projectId && r.groupId === first.groupId,
        );
        if (!free || busy) return undefined;
        const fence = (before?.fence ?? 0) + 1;
        leases.set(groupKey, { groupKey, owner: take.owner, expiresAtMs: take.expiresAtMs, fence });
        released.delete(groupKey);
        const written = list.map((r) => ({ ...r, state: 'draining' as const }));
        for (const r of written) records.set(r.serverId, r);
        return { fence, records: written };
      },
      async endDrains(owner, { completed = [], cleared = [] }, release) {
        calls.push('endDrains');
        const done = new Set(completed.map((r) => r.serverId));
        const ended = await each([...completed, ...cleared], (record) => {
          const current = owned('endDrain', record.projectId, record.serverId, owner);
          if (done.has(record.serverId) && current.state !== 'acting') {
            throw conflict('endDrain', record, 'state-mismatch');
          }
          records.delete(record.serverId);
          return record;
        });
        const [first] = [...completed, ...cleared];
        const key = first && `${first.projectId}/${first.groupId}`;
        const held = key === undefined ? undefined : leases.get(key);
        const ours =
          release !== undefined &&
          ended.conflicts.length === 0 &&
          held?.owner === release.lease.owner &&
          held.fence === release.lease.fence;
        if (ours && key !== undefined && held !== undefined) {
          leases.delete(key);
          released.set(key, { ...held, expiresAtMs: release.now });
        }
        return { ...ended, released: ours };
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
