import type { Fleet } from './fleet.ts';
import { generateFleet } from './generate-fleet.ts';
import { mulberry32 } from './prng.ts';
import type { SimState } from './state.ts';

// A fleet whose sessions follow a weekly pattern, for the demand history
// (lib/history/): weekday peaks (Monday's the highest), a quiet weekend, a
// holiday, seeded noise. Hours are UTC. The planted truth is a pure function
// of the group and the instant, so tests compare against it directly.

const DAY_MS = 86_400_000;
const STEP_MS = 15 * 60_000;

/** One group's planted pattern: sessions at the weekday peak, overnight, and a server's size. */
export interface WeeklyGroup {
  id: string;
  name: string;
  /** Sessions one server takes (product_info.sessions). */
  perServer: number;
  /** Weekday peak sessions (Monday 20 % more). */
  peak: number;
  /** Sessions overnight and all day on a holiday. */
  base: number;
  /** Sessions added or taken at random each 15 minutes, at most. */
  noise: number;
  /** Members the group has (in service or stopped). */
  servers: number;
}

export interface WeeklyFleetOptions {
  groups: number;
  seed: number;
  /** UTC dates (`YYYY-MM-DD`) played as holidays: the overnight level all day. */
  holidays?: readonly string[];
}

/** The share of the weekday peak by UTC hour; weekends use WEEKEND. */
const WEEKDAY = [
  0, 0, 0, 0, 0, 0, 0.1, 0.4, 1, 1, 1, 1, 0.7, 0.9, 0.9, 0.9, 0.8, 0.5, 0.2, 0.1, 0, 0, 0, 0,
];
const WEEKEND = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.15, 0.15, 0.15, 0.15, 0.1, 0.1, 0, 0, 0, 0, 0, 0, 0, 0,
];

/** The groups of a weekly fleet: sizes from the seed. */
export function weeklyGroups(options: WeeklyFleetOptions): WeeklyGroup[] {
  const rand = mulberry32(options.seed);
  return Array.from({ length: options.groups }, (_, g) => {
    const perServer = [2, 4, 8][Math.floor(rand() * 3)] ?? 4;
    const peak = perServer * (4 + Math.floor(rand() * 8));
    return {
      id: '',
      name: `weekly-${String(g).padStart(4, '0')}`,
      perServer,
      peak,
      base: Math.floor(rand() * perServer),
      noise: Math.max(1, Math.floor(perServer / 2)),
      servers: Math.ceil((peak * 1.2 + perServer) / perServer) + 2,
    };
  });
}

/** Expected sessions (no noise) at `at`: the planted pattern. */
export function plannedSessions(
  group: WeeklyGroup,
  at: number,
  holidays: readonly string[] = [],
): number {
  const date = new Date(at);
  if (holidays.length > 0 && holidays.includes(date.toISOString().slice(0, 10))) return group.base;
  const day = (date.getUTCDay() + 6) % 7;
  const hour = date.getUTCHours();
  const share = (day < 5 ? WEEKDAY : WEEKEND)[hour] ?? 0;
  const monday = day === 0 ? 1.2 : 1;
  return group.base + Math.round((group.peak - group.base) * share * monday);
}

/** Sessions at `at` with the seeded noise: the same for the same group, instant and seed. */
export function playedSessions(
  group: WeeklyGroup,
  at: number,
  seed: number,
  holidays: readonly string[] = [],
): number {
  const step = Math.floor(at / STEP_MS);
  const rand = mulberry32((seed * 7919 + step * 104_729 + group.perServer * 31 + group.peak) >>> 0);
  const noise = Math.round((rand() * 2 - 1) * group.noise);
  return Math.max(0, plannedSessions(group, at, holidays) + noise);
}

/**
 * The planted truth: the most servers the group's sessions can fill in the
 * UTC hour starting at `hourStart` (the noise at its highest).
 */
export function plantedPeakServers(
  group: WeeklyGroup,
  hourStart: number,
  holidays: readonly string[] = [],
): number {
  const sessions = plannedSessions(group, hourStart, holidays) + group.noise;
  return Math.ceil(sessions / group.perServer);
}

/**
 * A simulator fleet for the weekly groups: every group has an enabled
 * session policy and its members, all plain pay-per-use servers, no sessions
 * yet (`applyWeeklyStep` sets them). Fills in each group's id.
 */
export function weeklyFleet(groups: WeeklyGroup[], seed: number, now: number): Fleet {
  const base = generateFleet({
    groups: groups.length,
    serversPerGroup: Math.max(...groups.map((g) => g.servers)),
    seed,
    now: new Date(now).toISOString(),
  });
  // Left out, the simulator gives each group an ECS group of its own members.
  const { ecsServerGroups: _dropped, ...rest } = base;
  const fleet: Fleet = { ...rest, sessions: [], servers: [] };
  fleet.groups = base.groups.map((group, i) => {
    const weekly = groups[i] as WeeklyGroup;
    weekly.id = group.id;
    return {
      ...group,
      name: weekly.name,
      server_group_status: true,
      primary_server_group_ids: [],
      tags: [],
      product_info: { ...group.product_info, sessions: weekly.perServer },
      scaling_policy: {
        enable: true,
        max_scaling_amount: 50,
        single_expansion_count: 2,
        scaling_policy_by_session: {
          session_usage_threshold: 90,
          shrink_after_session_idle_minutes: 30,
        },
      },
    };
  });
  for (const [i, group] of groups.entries()) {
    const members = base.servers.filter((s) => s.server_group_id === base.groups[i]?.id);
    for (const server of members.slice(0, group.servers)) {
      fleet.servers.push({
        ...server,
        status: 'REGISTERED',
        vm_status: 'ACTIVE',
        task_status: 'null',
        maintain_status: false,
        session_count: 0,
        job_id: null,
        job_type: null,
        job_status: null,
        job_time: null,
        freeze: [],
        tags: [],
        create_time: new Date(now - 30 * DAY_MS).toISOString(),
      });
    }
  }
  return fleet;
}

/**
 * Moves the fleet to `at`: each group's sessions from its pattern, packed
 * onto its first members; as many members in service as the sessions fill
 * plus one (the service's own scale-out keeping up), the rest in maintenance.
 */
export function applyWeeklyStep(
  state: SimState,
  groups: readonly WeeklyGroup[],
  at: number,
  seed: number,
  holidays: readonly string[] = [],
): void {
  for (const group of groups) {
    const sessions = playedSessions(group, at, seed, holidays);
    const members = state.membersOf(group.id);
    const inService = Math.min(members.length, Math.ceil(sessions / group.perServer) + 1);
    let left = sessions;
    for (const [i, server] of members.entries()) {
      const count = i < inService ? Math.min(left, group.perServer) : 0;
      left -= count;
      state.setSessionCount(server.id, count);
      state.updateServer(server.id, { maintain_status: i >= inService }, at);
    }
  }
}
