import { describe, expect, it } from 'vitest';
import { assessAfterLogoff, logoffRequestOf } from '../../../lib/scaling/logoff.ts';
import { isoAt, serverFactory, sessionFactory } from '../../helpers/factories.ts';

const NOW = Date.UTC(2026, 11, 7, 3, 0, 0);
const MINUTE = 60_000;
const PROTECT = 'aps-autoscaler:protect';
const TEXT = { message: 'bye', delaySeconds: 300 };
const server = serverFactory({
  id: 'srv-1',
  machine_name: 'APS-1',
  create_time: isoAt(NOW - 600 * MINUTE),
});
const loggedOff = (state: 'SignedOut' | 'Active' | 'Disconnected', count = 0) => ({
  server: { ...server, session_count: count },
  sessions: [
    sessionFactory({
      id: 's-1',
      machine_name: 'APS-1',
      session_state: state,
      start_time: isoAt(NOW - 300 * MINUTE),
      end_time: state === 'SignedOut' ? isoAt(NOW - 1 * MINUTE) : null,
      last_update_status_time: isoAt(NOW - 1 * MINUTE),
    }),
  ],
});

describe('logoffRequestOf', () => {
  it('asks to log off the removal sessions with the configured text, as a warning', () => {
    const removal = { serverId: 'srv-1', instanceId: 'i', machineName: 'APS-1', idleMinutes: 300 };
    expect(logoffRequestOf({ ...removal, logoffSessionIds: ['s-1'] }, TEXT)).toEqual({
      sessionIds: ['s-1'],
      message: 'bye',
      delaySeconds: 300,
      messageType: 1,
    });
    expect(logoffRequestOf(removal, TEXT)).toBeUndefined();
  });
});

describe('assessAfterLogoff', () => {
  it('finds the server idle once the logged-off session ended, its end not counted as use', () => {
    const { server: s, sessions } = loggedOff('SignedOut');
    expect(assessAfterLogoff(s, sessions, ['s-1'], NOW, 30, PROTECT)).toMatchObject({
      kind: 'idle',
    });
    // The same listing without the log-off: ended a minute ago, recently used.
    expect(assessAfterLogoff(s, sessions, [], NOW, 30, PROTECT)).toMatchObject({
      kind: 'recently-used',
    });
  });

  it.each([
    ['reconnected (Active), even if session_count lags at 0', 'Active', 0, 'active-session'],
    ['still disconnected (the log-off has not happened)', 'Disconnected', 0, 'active-session'],
    ['ended, but a session still counted on the server', 'SignedOut', 1, 'busy'],
  ] as const)('keeps the server when the session is %s', (_, state, count, kind) => {
    const { server: s, sessions } = loggedOff(state, count);
    expect(assessAfterLogoff(s, sessions, ['s-1'], NOW, 30, PROTECT).kind).toBe(kind);
  });
});
