import { beforeEach, describe, expect, it } from 'vitest';
import type { ServerGroup } from '../../../lib/huawei/schemas.ts';
import { nameSkippedMembers } from '../../../lib/removal/plan/skipped-members.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import type { EvaluationLimits, SkipReason } from '../../../lib/scaling/types.ts';
import {
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';

const LIMITS: EvaluationLimits = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'protect',
};
const NOW = Date.parse('2026-01-01T12:00:00Z');

beforeEach(() => resetFactorySequences());

describe('nameSkippedMembers', () => {
  it.each<[SkipReason, Partial<ServerGroup>]>([
    ['policy-disabled', { scaling_policy: null }],
    ['group-disabled', { server_group_status: false }],
    ['protected', { tags: [{ key: 'protect', value: 'true' }] }],
  ])('keeps every member of a %s group with that skip, sorted by id', (skip, overrides) => {
    const group = serverGroupFactory(overrides);
    const servers = [serverFactory({ id: 'srv-b' }), serverFactory({ id: 'srv-a' })];
    const decision = evaluateGroup({ group, servers, sessions: [], now: NOW, limits: LIMITS });
    const named = nameSkippedMembers(decision, servers);
    expect(named).toMatchObject({ kind: 'skip', reason: skip });
    expect(named.members).toEqual(
      ['srv-a', 'srv-b'].map((id) => ({
        serverId: id,
        machineName: servers.find((s) => s.id === id)?.machine_name,
        instanceId: servers.find((s) => s.id === id)?.instance_id,
        action: 'keep',
        reason: { kind: 'group-skipped', skip },
      })),
    );
    // The decision it was given is left as it was.
    expect(decision.members).toEqual([]);
  });

  it('leaves any decision that is not a skip as it is', () => {
    const group = serverGroupFactory();
    const servers = [serverFactory({ session_count: 1 }), serverFactory()];
    const decision = evaluateGroup({ group, servers, sessions: [], now: NOW, limits: LIMITS });
    expect(decision.kind).not.toBe('skip');
    expect(nameSkippedMembers(decision, servers)).toBe(decision);
  });

  it('names no one when no member was listed', () => {
    const group = serverGroupFactory({ server_group_status: false });
    const decision = evaluateGroup({ group, servers: [], sessions: [], now: NOW, limits: LIMITS });
    expect(nameSkippedMembers(decision, []).members).toEqual([]);
  });
});
