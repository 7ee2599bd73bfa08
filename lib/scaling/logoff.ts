import type { LogoffRequest } from '../huawei/aps-client.ts';
import type { AppServer, SessionInfo } from '../huawei/schemas.ts';
import { assessMember } from './idle.ts';
import { ENDED_SESSION_STATES } from './session-join.ts';
import type { AssessedReason, SessionQueryFailure } from './types.ts';

// The two calls the removal lifecycle makes for a removal that carries
// abandoned sessions (`Removal.logoffSessionIds`, docs/logoff.md): the log-off request while the server drains, then the strict
// re-check before it acts.

/** LOGOFF_MESSAGE and LOGOFF_DELAY_SECONDS, as lib/config.ts parsed them. */
export interface LogoffText {
  message: string;
  delaySeconds: number;
}

/**
 * The `POST /session/logoff` request for one planned removal (or its drain
 * record), or undefined when it logs nothing off. The drain period must be at least
 * `delaySeconds` for the sessions to have ended by the re-check.
 */
export function logoffRequestOf(
  removal: { serverId: string; logoffSessionIds?: string[] | undefined },
  text: LogoffText,
): LogoffRequest | undefined {
  const ids = removal.logoffSessionIds;
  if (ids === undefined || ids.length === 0) return undefined;
  return {
    sessionIds: ids,
    message: text.message,
    delaySeconds: text.delaySeconds,
    messageType: 1,
  };
}

/**
 * The re-check after a log-off: the server is removable only when it has no
 * session at all, judged by `assessMember` without a log-off age (so any
 * `Active`, `Disconnected` or `AppcInit` session, or a session_count above 0,
 * keeps it: a user who reconnected keeps the server). The sessions it logged
 * off that have ended are left out of its last activity: their ending is the
 * log-off, not a user. Pure.
 */
export function assessAfterLogoff(
  server: AppServer,
  sessionsOfServer: readonly SessionInfo[] | SessionQueryFailure,
  loggedOff: readonly string[],
  now: number,
  idleThresholdMinutes: number,
  protectTagKey: string,
): AssessedReason {
  const ids = new Set(loggedOff);
  const sessions = Array.isArray(sessionsOfServer)
    ? sessionsOfServer.filter(
        (s) =>
          !(
            ids.has(String(s.id)) &&
            typeof s.session_state === 'string' &&
            ENDED_SESSION_STATES.has(s.session_state)
          ),
      )
    : sessionsOfServer;
  return assessMember(server, sessions, now, idleThresholdMinutes, protectTagKey);
}
