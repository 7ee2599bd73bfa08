// The fewest requests, and the critical paths, of the fanout bench's
// dry-run remediate workers (bench/lib/fanout.ts), from the generated fleet's
// own records (bench/lib/fleet-minimum.ts).
import type { Fleet } from '../../sim/fleet.ts';
import { expectFleet, type FleetExpectation } from './fleet-minimum.ts';
import { pagesFor } from './ideal.ts';

const LIMITS = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};

export interface FanoutMinimum {
  total: number;
  /** One group re-read per message. */
  rereads: number;
  serverPages: number;
  sessionPages: number;
  /** One ECS lookup per removal the rules plan (the dry run's eligibility check). */
  ecsLookups: number;
}

/**
 * The sessions remediate lists for the group at `i`: none when it is skipped
 * on its own record, else its whole window. It lists a group's servers and
 * sessions together (lib/removal/plan/list-group.ts, for latency), so a
 * group over its threshold pays its session pages too.
 */
function sessionsListed(expectation: FleetExpectation, i: number): number | null {
  const g = expectation.groups[i];
  if (g === undefined || g.servers === null || g.skippedOnRecord === true) return null;
  return expectation.sessionsInWindow[i] ?? 0;
}

/**
 * The fewest requests a dry-run remediate worker can make for the fleet,
 * from its own records (bench/lib/fleet-minimum.ts): per message the group's
 * re-read, its server pages and, unless skipped on its record, its 24 h
 * session pages, and per removal the rules plan one
 * lookup of the instance's ECS groups. None of it grows with the other
 * groups of the project.
 */
export function fanoutMinimum(expectation: FleetExpectation): FanoutMinimum {
  const pages = (n: number | null) => (n === null ? 0 : Math.max(1, pagesFor(n)));
  const m = { rereads: 0, serverPages: 0, sessionPages: 0, ecsLookups: 0 };
  for (const [i, g] of expectation.groups.entries()) {
    m.rereads += 1;
    m.serverPages += pages(g.servers);
    m.sessionPages += pages(sessionsListed(expectation, i));
    m.ecsLookups += g.removals;
  }
  return { ...m, total: m.rereads + m.serverPages + m.sessionPages + m.ecsLookups };
}

/**
 * What the fanout's workers need for `fleet`, from its own records
 * (bench/lib/fleet-minimum.ts): the removals the rules plan as an acting
 * run would make them, since the dry run checks each one's eligibility
 * (one ECS lookup each).
 */
export function expectFanout(fleet: Fleet): FleetExpectation {
  return expectFleet(fleet, {
    lookbackHours: 24,
    limits: LIMITS,
    maxRemovalsPerSweep: 1_000_000,
    dryRun: false,
  });
}

/**
 * The requests on the messages' critical paths, summed: per message the
 * group re-read, then its server and session listings side by side, then
 * (a message that plans removals) its ECS lookups side by side,
 * ⌈removals ÷ maxConcurrency⌉ rounds (lib/removal/plan/eligibility.ts
 * `refusalsOf`; the invocation's request limiter bounds them).
 */
export function criticalPaths(
  expectation: FleetExpectation,
  maxConcurrency: number,
): { chainRequests: number; lookupRounds: number } {
  let chainRequests = 0;
  let lookupRounds = 0;
  for (const [i, g] of expectation.groups.entries()) {
    const sessions = sessionsListed(expectation, i);
    const listing = Math.max(
      g.servers === null ? 0 : pagesFor(g.servers),
      sessions === null ? 0 : pagesFor(sessions),
    );
    const rounds = Math.ceil(g.removals / maxConcurrency);
    lookupRounds += rounds;
    chainRequests += 1 + listing + rounds;
  }
  return { chainRequests, lookupRounds };
}
