import * as z from 'zod';
import type { SessionInfo } from '../lib/huawei/schemas.ts';
import {
  invalid,
  jsonBody,
  type RouteContext,
  type RouteRequest,
  type RouteResult,
  SimHttpError,
} from './route-params.ts';
import type { SimState } from './state.ts';

// The log-off of sessions (POST /v1/{project_id}/session/logoff, docs/huawei-api.md):
// each session ends `delay_time` seconds after the call on the virtual clock,
// unless its user reconnects first (POST /_sim/reconnect), which keeps it.

/** The SDK's LogoffUserSessionReq; the simulator's bounds on the lists and texts. */
const LogoffBodySchema = z.strictObject({
  session_ids: z.array(z.string().min(1)).min(1).max(100),
  message_type: z.int().min(0).max(2),
  message: z.string().max(1024).optional(),
  title: z.string().max(256).optional(),
  delay_time: z.int().min(0).max(86_400),
  transaction_id: z.string().max(128).optional(),
});

const ReconnectBodySchema = z.strictObject({ session_id: z.string().min(1) });

interface PendingLogoff {
  info: SessionInfo;
  dueMs: number;
}

const pendingByState = new WeakMap<SimState, Map<string, PendingLogoff>>();

function pendingOf(state: SimState): Map<string, PendingLogoff> {
  let pending = pendingByState.get(state);
  if (pending === undefined) {
    pending = new Map();
    pendingByState.set(state, pending);
  }
  return pending;
}

/** The session with this id, or undefined; sessions are indexed by machine, so the id is searched. */
function findSession(state: SimState, id: string): SessionInfo | undefined {
  return state.sessions.find((session) => session.id === id);
}

/** Whether `info` is still one of the state's sessions (a reset loads new ones). */
function isCurrent(state: SimState, info: SessionInfo): boolean {
  return state.sessionsOf(info.machine_name ?? '').includes(info);
}

function countOnServer(state: SimState, info: SessionInfo, delta: number): void {
  const server = state.getServerByMachine(info.machine_name ?? '');
  if (server === undefined) return;
  state.setSessionCount(server.id, Math.max(0, (server.session_count ?? 0) + delta));
}

/**
 * `POST /v1/{project_id}/session/logoff`: schedules each named session to end
 * `delay_time` seconds from now; 400 naming the first unknown session id. A
 * session that already ended is left as it is. The answer has no body.
 */
export function logoffSessions(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const body = jsonBody(request, LogoffBodySchema);
  const sessions = body.session_ids.map((id, index) => {
    const info = findSession(state, id);
    if (info === undefined) throw invalid(`session_ids[${index}]: session ${id} not found`);
    return info;
  });
  const pending = pendingOf(state);
  for (const info of sessions) {
    if (info.session_state === 'SignedOut' || info.session_state === 'InitFail') continue;
    pending.set(info.id, { info, dueMs: now + body.delay_time * 1000 });
  }
  return { status: 200 };
}

/**
 * Ends every logged-off session whose delay has passed at `now` (virtual
 * epoch ms): state `SignedOut`, `end_time` the due instant; an `Active`
 * session also leaves its server's session_count. Called before each request.
 */
export function settleLogoffs(state: SimState, now: number): void {
  const pending = pendingByState.get(state);
  if (pending === undefined || pending.size === 0) return;
  for (const [id, entry] of pending) {
    if (entry.dueMs > now) continue;
    pending.delete(id);
    const { info } = entry;
    if (!isCurrent(state, info)) continue;
    if (info.session_state === 'Active') countOnServer(state, info, -1);
    const at = new Date(entry.dueMs).toISOString();
    info.session_state = 'SignedOut';
    info.end_time = at;
    info.last_update_status_time = at;
  }
}

/**
 * `POST /_sim/reconnect` `{"session_id": "…"}`: the user comes back. The
 * session turns `Active` (its server's session_count rises by one) and a
 * pending log-off of it is dropped, so the session is kept.
 */
export function reconnectSession(state: SimState, body: unknown, now: number): RouteResult {
  const parsed = ReconnectBodySchema.safeParse(body);
  if (!parsed.success) throw new SimHttpError(400, 'SIM.0400', 'invalid body: session_id');
  const info = findSession(state, parsed.data.session_id);
  if (info === undefined) throw new SimHttpError(404, 'SIM.0404', 'no such session');
  if (info.session_state === 'SignedOut' || info.session_state === 'InitFail') {
    throw new SimHttpError(409, 'SIM.0409', `session ${info.id} has ended`);
  }
  pendingOf(state).delete(info.id);
  if (info.session_state !== 'Active') countOnServer(state, info, 1);
  info.session_state = 'Active';
  info.last_update_status_time = new Date(now).toISOString();
  return { status: 200, body: { session: info } };
}
