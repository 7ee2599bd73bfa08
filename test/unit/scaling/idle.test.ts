import { describe, expect, it } from 'vitest';
import type { AppServer, SessionInfo } from '../../../lib/huawei/schemas.ts';
import {
  assessMember,
  indexSessionsByMachine,
  isInService,
  sessionsOfMachine,
} from '../../../lib/scaling/idle.ts';
import { describeReason } from '../../../lib/scaling/reasons.ts';
import { joinSessions } from '../../../lib/scaling/session-join.ts';
import type { AssessedReason, SessionQueryFailure } from '../../../lib/scaling/types.ts';
import { isoAt, omit, serverFactory, sessionFactory } from '../../helpers/factories.ts';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const THRESHOLD = 30;
const PROTECT = 'aps-autoscaler:protect';

const ago = (minutes: number): string => isoAt(NOW - minutes * MINUTE);

describe('indexSessionsByMachine', () => {
  it('groups sessions by machine_name in listing order and drops unnamed ones', () => {
    const a1 = sessionFactory({ machine_name: 'APS-A' });
    const b1 = sessionFactory({ machine_name: 'APS-B' });
    const a2 = sessionFactory({ machine_name: 'APS-A' });
    const unnamed = omit(sessionFactory(), 'machine_name');
    const empty = sessionFactory({ machine_name: '' });
    const index = indexSessionsByMachine([a1, b1, unnamed, a2, empty]);
    expect([...index.keys()]).toEqual(['APS-A', 'APS-B']);
    expect(index.get('APS-A')).toEqual([a1, a2]);
    expect(sessionsOfMachine(index, 'APS-B')).toEqual([b1]);
    expect(sessionsOfMachine(index, 'APS-C')).toEqual([]);
    expect(sessionsOfMachine(index, undefined)).toEqual([]);
  });
});

describe('isInService', () => {
  it.each<[string, Partial<AppServer>, boolean]>([
    ['a registered, active server out of maintenance', {}, true],
    ['a STOPPED server', { status: 'STOPPED' }, false],
    ['a SHUTOFF vm', { vm_status: 'SHUTOFF' }, false],
    ['a server in maintenance', { maintain_status: true }, false],
  ])('says %s is %s', (_name, overrides, expected) => {
    expect(isInService(serverFactory(overrides))).toBe(expected);
  });

  it('does not count a server without maintain_status', () => {
    expect(isInService(omit(serverFactory(), 'maintain_status'))).toBe(false);
  });
});

interface Row {
  name: string;
  server: AppServer;
  sessions?: readonly SessionInfo[] | SessionQueryFailure;
  now?: number;
  expected: AssessedReason | { kind: AssessedReason['kind'] };
}

const MACHINE = 'APS-M';
const member = (overrides: Partial<AppServer> = {}): AppServer =>
  serverFactory({ machine_name: MACHINE, create_time: ago(600), ...overrides });
const session = (overrides: Partial<SessionInfo> = {}): SessionInfo =>
  sessionFactory({ machine_name: MACHINE, ...overrides });
const ended = (minutes: number, overrides: Partial<SessionInfo> = {}): SessionInfo =>
  session({
    start_time: ago(minutes + 60),
    end_time: ago(minutes),
    last_update_status_time: ago(minutes),
    ...overrides,
  });

const rows: Row[] = [
  {
    name: 'is idle exactly at the threshold',
    server: member({ create_time: ago(THRESHOLD) }),
    expected: { kind: 'idle', idleMinutes: THRESHOLD },
  },
  {
    name: 'is recently used one minute before the threshold',
    server: member({ create_time: ago(THRESHOLD - 1) }),
    expected: { kind: 'recently-used', idleMinutes: THRESHOLD - 1, thresholdMinutes: THRESHOLD },
  },
  {
    name: 'is recently used one millisecond before the threshold',
    server: member({ create_time: isoAt(NOW - THRESHOLD * MINUTE + 1) }),
    expected: { kind: 'recently-used' },
  },
  {
    name: 'is not in service when status is not REGISTERED',
    server: member({ status: 'MAINTAINING' }),
    expected: { kind: 'not-in-service', detail: 'status', value: 'MAINTAINING' },
  },
  {
    name: 'is not in service when vm_status is not ACTIVE',
    server: member({ vm_status: 'SHUTOFF' }),
    expected: { kind: 'not-in-service', detail: 'vm_status', value: 'SHUTOFF' },
  },
  {
    name: 'is not in service when vm_status is null',
    server: member({ vm_status: null }),
    expected: { kind: 'not-in-service', detail: 'vm_status', value: 'null' },
  },
  {
    name: 'is not in service in maintenance',
    server: member({ maintain_status: true }),
    expected: { kind: 'not-in-service', detail: 'maintain_status', value: 'true' },
  },
  {
    name: 'is not in service without maintain_status',
    server: omit(member(), 'maintain_status'),
    expected: { kind: 'not-in-service', detail: 'maintain_status', value: 'missing' },
  },
  {
    name: 'is busy with a session_count above 0',
    server: member({ session_count: 2 }),
    expected: { kind: 'busy', sessionCount: 2 },
  },
  ...(['Active', 'Disconnected', 'AppcInit'] as const).map(
    (state): Row => ({
      name: `has an active session in state ${state}`,
      server: member(),
      sessions: [ended(600), session({ id: 'session-live', session_state: state, end_time: null })],
      expected: { kind: 'active-session', sessionId: 'session-live', state },
    }),
  ),
  ...(['SignedOut', 'InitFail'] as const).map(
    (state): Row => ({
      name: `is idle with an old session in state ${state}`,
      server: member(),
      sessions: [ended(120, { session_state: state })],
      expected: { kind: 'idle', idleMinutes: 120 },
    }),
  ),
  {
    name: 'names the smallest active session id',
    server: member(),
    sessions: [
      session({ id: 'session-b', session_state: 'Active' }),
      session({ id: 'session-a', session_state: 'Disconnected' }),
    ],
    expected: { kind: 'active-session', sessionId: 'session-a', state: 'Disconnected' },
  },
  ...(['WAITING', 'RUNNING'] as const).map(
    (jobStatus): Row => ({
      name: `has a job ${jobStatus}`,
      server: member({ job_status: jobStatus }),
      expected: { kind: 'job-running', jobStatus },
    }),
  ),
  ...(['SUCCESS', 'FAILED', null] as const).map(
    (jobStatus): Row => ({
      name: `is idle with job_status ${jobStatus}`,
      server: member({ job_status: jobStatus }),
      expected: { kind: 'idle', idleMinutes: 600 },
    }),
  ),
  ...(['PAUSED', '', 'running'] as const).map(
    (jobStatus): Row => ({
      name: `counts an undocumented job_status ${JSON.stringify(jobStatus)} as a running job`,
      server: member({ job_status: jobStatus }),
      expected: { kind: 'job-running', jobStatus: jobStatus === '' ? '(empty)' : jobStatus },
    }),
  ),
  ...(
    ['deleting', 'rebooting', 'powering-off', 'installing_app', 'upgrading_access_agent'] as const
  )
    .concat(['install_app_failed', 'SOMETHING_NEW'] as never[])
    .map(
      (taskStatus): Row => ({
        name: `has a task ${taskStatus}`,
        server: member({ task_status: taskStatus }),
        expected: { kind: 'task-running', taskStatus },
      }),
    ),
  ...(['null', '', null, undefined] as const).map(
    (taskStatus): Row => ({
      name: `is idle with task_status ${JSON.stringify(taskStatus)} (no task)`,
      server:
        taskStatus === undefined
          ? omit(member(), 'task_status')
          : member({ task_status: taskStatus }),
      expected: { kind: 'idle', idleMinutes: 600 },
    }),
  ),
  {
    name: 'names a running job before a running task',
    server: member({ job_status: 'RUNNING', task_status: 'deleting' }),
    expected: { kind: 'job-running', jobStatus: 'RUNNING' },
  },
  {
    name: 'names a running task before a busy session count',
    server: member({ task_status: 'rebooting', session_count: 3 }),
    expected: { kind: 'task-running', taskStatus: 'rebooting' },
  },
  {
    name: 'is freeze-protected by a freeze entry with effect 2',
    server: member({ freeze: [{ effect: 1 }, { effect: 2, scene: 'ARREAR' }] }),
    expected: { kind: 'freeze-protected', effect: 2 },
  },
  ...([0, 4, -1, 99] as const).map(
    (effect): Row => ({
      name: `is freeze-protected by an undocumented freeze effect ${effect}`,
      server: member({ freeze: [{ effect: 1 }, { effect }] }),
      expected: { kind: 'freeze-protected', effect },
    }),
  ),
  {
    name: 'is idle with a freeze entry without effect (absent = 1)',
    server: member({ freeze: [{ scene: 'ARREAR' }] }),
    expected: { kind: 'idle', idleMinutes: 600 },
  },
  {
    name: 'names an undocumented status as unknown',
    server: member({ status: 'RECOVERING' }),
    expected: { kind: 'not-in-service', detail: 'status', value: 'RECOVERING', unknown: true },
  },
  {
    name: 'names an undocumented vm_status as unknown',
    server: member({ vm_status: 'THAWING' }),
    expected: { kind: 'not-in-service', detail: 'vm_status', value: 'THAWING', unknown: true },
  },
  {
    name: 'names an unknown session_state',
    server: member(),
    sessions: [ended(600, { id: 'session-odd', session_state: 'Hibernating' })],
    expected: {
      kind: 'unknown-activity',
      detail: 'session session-odd has unknown-session_state: "Hibernating"',
    },
  },
  ...([1, 3] as const).map(
    (effect): Row => ({
      name: `is idle with a freeze entry of effect ${effect}`,
      server: member({ freeze: [{ effect }] }),
      expected: { kind: 'idle', idleMinutes: 600 },
    }),
  ),
  {
    name: 'is protected by the protect tag, whatever its value',
    server: member({
      tags: [
        { key: 'team', value: 'a' },
        { key: PROTECT, value: '' },
      ],
    }),
    expected: { kind: 'protected' },
  },
  {
    name: 'is idle with tags of other keys',
    server: member({ tags: [{ key: `${PROTECT}-not`, value: 'true' }] }),
    expected: { kind: 'idle', idleMinutes: 600 },
  },
  {
    name: "prefers a session's end_time to its last_update_status_time",
    server: member(),
    sessions: [ended(90, { last_update_status_time: ago(5) })],
    expected: { kind: 'idle', idleMinutes: 90 },
  },
  {
    name: 'uses last_update_status_time when end_time is null',
    server: member(),
    sessions: [
      ended(90, { end_time: null, last_update_status_time: ago(10), start_time: ago(95) }),
    ],
    expected: { kind: 'recently-used', idleMinutes: 10, thresholdMinutes: THRESHOLD },
  },
  {
    name: 'uses start_time when end_time and last_update_status_time are absent',
    server: member(),
    sessions: [omit(ended(0, { start_time: ago(45) }), 'end_time', 'last_update_status_time')],
    expected: { kind: 'idle', idleMinutes: 45 },
  },
  {
    name: 'takes the latest of create_time and session times',
    server: member({ create_time: ago(20) }),
    sessions: [ended(300), ended(200)],
    expected: { kind: 'recently-used', idleMinutes: 20, thresholdMinutes: THRESHOLD },
  },
  {
    name: 'takes the latest session time over an older create_time',
    server: member({ create_time: ago(900) }),
    sessions: [ended(300), ended(40), ended(200)],
    expected: { kind: 'idle', idleMinutes: 40 },
  },
  {
    name: 'is idle from its sessions alone without create_time',
    server: omit(member(), 'create_time'),
    sessions: [ended(50)],
    expected: { kind: 'idle', idleMinutes: 50 },
  },
  {
    name: 'ignores the sessions of other machines',
    server: member(),
    sessions: [ended(1, { machine_name: 'APS-OTHER', session_state: 'Active' })],
    expected: { kind: 'idle', idleMinutes: 600 },
  },
  {
    name: 'is unknown with a create_time that does not parse',
    server: member({ create_time: 'yesterday' }),
    expected: { kind: 'unknown-activity', detail: 'create_time does not parse' },
  },
  {
    name: 'is unknown with an end_time that does not parse, without falling back',
    server: member(),
    sessions: [ended(600, { id: 'session-bad', end_time: '2024-13-01T00:00:00Z' })],
    expected: { kind: 'unknown-activity', detail: 'session session-bad end_time does not parse' },
  },
  {
    name: 'is unknown with a session without any time',
    server: member(),
    sessions: [
      omit(
        session({ id: 'session-bare', end_time: null, last_update_status_time: null }),
        'start_time',
      ),
    ],
    expected: { kind: 'unknown-activity', detail: 'session session-bare has no usable time' },
  },
  {
    name: 'is unknown with a session without session_state',
    server: member(),
    sessions: [omit(ended(600, { id: 'session-x' }), 'session_state')],
    expected: { kind: 'unknown-activity', detail: 'session session-x has session_state missing' },
  },
  {
    name: 'is unknown when the session query failed',
    server: member(),
    sessions: { error: 'HTTP 503' },
    expected: { kind: 'unknown-activity', detail: 'session query failed: HTTP 503' },
  },
  {
    name: 'is unknown, not failed, when the sessions were not listed',
    server: member(),
    sessions: { error: 'over the threshold', notListed: true },
    expected: { kind: 'unknown-activity', detail: 'sessions not listed: over the threshold' },
  },
  {
    name: 'is unknown without create_time and without sessions',
    server: omit(member(), 'create_time'),
    expected: { kind: 'unknown-activity', detail: 'no create_time and no sessions' },
  },
  {
    name: 'is unknown without session_count',
    server: omit(member(), 'session_count'),
    expected: { kind: 'unknown-activity', detail: 'session_count is missing' },
  },
  {
    name: 'is unknown without machine_name, sid or address',
    server: omit(member(), 'machine_name', 'sid', 'host_address'),
    expected: {
      kind: 'unknown-activity',
      detail: 'no machine_name, sid or address to join sessions by',
    },
  },
  {
    name: 'is unknown when now is not a number',
    server: member(),
    now: Number.NaN,
    expected: { kind: 'unknown-activity', detail: 'now is not a finite time' },
  },
  {
    name: 'reports not-in-service before protected',
    server: member({ status: 'STOPPED', tags: [{ key: PROTECT }] }),
    expected: { kind: 'not-in-service', detail: 'status', value: 'STOPPED' },
  },
  {
    name: 'reports protected before freeze, job and sessions',
    server: member({
      tags: [{ key: PROTECT }],
      freeze: [{ effect: 2 }],
      job_status: 'RUNNING',
      session_count: 1,
    }),
    expected: { kind: 'protected' },
  },
  {
    name: 'reports freeze-protected before a running job',
    server: member({ freeze: [{ effect: 2 }], job_status: 'RUNNING' }),
    expected: { kind: 'freeze-protected' },
  },
  {
    name: 'reports busy before a failed session query',
    server: member({ session_count: 1 }),
    sessions: { error: 'timeout' },
    expected: { kind: 'busy', sessionCount: 1 },
  },
  {
    name: 'reports an active session before an unparsable timestamp',
    server: member({ create_time: 'garbage' }),
    sessions: [ended(5, { end_time: 'nope' }), session({ id: 'live', session_state: 'Active' })],
    expected: { kind: 'active-session', sessionId: 'live', state: 'Active' },
  },
];

describe('assessMember', () => {
  it.each(rows)('$name', ({ server, sessions = [], now = NOW, expected }) => {
    const own = Array.isArray(sessions) ? joinSessions([server], sessions).of(server) : sessions;
    expect(assessMember(server, own, now, THRESHOLD, PROTECT)).toMatchObject(expected);
  });

  it('marks only an undocumented status as unknown, and the description names it', () => {
    const known = assessMember(member({ status: 'STOPPED' }), [], NOW, THRESHOLD, PROTECT);
    expect(known).not.toHaveProperty('unknown');
    expect(describeReason(known)).toBe('not in service (status is STOPPED)');
    const odd = assessMember(member({ status: 'RECOVERING' }), [], NOW, THRESHOLD, PROTECT);
    expect(describeReason(odd)).toBe('not in service (unknown-status: "RECOVERING")');
  });

  it('joins a server without machine_name by its sid for the session check', () => {
    const server = omit(member({ sid: 'S-1-5-21-7' }), 'machine_name');
    const live = sessionFactory({
      id: 'live',
      machine_name: 'WIN-OTHER',
      machine_sid: 'S-1-5-21-7',
      session_state: 'Active',
    });
    const own = joinSessions([server], [live]).of(server);
    expect(assessMember(server, own, NOW, THRESHOLD, PROTECT)).toMatchObject({
      kind: 'active-session',
      sessionId: 'live',
    });
  });

  it('uses the threshold it is given, in minutes', () => {
    const server = member({ create_time: ago(60) });
    expect(assessMember(server, [], NOW, 60, PROTECT).kind).toBe('idle');
    expect(assessMember(server, [], NOW, 61, PROTECT).kind).toBe('recently-used');
  });

  it('uses the protect tag key it is given', () => {
    const server = member({ tags: [{ key: 'keep-me' }] });
    expect(assessMember(server, [], NOW, THRESHOLD, 'keep-me').kind).toBe('protected');
    expect(assessMember(server, [], NOW, THRESHOLD, PROTECT).kind).toBe('idle');
  });
});
