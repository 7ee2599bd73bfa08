import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ProjectIdSchema } from '../lib/config.ts';
import {
  AppServerSchema,
  ServerGroupSchema,
  SessionInfoSchema,
  SessionStateSchema,
} from '../lib/huawei/schemas.ts';
import { formatIssues } from '../lib/validation.ts';

// The fleet schemas extend the project's API schemas, so every field the
// client knows is accepted with the same types; the fleet only tightens what
// the simulator computes with (ids, machine names, instants).

const InstantSchema = z.iso.datetime({
  offset: true,
  error: 'expected an ISO 8601 instant such as 2026-01-01T12:00:00.000Z',
});

export const FleetGroupSchema = ServerGroupSchema.extend({
  create_time: InstantSchema.optional(),
  update_time: InstantSchema.optional(),
});
export type FleetGroup = z.infer<typeof FleetGroupSchema>;

export const FleetServerSchema = AppServerSchema.extend({
  // A fleet server is in a group or, left out, in none; never null.
  server_group_id: z.string().min(1).optional(),
  machine_name: z.string().min(1),
  instance_id: z.string().min(1),
  create_time: InstantSchema,
  update_time: InstantSchema.optional(),
});
export type FleetServer = z.infer<typeof FleetServerSchema>;

export const FleetSessionSchema = SessionInfoSchema.extend({
  machine_name: z.string().min(1),
  session_state: SessionStateSchema,
  start_time: InstantSchema,
  end_time: InstantSchema.nullable().optional(),
  last_update_status_time: InstantSchema.nullable().optional(),
});
export type FleetSession = z.infer<typeof FleetSessionSchema>;

/** An ECS server group of the fleet: its own id, never an APS group id (sim/ecs-groups.ts). */
export const FleetEcsGroupSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  policies: z.array(z.string()).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  members: z.array(z.string().min(1)),
});

function checkReferences(
  fleet: {
    groups: FleetGroup[];
    servers: FleetServer[];
    sessions?: FleetSession[] | undefined;
    ecsServerGroups?: z.infer<typeof FleetEcsGroupSchema>[] | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const unique = (
    section: string,
    field: string,
    values: readonly (string | undefined)[],
  ): Set<string> => {
    const seen = new Set<string>();
    values.forEach((value, i) => {
      if (value === undefined) return;
      if (seen.has(value)) {
        ctx.addIssue({
          code: 'custom',
          path: [section, i, field],
          message: `duplicate ${field} ${JSON.stringify(value)}`,
        });
      }
      seen.add(value);
    });
    return seen;
  };
  const groupIds = unique(
    'groups',
    'id',
    fleet.groups.map((g) => g.id),
  );
  unique(
    'servers',
    'id',
    fleet.servers.map((s) => s.id),
  );
  unique(
    'servers',
    'instance_id',
    fleet.servers.map((s) => s.instance_id),
  );
  unique(
    'servers',
    'machine_name',
    fleet.servers.map((s) => s.machine_name),
  );
  fleet.servers.forEach((server, i) => {
    if (server.server_group_id !== undefined && !groupIds.has(server.server_group_id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['servers', i, 'server_group_id'],
        message: `unknown server group ${JSON.stringify(server.server_group_id)}`,
      });
    }
  });
  const instances = new Set(fleet.servers.map((s) => s.instance_id));
  const ecsGroups = fleet.ecsServerGroups ?? [];
  unique(
    'ecsServerGroups',
    'id',
    ecsGroups.map((g) => g.id),
  );
  ecsGroups.forEach((group, i) => {
    if (groupIds.has(group.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ecsServerGroups', i, 'id'],
        message: `ECS server group id ${JSON.stringify(group.id)} is also an APS server group id`,
      });
    }
    group.members.forEach((member, j) => {
      if (!instances.has(member)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ecsServerGroups', i, 'members', j],
          message: `unknown instance ${JSON.stringify(member)}`,
        });
      }
    });
  });
  const sessions = fleet.sessions ?? [];
  unique(
    'sessions',
    'id',
    sessions.map((s) => s.id),
  );
  sessions.forEach((session, i) => {
    const group = session.app_server_group_id;
    if (group !== undefined && !groupIds.has(group)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sessions', i, 'app_server_group_id'],
        message: `unknown server group ${JSON.stringify(group)}`,
      });
    }
  });
}

/**
 * A simulator fleet: the project, the virtual `now` its timestamps are
 * relative to, and the groups, servers and sessions the APIs serve. See
 * sim/README.md for the defaults the simulator fills in.
 */
export const FleetSchema = z
  .strictObject({
    description: z.string().optional(),
    projectId: ProjectIdSchema,
    now: InstantSchema,
    groups: z.array(FleetGroupSchema),
    servers: z.array(FleetServerSchema),
    sessions: z.array(FleetSessionSchema).optional(),
    /** Left out: one ECS group per APS group, with its own id (sim/ecs-groups.ts). */
    ecsServerGroups: z.array(FleetEcsGroupSchema).optional(),
  })
  .superRefine(checkReferences);
export type Fleet = z.infer<typeof FleetSchema>;

/** A fleet that failed validation; the message names every bad path. */
export class FleetValidationError extends Error {
  override readonly name = 'FleetValidationError';
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(message: string, issues: readonly z.core.$ZodIssue[] = [], options?: ErrorOptions) {
    super(message, options);
    this.issues = issues;
  }
}

/**
 * Validates a fleet (a parsed JSON value). Throws FleetValidationError whose
 * message names each bad path, e.g. `servers[3].session_count: …`.
 */
export function parseFleet(input: unknown, source = 'fleet'): Fleet {
  const parsed = FleetSchema.safeParse(input);
  if (!parsed.success) {
    throw new FleetValidationError(
      `${source} is not a valid fleet: ${formatIssues(parsed.error.issues)}`,
      parsed.error.issues,
    );
  }
  return parsed.data;
}

/** Reads and validates a fleet JSON file. */
export function loadFleetFile(path: string): Fleet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FleetValidationError(`cannot read fleet file ${path}`, [], { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FleetValidationError(`${path} is not valid JSON: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  return parseFleet(json, path);
}

const SHIFTED_FIELDS = {
  group: ['create_time', 'update_time'],
  server: ['create_time', 'update_time', 'job_time'],
  session: ['start_time', 'end_time', 'last_update_status_time'],
} as const;

function shifted(value: unknown, deltaMs: number): unknown {
  if (typeof value !== 'string') return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms + deltaMs).toISOString();
}

function shiftRecord<T extends Record<string, unknown>>(
  record: T,
  fields: readonly string[],
  deltaMs: number,
): T {
  const copy: Record<string, unknown> = { ...record };
  for (const field of fields) {
    if (field in copy) copy[field] = shifted(copy[field], deltaMs);
  }
  return copy as T;
}

/**
 * Moves every timestamp of a fleet (its `now` included) by `deltaMs`, so
 * idle times stay the same relative to the new `now`.
 */
export function shiftFleet(fleet: Fleet, deltaMs: number): Fleet {
  return {
    ...fleet,
    now: new Date(Date.parse(fleet.now) + deltaMs).toISOString(),
    groups: fleet.groups.map((g) => shiftRecord(g, SHIFTED_FIELDS.group, deltaMs)),
    servers: fleet.servers.map((s) => shiftRecord(s, SHIFTED_FIELDS.server, deltaMs)),
    sessions: (fleet.sessions ?? []).map((s) => shiftRecord(s, SHIFTED_FIELDS.session, deltaMs)),
  };
}
