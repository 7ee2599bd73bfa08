import * as z from 'zod';
import { formatIssues } from '../lib/validation.ts';
import type { VirtualClock } from './clock.ts';
import type { FaultConfig } from './faults.ts';
import { FleetSessionSchema } from './fleet.ts';
import { reconnectSession } from './logoff.ts';
import { armDrainRace, brokerArrival } from './maintenance.ts';
import type { RouteResult } from './route-params.ts';
import { SimHttpError } from './route-params.ts';
import { scaleOutGroup } from './scale-out.ts';
import type { SimState } from './state.ts';

/** What the admin API reads and drives. */
export interface AdminControl {
  state: SimState;
  clock: VirtualClock;
  calls: readonly { seq: number }[];
  faults(): FaultConfig;
  /** Throws an Error naming the bad path when the config is invalid. */
  setFaults(config: unknown): void;
  reset(): void;
}

const ClockBodySchema = z
  .strictObject({
    advanceMinutes: z.number().min(0).optional(),
    now: z.iso.datetime({ offset: true }).optional(),
    frozen: z.boolean().optional(),
  })
  .refine(
    (b) => b.advanceMinutes !== undefined || b.now !== undefined || b.frozen !== undefined,
    'give advanceMinutes, now or frozen',
  );

const SessionsBodySchema = z
  .strictObject({
    server_id: z.string().min(1).optional(),
    machine_name: z.string().min(1).optional(),
    session_count: z.number().int().min(0).optional(),
    session: FleetSessionSchema.partial().optional(),
  })
  .refine(
    (b) =>
      b.server_id !== undefined ||
      b.machine_name !== undefined ||
      b.session?.machine_name !== undefined,
    'name the server: server_id, machine_name or session.machine_name',
  );

const ScaleOutBodySchema = z.strictObject({
  group_id: z.string().min(1),
  count: z.number().int().min(1).max(100).default(1),
});

const DrainRaceBodySchema = z.strictObject({
  server_ids: z.array(z.string().min(1)).max(1_000),
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new SimHttpError(400, 'SIM.0400', `invalid body: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

function addSessions(control: AdminControl, body: unknown): RouteResult {
  const input = parse(SessionsBodySchema, body);
  const { state, clock } = control;
  const server =
    input.server_id !== undefined
      ? state.getServer(input.server_id)
      : state.getServerByMachine(input.machine_name ?? input.session?.machine_name ?? '');
  if (server === undefined && (input.session_count !== undefined || input.session === undefined)) {
    throw new SimHttpError(404, 'SIM.0404', 'no such server');
  }
  const machineName = server?.machine_name ?? input.session?.machine_name ?? '';
  const session =
    input.session === undefined
      ? undefined
      : state.addSession({ ...input.session, machine_name: machineName }, clock.now());
  if (server !== undefined && input.session_count !== undefined) {
    state.setSessionCount(server.id, input.session_count);
  }
  return { status: 200, body: { server: server ?? null, session: session ?? null } };
}

/**
 * Answers `/_sim/...`: state, call log, faults, clock, reset, sessions,
 * broker arrivals, the drain race (sim/maintenance.ts) and a scale-out
 * (sim/scale-out.ts).
 * Unsigned, never faulted, never in the call log.
 */
export function handleAdmin(
  method: string,
  path: string,
  query: ReadonlyMap<string, readonly string[]>,
  body: unknown,
  control: AdminControl,
): RouteResult {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /_sim/state':
      return { status: 200, body: control.state.snapshot(control.clock.now()) };
    case 'GET /_sim/calls': {
      const since = Number(query.get('since')?.[0] ?? 0);
      return { status: 200, body: { calls: control.calls.filter((c) => c.seq > since) } };
    }
    case 'GET /_sim/faults':
      return { status: 200, body: control.faults() };
    case 'PUT /_sim/faults':
      try {
        control.setFaults(body ?? {});
      } catch (error) {
        throw new SimHttpError(400, 'SIM.0400', (error as Error).message);
      }
      return { status: 200, body: control.faults() };
    case 'POST /_sim/clock': {
      const input = parse(ClockBodySchema, body);
      if (input.now !== undefined) control.clock.set(Date.parse(input.now));
      if (input.advanceMinutes !== undefined) control.clock.advance(input.advanceMinutes * 60_000);
      if (input.frozen !== undefined) control.clock.setFrozen(input.frozen);
      return {
        status: 200,
        body: { now: new Date(control.clock.now()).toISOString(), frozen: control.clock.isFrozen },
      };
    }
    case 'POST /_sim/reset':
      control.reset();
      return { status: 200, body: { now: new Date(control.clock.now()).toISOString() } };
    case 'POST /_sim/sessions':
      return addSessions(control, body);
    case 'POST /_sim/reconnect':
      return reconnectSession(control.state, body, control.clock.now());
    case 'POST /_sim/arrivals':
      return brokerArrival(control.state, body, control.clock.now());
    case 'POST /_sim/scale-out': {
      const input = parse(ScaleOutBodySchema, body);
      if (control.state.getGroup(input.group_id) === undefined) {
        throw new SimHttpError(404, 'SIM.0404', `no group ${input.group_id}`);
      }
      const servers = scaleOutGroup(
        control.state,
        input.group_id,
        input.count,
        control.clock.now(),
      );
      return { status: 200, body: { servers } };
    }
    case 'POST /_sim/drain-race': {
      const input = parse(DrainRaceBodySchema, body);
      armDrainRace(control.state, input.server_ids);
      return { status: 200, body: input };
    }
    default:
      throw new SimHttpError(404, 'SIM.0404', `no admin route ${route}`);
  }
}
