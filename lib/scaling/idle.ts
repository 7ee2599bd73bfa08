import { parseApiTime } from '../huawei/api-time.ts';
import {
  type AppServer,
  isKnown,
  ServerStatusSchema,
  type SessionInfo,
  type TmsTag,
  VmStatusSchema,
} from '../huawei/schemas.ts';
import { ENDED_SESSION_STATES, hasJoinKey } from './session-join.ts';
import type {
  AssessedReason,
  BusySessionState,
  InServiceField,
  SessionQueryFailure,
} from './types.ts';

const MS_PER_MINUTE = 60_000;

const BUSY_STATES: ReadonlySet<string> = new Set<BusySessionState>([
  'Active',
  'Disconnected',
  'AppcInit',
]);

/**
 * Groups a session listing by `machine_name` (exact, as the API spells it), in
 * one pass, keeping the listing's order; build it once per group. Sessions
 * without a `machine_name` match no server and are left out.
 */
export function indexSessionsByMachine(
  sessions: readonly SessionInfo[],
): Map<string, SessionInfo[]> {
  const index = new Map<string, SessionInfo[]>();
  for (const session of sessions) {
    const name = session.machine_name;
    if (typeof name !== 'string' || name === '') continue;
    const list = index.get(name);
    if (list === undefined) index.set(name, [session]);
    else list.push(session);
  }
  return index;
}

/**
 * The sessions of one server out of an index from `indexSessionsByMachine`
 * (an empty list when it had none).
 */
export function sessionsOfMachine(
  index: ReadonlyMap<string, readonly SessionInfo[]>,
  machineName: string | undefined,
): readonly SessionInfo[] {
  if (typeof machineName !== 'string') return [];
  return index.get(machineName) ?? [];
}

/**
 * Whether a member counts in `n`: status `REGISTERED`, vm_status `ACTIVE` and
 * maintain_status `false` (a missing maintain_status is not `false`).
 */
export function isInService(server: AppServer): boolean {
  return (
    server.status === 'REGISTERED' &&
    server.vm_status === 'ACTIVE' &&
    server.maintain_status === false
  );
}

/** Whether `tags` holds a tag whose key is exactly `key` (any value). */
export function hasTag(tags: readonly TmsTag[] | null | undefined, key: string): boolean {
  if (!Array.isArray(tags)) return false;
  return tags.some((tag) => tag !== null && typeof tag === 'object' && tag.key === key);
}

/** Whether `sessions` is a failed session query rather than a listing. */
export function isSessionQueryFailure(
  sessions: readonly SessionInfo[] | SessionQueryFailure,
): sessions is SessionQueryFailure {
  return !Array.isArray(sessions);
}

function unknown(detail: string): AssessedReason {
  return { kind: 'unknown-activity', detail };
}

function render(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  return String(value);
}

/**
 * The effect of the first `freeze` entry that blocks removal: effect 2 (not
 * releasable) or any effect the SDK does not document (fail safe). Effect 1
 * (releasable), 3 (not renewable) and an absent effect (= 1) do not block.
 */
function freezeBlock(server: AppServer): number | undefined {
  const freeze = server.freeze;
  if (!Array.isArray(freeze)) return undefined;
  for (const entry of freeze) {
    if (entry === null || typeof entry !== 'object') continue;
    const effect: unknown = entry.effect;
    if (effect === undefined || effect === 1 || effect === 3) continue;
    return typeof effect === 'number' ? effect : Number.NaN;
  }
  return undefined;
}

/** A task other than none: task_status `"null"`, empty or absent is none (docs/huawei-api.md). */
function runningTask(server: AppServer): string | undefined {
  const task: unknown = server.task_status;
  if (task === undefined || task === null || task === '' || task === 'null') return undefined;
  return render(task);
}

/** job_status other than `SUCCESS`, `FAILED` or absent: `WAITING`, `RUNNING` or unknown. */
function runningJob(server: AppServer): string | undefined {
  const job: unknown = server.job_status;
  if (job === undefined || job === null || job === 'SUCCESS' || job === 'FAILED') return undefined;
  return render(job);
}

function notInService(detail: InServiceField, value: unknown, known: boolean): AssessedReason {
  const reason: Extract<AssessedReason, { kind: 'not-in-service' }> = {
    kind: 'not-in-service',
    detail,
    value: render(value),
  };
  if (!known) reason.unknown = true;
  return reason;
}

/** The time a session last showed activity, by preference, with the field it came from. */
function sessionTime(session: SessionInfo): { field: string; value: string } | undefined {
  for (const field of ['end_time', 'last_update_status_time', 'start_time'] as const) {
    const value = session[field];
    if (value !== null && value !== undefined) return { field, value };
  }
  return undefined;
}

interface SessionScan {
  active: { sessionId: string; state: BusySessionState } | undefined;
  unknown: { sessionId: string; detail: string } | undefined;
  latest: number | undefined;
  /** Set when every in-use session is `Disconnected` at least the log-off age: their ids, sorted. */
  abandoned: string[] | undefined;
}

/** When a `Disconnected` session was last seen in use: its last state change, else its start. */
function disconnectedAt(session: SessionInfo): number | undefined {
  return parseApiTime(session.last_update_status_time ?? session.start_time ?? undefined);
}

// With a log-off age, in-use sessions that are all Disconnected since at
// least that long are abandoned: their disconnect times count as activity.
function abandonedOf(
  busy: readonly SessionInfo[],
  now: number,
  logoffAfterMinutes: number | undefined,
): { ids: string[]; latest: number | undefined } | undefined {
  if (logoffAfterMinutes === undefined || !Number.isFinite(now)) return undefined;
  let latest: number | undefined;
  for (const session of busy) {
    const at = session.session_state === 'Disconnected' ? disconnectedAt(session) : undefined;
    if (at === undefined || now - at < logoffAfterMinutes * MS_PER_MINUTE) return undefined;
    if (latest === undefined || at > latest) latest = at;
  }
  return { ids: busy.map((session) => String(session.id)).sort(), latest };
}

// Only the smallest offending session id is reported, so the reason does not
// depend on the order of the listing. Times are parsed only when no session is
// busy: a busy server needs none of them.
function scanSessions(
  sessions: readonly SessionInfo[],
  now: number,
  logoffAfterMinutes: number | undefined,
): SessionScan {
  const scan: SessionScan = {
    active: undefined,
    unknown: undefined,
    latest: undefined,
    abandoned: undefined,
  };
  const busy: SessionInfo[] = [];
  for (const session of sessions) {
    const state = session.session_state;
    if (typeof state !== 'string' || !BUSY_STATES.has(state)) continue;
    busy.push(session);
    const id = String(session.id);
    if (scan.active === undefined || id < scan.active.sessionId) {
      scan.active = { sessionId: id, state: state as BusySessionState };
    }
  }
  if (scan.active !== undefined) {
    const abandoned = abandonedOf(busy, now, logoffAfterMinutes);
    if (abandoned === undefined) return scan;
    scan.active = undefined;
    scan.abandoned = abandoned.ids;
    scan.latest = abandoned.latest;
  }
  for (const session of sessions) {
    const state = session.session_state;
    if (typeof state === 'string' && BUSY_STATES.has(state)) continue;
    let problem: string | undefined;
    if (typeof state !== 'string' || !ENDED_SESSION_STATES.has(state)) {
      problem =
        typeof state === 'string'
          ? `has unknown-session_state: ${JSON.stringify(state)}`
          : `has session_state ${render(state)}`;
    } else {
      const time = sessionTime(session);
      const at = time === undefined ? undefined : parseApiTime(time.value);
      if (time === undefined) problem = 'has no usable time';
      else if (at === undefined) problem = `${time.field} does not parse`;
      else if (scan.latest === undefined || at > scan.latest) scan.latest = at;
    }
    if (problem === undefined) continue;
    const id = String(session.id);
    if (scan.unknown === undefined || id < scan.unknown.sessionId) {
      scan.unknown = { sessionId: id, detail: `session ${id} ${problem}` };
    }
  }
  return scan;
}

/**
 * Decides whether one member is an idle candidate (docs/how-it-decides.md).
 * Reasons are checked in this order and the first that applies is
 * returned:
 *
 * 1. `not-in-service` — status, then vm_status, then maintain_status;
 * 2. `protected` — a tag whose key is `protectTagKey`;
 * 3. `freeze-protected` — a `freeze` entry with effect 2 or an undocumented effect;
 * 4. `job-running` — job_status other than `SUCCESS`, `FAILED` or absent;
 * 5. `task-running` — task_status other than `"null"`, empty or absent;
 * 6. `busy` — session_count above 0;
 * 7. `active-session` — a session in state Active, Disconnected or AppcInit;
 * 8. `unknown-activity` — session_count missing or invalid, the session query
 *    failed, no machine_name, sid or address to join sessions by, a session in an unknown
 *    state or without a time that parses (its end_time, else
 *    last_update_status_time, else start_time — only the preferred present
 *    field is read), a create_time that does not parse, no create_time and no
 *    sessions, or a `now` that is not a finite number;
 * 9. `recently-used` / `idle` — last activity (the latest of create_time and
 *    each session's time) compared with `now`: idle when
 *    `now − last activity ≥ idleThresholdMinutes`.
 *
 * With `logoffAfterMinutes` (LOGOFF_DISCONNECTED_AFTER_MINUTES), a server
 * whose in-use sessions are all `Disconnected` since at least that long
 * (their last_update_status_time, else start_time) passes 6 and 7 when its
 * session_count is at most their number: their disconnect times count as
 * activity, and an `idle` verdict names them in `logoff`.
 *
 * A status or vm_status the SDK does not document is `not-in-service` with
 * `unknown` set, so reports name it.
 *
 * @param sessionsOfServer the server's sessions (see `joinSessions` in
 *   session-join.ts), or
 *   the failure of the session query.
 * @param now epoch milliseconds.
 * @param idleThresholdMinutes `shrink_after_session_idle_minutes`, in minutes.
 * @param logoffAfterMinutes LOGOFF_DISCONNECTED_AFTER_MINUTES; undefined: off.
 */
export function assessMember(
  server: AppServer,
  sessionsOfServer: readonly SessionInfo[] | SessionQueryFailure,
  now: number,
  idleThresholdMinutes: number,
  protectTagKey: string,
  logoffAfterMinutes?: number,
): AssessedReason {
  const { status, vm_status: vmStatus } = server;
  if (status !== 'REGISTERED') {
    return notInService('status', status, isKnown(ServerStatusSchema, status));
  }
  if (vmStatus !== 'ACTIVE') {
    return notInService('vm_status', vmStatus, isKnown(VmStatusSchema, vmStatus));
  }
  if (server.maintain_status !== false) {
    return notInService('maintain_status', server.maintain_status, true);
  }
  if (hasTag(server.tags, protectTagKey)) return { kind: 'protected' };
  const effect = freezeBlock(server);
  if (effect !== undefined) return { kind: 'freeze-protected', effect };
  const jobStatus = runningJob(server);
  if (jobStatus !== undefined) return { kind: 'job-running', jobStatus };
  const taskStatus = runningTask(server);
  if (taskStatus !== undefined) return { kind: 'task-running', taskStatus };
  const count = server.session_count;
  const counted = typeof count === 'number' && count > 0;
  if (counted && logoffAfterMinutes === undefined) return { kind: 'busy', sessionCount: count };

  const failed = isSessionQueryFailure(sessionsOfServer);
  const scan =
    failed || !hasJoinKey(server)
      ? undefined
      : scanSessions(sessionsOfServer, now, logoffAfterMinutes);
  // session_count may count the abandoned sessions, never more.
  const abandoned = scan?.abandoned;
  if (counted && (abandoned === undefined || count > abandoned.length)) {
    return { kind: 'busy', sessionCount: count };
  }
  if (scan?.active !== undefined) {
    return { kind: 'active-session', sessionId: scan.active.sessionId, state: scan.active.state };
  }

  if (count !== 0 && !counted) return unknown(`session_count is ${render(count)}`);
  if (failed) {
    return unknown(
      sessionsOfServer.notListed === true
        ? `sessions not listed: ${sessionsOfServer.error}`
        : `session query failed: ${sessionsOfServer.error}`,
    );
  }
  if (scan === undefined) return unknown('no machine_name, sid or address to join sessions by');
  if (scan.unknown !== undefined) return unknown(scan.unknown.detail);

  let last = scan.latest;
  const createTime = server.create_time;
  if (createTime !== undefined && createTime !== null) {
    const created = parseApiTime(createTime);
    if (created === undefined) return unknown('create_time does not parse');
    if (last === undefined || created > last) last = created;
  }
  if (last === undefined) return unknown('no create_time and no sessions');
  if (!Number.isFinite(now)) return unknown('now is not a finite time');

  const idleMinutes = (now - last) / MS_PER_MINUTE;
  if (now - last >= idleThresholdMinutes * MS_PER_MINUTE) {
    return abandoned === undefined
      ? { kind: 'idle', idleMinutes }
      : { kind: 'idle', idleMinutes, logoff: abandoned };
  }
  return { kind: 'recently-used', idleMinutes, thresholdMinutes: idleThresholdMinutes };
}
