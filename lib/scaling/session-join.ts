import type { AppServer, SessionInfo } from '../huawei/schemas.ts';

/**
 * Session states that mean nobody is on the server any more. Every other
 * state — Active, Disconnected, AppcInit, a value the SDK does not document,
 * or none — counts as in use (fail safe).
 */
export const ENDED_SESSION_STATES: ReadonlySet<string> = new Set(['SignedOut', 'InitFail']);

/** Whether a session may still have somebody on its server (see {@link ENDED_SESSION_STATES}). */
export function isInUse(session: SessionInfo): boolean {
  const state = session.session_state;
  return typeof state !== 'string' || !ENDED_SESSION_STATES.has(state);
}

/** The sessions of a group's listing, joined to its members. */
export interface SessionJoin {
  /** The sessions that join `server` by any of its keys (an empty list when none). */
  of(server: AppServer): readonly SessionInfo[];
  /** In-use sessions that join no member, in listing order. */
  unmatchedInUse: readonly SessionInfo[];
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** A server's addresses (`host_address[].addr`), without empty ones. */
export function addressesOf(server: AppServer): string[] {
  const list = server.host_address;
  const out: string[] = [];
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (entry !== null && typeof entry === 'object' && nonEmpty(entry.addr)) out.push(entry.addr);
  }
  return out;
}

/** Whether a server has any key a session can join it by. */
export function hasJoinKey(server: AppServer): boolean {
  return nonEmpty(server.machine_name) || nonEmpty(server.sid) || addressesOf(server).length > 0;
}

function push(index: Map<string, SessionInfo[]>, key: string, session: SessionInfo): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [session]);
  else list.push(session);
}

/**
 * Joins a session listing to a group's members (docs/huawei-api.md, "List
 * sessions"): by `machine_name` when a member has that name, else by
 * `machine_sid` ↔ a member's `sid`, else by `vm_ip` ↔ a member's
 * `host_address[].addr`. Keys compare exactly, as the API spells them. A
 * session joins by the first key that names a member and by no later one; a
 * key shared by several members joins all of them. One pass over members and
 * sessions; build it once per group.
 */
export function joinSessions(
  members: readonly AppServer[],
  sessions: readonly SessionInfo[],
): SessionJoin {
  const names = new Set<string>();
  const sids = new Set<string>();
  const ips = new Set<string>();
  for (const server of members) {
    if (nonEmpty(server.machine_name)) names.add(server.machine_name);
    if (nonEmpty(server.sid)) sids.add(server.sid);
    for (const addr of addressesOf(server)) ips.add(addr);
  }
  const byName = new Map<string, SessionInfo[]>();
  const bySid = new Map<string, SessionInfo[]>();
  const byIp = new Map<string, SessionInfo[]>();
  const unmatched: SessionInfo[] = [];
  for (const session of sessions) {
    const { machine_name: name, machine_sid: sid, vm_ip: ip } = session;
    if (nonEmpty(name) && names.has(name)) push(byName, name, session);
    else if (nonEmpty(sid) && sids.has(sid)) push(bySid, sid, session);
    else if (nonEmpty(ip) && ips.has(ip)) push(byIp, ip, session);
    else unmatched.push(session);
  }
  const unmatchedInUse = unmatched.filter(isInUse);
  return {
    unmatchedInUse,
    of(server) {
      const found = new Set<SessionInfo>();
      const add = (list: readonly SessionInfo[] | undefined) => {
        for (const session of list ?? []) found.add(session);
      };
      const addrs = addressesOf(server);
      if (nonEmpty(server.machine_name)) add(byName.get(server.machine_name));
      if (nonEmpty(server.sid)) add(bySid.get(server.sid));
      for (const addr of addrs) add(byIp.get(addr));
      // A server re-read after the listing may carry keys no listed member had
      // (the pipeline's fresh check): sessions that joined no member and name
      // one of its keys are its own too. For a listed member this adds nothing.
      for (const session of unmatched) {
        const { machine_name: name, machine_sid: sid, vm_ip: ip } = session;
        if (
          (nonEmpty(name) && name === server.machine_name) ||
          (nonEmpty(sid) && sid === server.sid) ||
          (nonEmpty(ip) && addrs.includes(ip))
        ) {
          found.add(session);
        }
      }
      return [...found];
    },
  };
}

/**
 * Names the unmatched in-use session with the smallest id, with the keys it
 * carries, so the text does not depend on the listing's order.
 */
export function describeUnmatched(sessions: readonly SessionInfo[]): string | undefined {
  let first: SessionInfo | undefined;
  for (const session of sessions) {
    if (first === undefined || String(session.id) < String(first.id)) first = session;
  }
  if (first === undefined) return undefined;
  const keys = [
    `machine_name ${first.machine_name ?? 'missing'}`,
    `machine_sid ${first.machine_sid ?? 'missing'}`,
    `vm_ip ${first.vm_ip ?? 'missing'}`,
  ].join(', ');
  const state = first.session_state ?? 'missing';
  const more = sessions.length > 1 ? ` (and ${sessions.length - 1} more)` : '';
  return `session ${first.id || '(no id)'} (${state}; ${keys}) matches no member${more}`;
}
