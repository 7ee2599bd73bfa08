import { afterAll, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../functions/sweep.ts';
import { loadEvent } from '../../scripts/lib/lambda.ts';
import { mulberry32 } from '../../sim/prng.ts';
import type { Simulator } from '../../sim/server.ts';
import { capturingLogger } from '../helpers/stack.ts';
import {
  CALM_ENV,
  contextFor,
  failuresOf,
  faultDeps,
  faultsFor,
  fleetOf,
  removalCalls,
  startFaultSimulator,
  TRACEABLE,
} from './harness.ts';

// The fleet changes while a sweep runs: right after the client has read a
// group's member listing (so its evaluation sees the old fleet), users log in
// to some idle members, others leave the group, and some busy ones are left
// by their last user. The re-read before each removal must see all of it.

const LIMITS = { MAX_REMOVALS_PER_SWEEP: '100', MAX_REMOVALS_PER_GROUP: '10' };
const SEEDS = [1, 2, 3, 4, 5, 6];
const modeOf = (seed: number) => (seed % 2 === 0 ? 'release' : 'remove-member');
let movedUnderFaults = 0;
let faultedSeeds = 0;
afterAll(() => {
  if (faultedSeeds === SEEDS.length) expect(movedUnderFaults).toBeGreaterThan(0);
});

interface Moves {
  /** Idle members a user logged in to after the listing. */
  busied: Set<string>;
  /** Members that left their group after the listing. */
  left: Set<string>;
}

/**
 * A fetch that, once per group, changes the fleet as soon as the client has
 * the group's member listing in hand: of its members without a session, a
 * third get an Active session and a third leave the group; its busy members
 * lose their sessions (which the sweep's evaluation did not see either).
 */
function movingWorld(sim: Simulator, seed: number): { fetch: typeof fetch; moves: Moves } {
  const rand = mulberry32(seed * 7919);
  const moves: Moves = { busied: new Set(), left: new Set() };
  const moved = new Set<string>();
  const moving: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(String(input));
    const groupId = url.searchParams.get('server_group_id');
    if (!url.pathname.endsWith('/app-servers') || groupId === null || moved.has(groupId)) {
      return response;
    }
    moved.add(groupId);
    const now = sim.now().getTime();
    for (const server of sim.state.membersOf(groupId)) {
      if ((server.session_count ?? 0) > 0) {
        sim.state.setSessionCount(server.id, 0);
        continue;
      }
      const draw = rand();
      if (draw < 1 / 3 && server.machine_name !== undefined) {
        sim.state.addSession({ machine_name: server.machine_name }, now);
        moves.busied.add(server.id);
      } else if (draw < 2 / 3 && server.instance_id !== undefined) {
        // The instance leaves its ECS group(s); the simulator then takes it
        // out of its APS group (sim/README.md). One in no ECS group stays.
        const ecsGroups = sim.state.ecs.groupsOf(server.instance_id);
        for (const ecsGroup of ecsGroups) sim.state.removeMember(ecsGroup, server.instance_id);
        if (ecsGroups.length > 0) moves.left.add(server.id);
      }
    }
    return response;
  };
  return { fetch: moving, moves };
}

async function checkSeed(seed: number, withFaults: boolean): Promise<void> {
  const sim = await startFaultSimulator(fleetOf('generated', seed), seed);
  try {
    const { fetch: moving, moves } = movingWorld(sim, seed);
    if (withFaults) sim.setFaults(faultsFor(seed));
    const { logger } = capturingLogger();
    const env = { ...LIMITS, REMOVAL_MODE: modeOf(seed), ...(withFaults ? {} : CALM_ENV) };
    const handler = createSweepHandler(faultDeps(sim, { env, logger, fetch: moving }));
    const report = await handler(loadEvent('schedule.json'), contextFor(sim));

    // The world did move under planned removals, so the check below has teeth.
    const planned = new Set(report.groups.flatMap((g) => g.removals).map((r) => r.serverId));
    const movedAndPlanned = [...moves.busied, ...moves.left].filter((id) => planned.has(id));
    // Under faults a group may be skipped before planning: counted over all seeds.
    if (withFaults) movedUnderFaults += movedAndPlanned.length;
    else expect(movedAndPlanned.length).toBeGreaterThan(0);

    // No removal call ever named a server that got a user or left its group.
    const named = removalCalls(sim).flatMap(({ targets }) => targets);
    expect(named.filter((id) => moves.busied.has(id))).toEqual([]);
    expect(named.filter((id) => moves.left.has(id))).toEqual([]);

    // Their report lines say why they were left alone.
    const lines = report.groups.flatMap((g) => g.removals);
    for (const line of lines) {
      if (moves.busied.has(line.serverId) && line.outcome !== 'failed') {
        expect(line.outcome, line.serverId).toBe('skipped-busy');
      }
      if (moves.left.has(line.serverId) && line.outcome !== 'failed') {
        expect(line.outcome, line.serverId).toBe('already-removed');
      }
    }
    if (withFaults) {
      expect(failuresOf(report).filter((f) => !TRACEABLE.test(f))).toEqual([]);
      faultedSeeds++;
    } else {
      expect(failuresOf(report)).toEqual([]);
      expect(report.status).toBe('completed');
    }
  } finally {
    await sim.close();
  }
}

describe('sweep handler while the fleet changes under it', () => {
  it.concurrent.each(SEEDS)(
    're-reads before acting (seed %i, no injected faults)',
    async (seed) => {
      await checkSeed(seed, false);
    },
  );

  it.concurrent.each(SEEDS)('re-reads before acting (seed %i, with faults)', async (seed) => {
    await checkSeed(seed, true);
  });
});
