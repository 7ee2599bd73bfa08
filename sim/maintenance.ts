import * as z from 'zod';
import {
  invalid,
  jsonBody,
  type RouteContext,
  type RouteRequest,
  type RouteResult,
  SimHttpError,
} from './route-params.ts';
import type { SimState } from './state.ts';

// Maintenance mode (drain) in the simulator: the batch-maint route, the
// broker's session arrivals that skip servers in maintenance, and the drain
// race a test or the demo can arm (docs/drain-lifecycle.md).

/** APS takes 1 to 20 server ids per batch-maint call (docs/huawei-api.md). */
const BatchMaintBodySchema = z.strictObject({
  items: z.array(z.string().min(1)).min(1).max(20),
  maintain_status: z.boolean(),
});

/** Servers still to receive a user at the moment they enter maintenance, per simulator state. */
const armedRaces = new WeakMap<SimState, Set<string>>();

/**
 * Arms the drain race: when one of `serverIds` is next put into maintenance,
 * a user connects to it as it happens (brokered just before maintenance took
 * effect: an Active session), so the drain check finds the session and must
 * undo the drain. Each id fires once.
 */
export function armDrainRace(state: SimState, serverIds: readonly string[]): void {
  armedRaces.set(state, new Set(serverIds));
}

/**
 * `PATCH /v1/{project_id}/app-servers/actions/batch-maint`: sets or clears
 * maintain_status on every listed server. Every id is checked before any
 * change, so a bad batch changes nothing: an empty list, more than 20 ids or
 * an unknown id answers 400 naming `items`.
 */
export function batchMaint(request: RouteRequest, { state, now }: RouteContext): RouteResult {
  const body = jsonBody(request, BatchMaintBodySchema);
  body.items.forEach((id, index) => {
    if (state.getServer(id) === undefined) {
      throw invalid(`items[${index}]: app server ${id} not found`);
    }
  });
  for (const id of body.items) {
    state.updateServer(id, { maintain_status: body.maintain_status }, now);
    const armed = armedRaces.get(state);
    const server = state.getServer(id);
    if (body.maintain_status && armed?.delete(id) && server?.machine_name) {
      state.addSession({ machine_name: server.machine_name, login_user: 'drain-race' }, now);
    }
  }
  return { status: 200 };
}

const ArrivalBodySchema = z.strictObject({
  server_group_id: z.string().min(1),
  login_user: z.string().min(1).optional(),
});

/**
 * `POST /_sim/arrivals`: a user asks the broker for a session in a group. The
 * broker picks the least-loaded member in service — REGISTERED, ACTIVE and not
 * in maintenance — and never a server in maintenance; 409 when there is none.
 */
export function brokerArrival(state: SimState, body: unknown, nowMs: number): RouteResult {
  const parsed = ArrivalBodySchema.safeParse(body);
  if (!parsed.success) throw new SimHttpError(400, 'SIM.0400', 'invalid body: server_group_id');
  const candidates = state
    .membersOf(parsed.data.server_group_id)
    .filter(
      (s) => s.status === 'REGISTERED' && s.vm_status === 'ACTIVE' && s.maintain_status === false,
    )
    .sort((a, b) => (a.session_count ?? 0) - (b.session_count ?? 0) || (a.id < b.id ? -1 : 1));
  const server = candidates[0];
  if (server?.machine_name === undefined) {
    throw new SimHttpError(409, 'SIM.0409', 'no server in service to broker the session to');
  }
  const session = state.addSession(
    {
      machine_name: server.machine_name,
      ...(parsed.data.login_user ? { login_user: parsed.data.login_user } : {}),
    },
    nowMs,
  );
  return { status: 200, body: { server, session } };
}
