import { describe, expect, it } from 'vitest';
import { evaluateGroup, evaluateRemoval } from '../../../lib/scaling/evaluate.ts';
import { assessMember } from '../../../lib/scaling/idle.ts';
import type { EvaluationLimits } from '../../../lib/scaling/types.ts';
import {
  isoAt,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';

const NOW = Date.UTC(2026, 11, 7, 3, 0, 0);
const MINUTE = 60_000;
const PROTECT = 'aps-autoscaler:protect';
const server = serverFactory({
  id: 'srv-1',
  machine_name: 'APS-1',
  create_time: isoAt(NOW - 600 * MINUTE),
});

function disconnected(id: string, minutesAgo: number) {
  return sessionFactory({
    id,
    machine_name: 'APS-1',
    session_state: 'Disconnected',
    start_time: isoAt(NOW - (minutesAgo + 60) * MINUTE),
    end_time: null,
    last_update_status_time: isoAt(NOW - minutesAgo * MINUTE),
  });
}

describe('assessMember with a log-off age', () => {
  it('keeps a server with a disconnected session when log-off is off', () => {
    expect(assessMember(server, [disconnected('s-1', 300)], NOW, 30, PROTECT)).toMatchObject({
      kind: 'active-session',
      state: 'Disconnected',
    });
  });

  it('counts a server whose only sessions are disconnected long enough as idle, naming them', () => {
    const sessions = [disconnected('s-2', 300), disconnected('s-1', 240)];
    expect(assessMember(server, sessions, NOW, 30, PROTECT, 120)).toEqual({
      kind: 'idle',
      idleMinutes: 240,
      logoff: ['s-1', 's-2'],
    });
  });

  it.each([
    ['one disconnected too recently', [disconnected('s-1', 300), disconnected('s-2', 90)]],
    [
      'an active session beside it',
      [
        disconnected('s-1', 300),
        sessionFactory({
          id: 's-2',
          machine_name: 'APS-1',
          session_state: 'Active',
          end_time: null,
        }),
      ],
    ],
  ])('keeps the server with %s', (_, sessions) => {
    expect(assessMember(server, sessions, NOW, 30, PROTECT, 120).kind).toBe('active-session');
  });

  it('takes a session_count up to the abandoned sessions, never more', () => {
    const sessions = [disconnected('s-1', 300)];
    expect(
      assessMember({ ...server, session_count: 1 }, sessions, NOW, 30, PROTECT, 120).kind,
    ).toBe('idle');
    expect(assessMember({ ...server, session_count: 2 }, sessions, NOW, 30, PROTECT, 120)).toEqual({
      kind: 'busy',
      sessionCount: 2,
    });
  });

  it('keeps the idle time of the last disconnect', () => {
    const sessions = [disconnected('s-1', 130)];
    expect(assessMember(server, sessions, NOW, 150, PROTECT, 120)).toMatchObject({
      kind: 'recently-used',
    });
  });
});

describe('evaluateGroup with a log-off age', () => {
  const limits: EvaluationLimits = {
    minServersPerGroup: 0,
    maxRemovalsPerGroup: 10,
    protectTagKey: PROTECT,
    logoffDisconnectedAfterMinutes: 120,
  };
  const group = serverGroupFactory({ id: 'sg-0001' });

  it('plans the removal with the sessions to log off', () => {
    const decision = evaluateGroup({
      group,
      servers: [server],
      sessions: [disconnected('s-1', 300)],
      now: NOW,
      limits,
    });
    expect(decision).toMatchObject({
      kind: 'scale-in',
      remove: [{ serverId: 'srv-1', logoffSessionIds: ['s-1'] }],
    });
  });

  it('carries them through a remove-member check', () => {
    const verdict = evaluateRemoval({
      group,
      servers: [server],
      sessions: [disconnected('s-1', 300)],
      now: NOW,
      limits,
      serverId: 'srv-1',
    });
    expect(verdict).toMatchObject({ allowed: true, removal: { logoffSessionIds: ['s-1'] } });
  });

  it('skips a group whose schedule tag names no schedule', () => {
    const tagged = serverGroupFactory({
      id: 'sg-0001',
      tags: [{ key: 'aps-autoscaler:schedule', value: 'nights' }],
    });
    expect(
      evaluateGroup({ group: tagged, servers: [server], sessions: [], now: NOW, limits }),
    ).toMatchObject({
      kind: 'skip',
      reason: 'unknown-schedule',
    });
  });

  it('refuses a remove-member request when a tag freezes the group', () => {
    const frozen = serverGroupFactory({
      id: 'sg-0001',
      tags: [{ key: 'aps-autoscaler:max-removals', value: '0' }],
    });
    const verdict = evaluateRemoval({
      group: frozen,
      servers: [server],
      sessions: [],
      now: NOW,
      limits,
      serverId: 'srv-1',
    });
    expect(verdict).toMatchObject({
      allowed: false,
      reason:
        'the per-group cap allows no removal (max-removals from tag aps-autoscaler:max-removals)',
    });
  });
});
