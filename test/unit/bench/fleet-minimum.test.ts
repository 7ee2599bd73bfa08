import { describe, expect, it } from 'vitest';
import { expectFleet } from '../../../bench/lib/fleet-minimum.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../../../lib/huawei/schemas.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import { generateFleet } from '../../../sim/generate-fleet.ts';

const LIMITS = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};
const OPTIONS = {
  lookbackHours: 24,
  limits: LIMITS,
  maxRemovalsPerSweep: 1_000_000,
  dryRun: false,
};

// The bench's lower bound reads the fleet on its own (no lib/scaling); on a
// generated fleet its two readings of the rules must agree with the client's.
describe('expectFleet', () => {
  it.each([1, 42])('agrees with evaluateGroup on a generated fleet (seed %i)', (seed) => {
    const fleet = generateFleet({ groups: 300, serversPerGroup: 20, seed });
    const got = expectFleet(fleet, OPTIONS);
    const now = Date.parse(fleet.now);
    const begin = now - 24 * 3_600_000;
    const kinds = fleet.groups.map((group, i) => {
      const servers = fleet.servers.filter((s) => s.server_group_id === group.id);
      const machines = new Set(servers.map((s) => s.machine_name));
      const sessions = (fleet.sessions ?? []).filter(
        (x) => machines.has(x.machine_name) && Date.parse(x.start_time) >= begin,
      );
      const decision = evaluateGroup({
        group: group as ServerGroup,
        servers: servers as AppServer[],
        sessions: sessions as SessionInfo[],
        now,
        limits: LIMITS,
      });
      const needs = got.groups[i];
      expect(needs?.removals, group.id).toBe(
        decision.kind === 'scale-in' ? decision.remove.length : 0,
      );
      // A skipped group's members are listed too (to be named), never its sessions.
      expect(needs?.servers, group.id).toBe(servers.length);
      expect(needs?.skippedOnRecord === true, group.id).toBe(decision.kind === 'skip');
      expect(needs?.sessions === null, group.id).toBe(
        decision.kind === 'skip' || decision.kind === 'scale-out',
      );
      return decision.kind;
    });
    // Each branch of the bound was compared (the generator makes no steady group).
    for (const kind of ['skip', 'scale-out', 'scale-in']) expect(kinds).toContain(kind);
    expect(got.skippedOnRecord).toBe(kinds.filter((k) => k === 'skip').length);
    expect(got.removals).toBeGreaterThan(0);
    // Some planned instances are in no ECS group: they cost a re-read, no removal call.
    expect(got.notInEcsGroup).toBeGreaterThan(0);
    expect(got.minimum.removes).toBe(got.removals - got.notInEcsGroup);
  });

  it('expects no removal in a dry run, and lists no less for it', () => {
    const fleet = generateFleet({ groups: 50, serversPerGroup: 8, seed: 3 });
    const dry = expectFleet(fleet, { ...OPTIONS, dryRun: true });
    const wet = expectFleet(fleet, OPTIONS);
    expect(dry.removals).toBe(0);
    expect(dry.minimum.total).toBe(
      wet.minimum.total - wet.minimum.rereads - wet.minimum.removes - wet.minimum.ecsListPages,
    );
    expect(wet.minimum.ecsListPages).toBe(1);
    expect(dry.minimum.ecsListPages).toBe(0);
  });
});
