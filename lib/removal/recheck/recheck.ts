import type { AppServer, SessionInfo } from '../../huawei/schemas.ts';
import { assessMember } from '../../scaling/idle.ts';
import { assessAfterLogoff } from '../../scaling/logoff.ts';
import type { AssessedReason, SessionQueryFailure } from '../../scaling/types.ts';
import type { UndoReason } from '../outcome.ts';
import type { DrainRecord } from '../store/drain-store.ts';

export type { UndoReason } from '../outcome.ts';

/** APS takes at most 20 server ids per `batch-maint` call (docs/drain-lifecycle.md). */
export const MAINTENANCE_BATCH_SIZE = 20;

/**
 * What to do with one server at a drain check:
 * - `act`: remove or release it now (every check passed, the period elapsed);
 * - `undo`: end the drain — lift maintenance when `unmaintain`, then clear the record;
 * - `wait`: check again at `untilMs` (epoch ms);
 * - `leave-alone`: no record of ours — an operator's maintenance, or never drained;
 * - `forget`: our action already took effect or the server is gone — clear the
 *   record (lifting maintenance first when `unmaintain`).
 */
export type DrainDecision =
  | { kind: 'act'; serverId: string; instanceId: string | undefined; idleMinutes: number }
  | {
      kind: 'undo';
      serverId: string;
      reason: UndoReason;
      detail: string;
      unmaintain: boolean;
      /** The idle rules' verdict, when they ended it. */
      assessed?: AssessedReason;
    }
  | { kind: 'wait'; serverId: string; untilMs: number }
  | { kind: 'leave-alone'; serverId: string; reason: 'operator-maintenance' | 'not-ours' }
  | {
      kind: 'forget';
      serverId: string;
      reason: 'server-gone' | 'action-done';
      unmaintain: boolean;
    };

/** The group as the drain check needs it, from the fresh read and the configuration. */
export interface DrainGroupView {
  groupId: string;
  /**
   * False when the group would now be skipped: policy or group disabled,
   * group protected, policy invalid (the `skip` reasons of `evaluateGroup`).
   */
  scaleInAllowed: boolean;
  /** `shrink_after_session_idle_minutes`, minutes. */
  idleThresholdMinutes: number;
  protectTagKey: string;
  /**
   * The group's floor at the re-check instant: MIN_SERVERS_PER_GROUP, its
   * min-servers tag or a schedule window's `minServers` (lib/scaling/effective-settings.ts).
   */
  minServersPerGroup: number;
  /** Members in service on the fresh read; servers in maintenance (ours too) do not count. */
  inService: number;
}

export interface DrainCheckInput {
  /** Our record of the server, if any (read after the server, strongly consistent). */
  record: DrainRecord | undefined;
  /** The server re-read just now; `undefined` when the API no longer knows it. */
  server: AppServer | undefined;
  /** The server's sessions in the fresh listing, or the failure of that query. */
  sessions: readonly SessionInfo[] | SessionQueryFailure;
  group: DrainGroupView;
  /** Epoch ms. */
  now: number;
  /**
   * False with DRAIN_SECONDS=0: the record stands for the plan, no maintenance
   * was asked for and there is no period, so checks 4 and 8 do not apply and
   * the server is judged as it is. Default true.
   */
  drained?: boolean;
}

function undoFor(reason: AssessedReason): { reason: UndoReason; detail: string } | undefined {
  switch (reason.kind) {
    case 'idle':
      return undefined;
    case 'busy':
      return { reason: 'session-arrived', detail: `session_count is ${reason.sessionCount}` };
    case 'active-session':
      return {
        reason: 'session-arrived',
        detail: `session ${reason.sessionId} is ${reason.state}`,
      };
    case 'recently-used':
      return {
        reason: 'recently-used',
        detail: `last activity ${reason.idleMinutes.toFixed(1)} min ago, threshold ${reason.thresholdMinutes} min`,
      };
    case 'not-in-service':
      return { reason: 'not-in-service', detail: `${reason.detail} is ${reason.value}` };
    case 'protected':
      return { reason: 'protected', detail: 'carries the protect tag' };
    case 'freeze-protected':
      return { reason: 'protected', detail: 'frozen (freeze effect 2)' };
    case 'job-running':
      return { reason: 'job-running', detail: `job_status is ${reason.jobStatus}` };
    case 'unknown-activity':
      return { reason: 'unknown-activity', detail: reason.detail };
    default:
      return { reason: 'unknown-activity', detail: 'unrecognised assessment' };
  }
}

/**
 * The drain check of docs/drain-lifecycle.md, pure: no I/O, no clock. Checks
 * in this order and returns at the first that applies:
 *
 * 1. no record of ours → `leave-alone` (never touch, never un-maintain);
 * 2. server gone → `forget`;
 * 3. no longer a member of the recorded group → `forget` (`action-done`) when
 *    the record says `acting`, else `undo` `not-a-member`;
 * 4. maintenance not set → `undo` `maintenance-lifted` (nothing to lift; drained only);
 * 5. the group would now be skipped → `undo` `policy-changed`;
 * 6. the idle rules of `assessMember`, judged as if the server were in
 *    service: a session, a busy count, recent use, protection, a job, or
 *    anything unknown → `undo` (at once, without waiting out the period);
 *    a record that logged sessions off is judged by `assessAfterLogoff`:
 *    any session left (a reconnect, a log-off not yet done) → `undo`;
 * 7. the group in service below its floor at `now` → `undo` `floor`;
 * 8. `now` before `record.drainUntilMs` → `wait`;
 * 9. otherwise `act`.
 */
export function decideDrain(input: DrainCheckInput): DrainDecision {
  const { record, server, sessions, group, now, drained = true } = input;
  const serverId = server?.id ?? record?.serverId ?? '';
  if (record === undefined) {
    const reason = server?.maintain_status === true ? 'operator-maintenance' : 'not-ours';
    return { kind: 'leave-alone', serverId, reason };
  }
  const acting = record.state === 'acting';
  if (server === undefined) {
    return {
      kind: 'forget',
      serverId,
      reason: acting ? 'action-done' : 'server-gone',
      unmaintain: false,
    };
  }
  const inMaintenance = server.maintain_status === true;
  const member = server.server_group_id === record.groupId && record.groupId === group.groupId;
  if (!member) {
    if (acting)
      return { kind: 'forget', serverId, reason: 'action-done', unmaintain: inMaintenance };
    const detail = `server_group_id is ${server.server_group_id ?? 'missing'}, drained from ${record.groupId}`;
    return {
      kind: 'undo',
      serverId,
      reason: 'not-a-member',
      detail,
      unmaintain: drained && inMaintenance,
    };
  }
  const undo = (reason: UndoReason, detail: string, assessed?: AssessedReason): DrainDecision => ({
    kind: 'undo',
    serverId,
    reason,
    detail,
    unmaintain: drained && inMaintenance,
    ...(assessed === undefined ? {} : { assessed }),
  });
  if (drained && !inMaintenance) {
    return undo(
      'maintenance-lifted',
      `maintain_status is ${String(server.maintain_status ?? 'missing')}`,
    );
  }
  if (!group.scaleInAllowed) return undo('policy-changed', 'the group is no longer scaled in');
  const judged = drained ? { ...server, maintain_status: false } : server;
  const { idleThresholdMinutes: threshold, protectTagKey } = group;
  const assessed =
    record.logoffSessionIds === undefined
      ? assessMember(judged, sessions, now, threshold, protectTagKey)
      : assessAfterLogoff(judged, sessions, record.logoffSessionIds, now, threshold, protectTagKey);
  const blocked = undoFor(assessed);
  if (blocked !== undefined) return undo(blocked.reason, blocked.detail, assessed);
  if (group.inService < group.minServersPerGroup) {
    return undo('floor', `${group.inService} in service, floor ${group.minServersPerGroup}`);
  }
  if (now < record.drainUntilMs) return { kind: 'wait', serverId, untilMs: record.drainUntilMs };
  const idleMinutes = assessed.kind === 'idle' ? assessed.idleMinutes : 0;
  return {
    kind: 'act',
    serverId,
    instanceId: server.instance_id ?? record.instanceId,
    idleMinutes,
  };
}

/**
 * Whether an inline sweep can wait out the drain: `wait` (for `ms`) when
 * `drainUntilMs` falls no later than `deadlineAt`, the time budget, which
 * already leaves the reserve for the re-read, the action and the report;
 * else `undo` with `deadline`. All times epoch ms; a non-finite `now` or
 * `drainUntilMs` undoes.
 */
export function planDrainWait(options: {
  now: number;
  drainUntilMs: number;
  deadlineAt: number;
}): { kind: 'wait'; ms: number } | { kind: 'undo'; reason: 'deadline' } {
  const { now, drainUntilMs, deadlineAt } = options;
  if (
    ![now, drainUntilMs].every(Number.isFinite) ||
    Number.isNaN(deadlineAt) ||
    drainUntilMs > deadlineAt
  ) {
    return { kind: 'undo', reason: 'deadline' };
  }
  return { kind: 'wait', ms: Math.max(0, drainUntilMs - now) };
}

/**
 * `ids` without repeats, in order, cut into chunks of at most `size`
 * (1–20, MAINTENANCE_BATCH_SIZE by default): one `batch-maint` call each.
 */
export function chunkForMaintenance(
  ids: readonly string[],
  size: number = MAINTENANCE_BATCH_SIZE,
): string[][] {
  if (!Number.isInteger(size) || size < 1 || size > MAINTENANCE_BATCH_SIZE) {
    throw new RangeError(`batch size must be 1–${MAINTENANCE_BATCH_SIZE}, got ${size}`);
  }
  const unique = [...new Set(ids)];
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += size) {
    chunks.push(unique.slice(start, start + size));
  }
  return chunks;
}
