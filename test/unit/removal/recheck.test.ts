import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppServer, SessionInfo } from '../../../lib/huawei/schemas.ts';
import {
  chunkForMaintenance,
  type DrainCheckInput,
  type DrainGroupView,
  decideDrain,
  MAINTENANCE_BATCH_SIZE,
  planDrainWait,
} from '../../../lib/removal/recheck/recheck.ts';
import type { DrainRecord } from '../../../lib/removal/store/drain-store.ts';
import {
  DEFAULT_GROUP_ID,
  FACTORY_EPOCH,
  isoAt,
  serverFactory,
  sessionFactory,
} from '../../helpers/factories.ts';

const HOUR = 3_600_000;
const DRAINED_AT = FACTORY_EPOCH + 5 * HOUR;
const DRAIN_MS = 120_000;

function drained(overrides: Partial<AppServer> = {}): AppServer {
  return serverFactory({ maintain_status: true, machine_name: 'APS-0001', ...overrides });
}

function recordOf(server: AppServer, overrides: Partial<DrainRecord> = {}): DrainRecord {
  return {
    projectId: 'p1',
    serverId: server.id,
    groupId: DEFAULT_GROUP_ID,
    owner: 'sweep-a',
    state: 'draining',
    drainedAtMs: DRAINED_AT,
    drainUntilMs: DRAINED_AT + DRAIN_MS,
    ...overrides,
  };
}

const group: DrainGroupView = {
  groupId: DEFAULT_GROUP_ID,
  scaleInAllowed: true,
  idleThresholdMinutes: 30,
  protectTagKey: 'aps-autoscaler:protect',
  minServersPerGroup: 1,
  inService: 2,
};

function check(overrides: Partial<DrainCheckInput> & { server?: AppServer | undefined }) {
  const server = 'server' in overrides ? overrides.server : drained();
  const input: DrainCheckInput = {
    server,
    record: server ? recordOf(server) : undefined,
    sessions: [],
    group,
    now: DRAINED_AT + DRAIN_MS,
    ...overrides,
  };
  return decideDrain(input);
}

describe('decideDrain', () => {
  it('acts on our drained, idle member once the period elapsed', () => {
    const server = drained();
    expect(check({ server })).toEqual({
      kind: 'act',
      serverId: server.id,
      instanceId: server.instance_id,
      idleMinutes: (DRAINED_AT + DRAIN_MS - FACTORY_EPOCH) / 60_000,
    });
  });

  it('waits until the drain period has elapsed', () => {
    const server = drained();
    expect(check({ server, now: DRAINED_AT + DRAIN_MS - 1 })).toEqual({
      kind: 'wait',
      serverId: server.id,
      untilMs: DRAINED_AT + DRAIN_MS,
    });
  });

  it.each([
    ['operator-maintenance', true],
    ['not-ours', false],
  ] as const)('leaves a server without our record alone (%s)', (reason, maintain) => {
    const server = drained({ maintain_status: maintain });
    expect(check({ server, record: undefined })).toEqual({
      kind: 'leave-alone',
      serverId: server.id,
      reason,
    });
  });

  it.each<[string, Partial<AppServer>, SessionInfo[], string]>([
    ['a busy session_count', { session_count: 1 }, [], 'session-arrived'],
    [
      'an active session in the listing',
      {},
      [sessionFactory({ session_state: 'Active', end_time: null })],
      'session-arrived',
    ],
    [
      'a session being set up',
      {},
      [sessionFactory({ session_state: 'AppcInit', end_time: null })],
      'session-arrived',
    ],
    [
      'a session that came and went during the drain',
      {},
      [sessionFactory({ end_time: isoAt(DRAINED_AT + 60_000) })],
      'recently-used',
    ],
    ['the protect tag', { tags: [{ key: 'aps-autoscaler:protect', value: '' }] }, [], 'protected'],
    ['a running job', { job_status: 'RUNNING' }, [], 'job-running'],
    ['a vm that is not active', { vm_status: 'SHUTOFF' }, [], 'not-in-service'],
    [
      'a session in an unknown state',
      {},
      [sessionFactory({ session_state: 'Other' as 'Active' })],
      'unknown-activity',
    ],
  ])('undoes the drain on %s, lifting our maintenance', (_, overrides, sessions, reason) => {
    const decision = check({ server: drained(overrides), sessions });
    expect(decision).toMatchObject({ kind: 'undo', reason, unmaintain: true });
  });

  it('undoes at once, before the period elapsed, when a session arrives', () => {
    const decision = check({ server: drained({ session_count: 1 }), now: DRAINED_AT + 1 });
    expect(decision).toMatchObject({ kind: 'undo', reason: 'session-arrived' });
  });

  it('undoes when the session query failed: activity is unknown', () => {
    const decision = check({ sessions: { error: 'HTTP 500' } });
    expect(decision).toMatchObject({ kind: 'undo', reason: 'unknown-activity' });
  });

  it('undoes when the group is no longer scaled in', () => {
    const decision = check({ group: { ...group, scaleInAllowed: false } });
    expect(decision).toMatchObject({ kind: 'undo', reason: 'policy-changed', unmaintain: true });
  });

  it('undoes when the group in service fell below the floor', () => {
    const decision = check({ group: { ...group, inService: 0 } });
    expect(decision).toMatchObject({ kind: 'undo', reason: 'floor', unmaintain: true });
  });

  it('clears the record without lifting anything when maintenance was lifted', () => {
    const decision = check({ server: drained({ maintain_status: false }) });
    expect(decision).toMatchObject({
      kind: 'undo',
      reason: 'maintenance-lifted',
      unmaintain: false,
    });
  });

  it('undoes a draining server that left the group', () => {
    const server = drained({ server_group_id: 'sg-other' });
    expect(check({ server, record: recordOf(server) })).toMatchObject({
      kind: 'undo',
      reason: 'not-a-member',
      unmaintain: true,
    });
  });

  it.each([
    ['draining', 'server-gone'],
    ['acting', 'action-done'],
  ] as const)('forgets a %s record whose server is gone (%s)', (state, reason) => {
    const server = drained();
    const decision = decideDrain({
      server: undefined,
      record: recordOf(server, { state }),
      sessions: [],
      group,
      now: DRAINED_AT + DRAIN_MS,
    });
    expect(decision).toEqual({ kind: 'forget', serverId: server.id, reason, unmaintain: false });
  });

  it('forgets an acting record whose server was removed from the group, lifting maintenance', () => {
    const server = drained({ server_group_id: null });
    expect(check({ server, record: recordOf(server, { state: 'acting' }) })).toMatchObject({
      kind: 'forget',
      reason: 'action-done',
      unmaintain: true,
    });
  });

  it('acts again on an acting record whose server is still there (a crash mid-action)', () => {
    const server = drained();
    expect(check({ server, record: recordOf(server, { state: 'acting' }) }).kind).toBe('act');
  });

  it('undoes when now is not a finite time', () => {
    expect(check({ now: Number.NaN })).toMatchObject({ kind: 'undo' });
  });
});

describe('decideDrain properties', () => {
  // Weighted toward the one path that acts, so each property sees many `act`s.
  const mostly = <T>(likely: T, ...others: T[]) =>
    fc.oneof(
      { arbitrary: fc.constant(likely), weight: 4 },
      ...others.map((other) => ({ arbitrary: fc.constant(other), weight: 1 })),
    );
  const sessionArb = fc.record({
    session_state: mostly<string>('SignedOut', 'Active', 'Disconnected', 'AppcInit', 'InitFail'),
    endOffset: fc.option(fc.integer({ min: -10 * HOUR, max: HOUR }), { nil: undefined, freq: 8 }),
  });
  const inputArb = fc.record({
    hasRecord: mostly(true, false),
    state: fc.constantFrom('draining' as const, 'acting' as const),
    maintain: mostly<boolean | undefined>(true, false, undefined),
    member: mostly(true, false),
    sessionCount: mostly<number | undefined>(0, 1, 2, undefined),
    sessions: fc.array(sessionArb, { maxLength: 2 }),
    scaleInAllowed: mostly(true, false),
    inService: fc.integer({ min: 0, max: 4 }),
    floor: fc.integer({ min: 0, max: 3 }),
    elapsed: fc.integer({ min: -DRAIN_MS, max: 2 * DRAIN_MS }),
  });
  const runs = { numRuns: 1_000 };

  type Drawn = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

  function build(x: Drawn): DrainCheckInput {
    const overrides: Partial<AppServer> = {
      maintain_status: x.maintain as boolean,
      server_group_id: x.member ? DEFAULT_GROUP_ID : 'sg-other',
      session_count: x.sessionCount as number,
    };
    const server = drained(overrides);
    if (x.maintain === undefined) delete server.maintain_status;
    if (x.sessionCount === undefined) delete server.session_count;
    const sessions = x.sessions.map((s) =>
      sessionFactory({
        session_state: s.session_state as SessionInfo['session_state'] & string,
        end_time: s.endOffset === undefined ? null : isoAt(DRAINED_AT + s.endOffset),
      }),
    );
    return {
      server,
      record: x.hasRecord ? recordOf(server, { state: x.state }) : undefined,
      sessions,
      group: {
        ...group,
        scaleInAllowed: x.scaleInAllowed,
        inService: x.inService,
        minServersPerGroup: x.floor,
      },
      now: DRAINED_AT + DRAIN_MS + x.elapsed,
    };
  }

  const busy = new Set(['Active', 'Disconnected', 'AppcInit']);

  it('draws inputs that reach every kind of decision (the properties are not vacuous)', () => {
    const kinds = new Set(
      fc.sample(inputArb, { numRuns: 3_000, seed: 7 }).map((x) => decideDrain(build(x)).kind),
    );
    expect([...kinds].sort()).toEqual(['act', 'forget', 'leave-alone', 'undo', 'wait']);
  });

  it('never acts on a server with a session, or an in-use session in the listing', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const input = build(x);
        const decision = decideDrain(input);
        if (decision.kind !== 'act') return;
        expect(input.server?.session_count).toBe(0);
        expect(
          (input.sessions as SessionInfo[]).some((s) => busy.has(String(s.session_state))),
        ).toBe(false);
      }),
      runs,
    );
  });

  it('never touches a server without our record', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const decision = decideDrain({ ...build(x), record: undefined });
        expect(decision.kind).toBe('leave-alone');
      }),
      runs,
    );
  });

  it('waits (or undoes) until the period elapsed: never acts before drainUntilMs', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const input = build(x);
        const decision = decideDrain(input);
        if (decision.kind === 'act')
          expect(input.now).toBeGreaterThanOrEqual(DRAINED_AT + DRAIN_MS);
        if (decision.kind === 'wait') expect(decision.untilMs).toBe(DRAINED_AT + DRAIN_MS);
      }),
      runs,
    );
  });

  it('acts only on a member in maintenance, with the group at or above the floor', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const input = build(x);
        if (decideDrain(input).kind !== 'act') return;
        expect(input.server?.maintain_status).toBe(true);
        expect(input.server?.server_group_id).toBe(DEFAULT_GROUP_ID);
        expect(input.group.scaleInAllowed).toBe(true);
        expect(input.group.inService).toBeGreaterThanOrEqual(input.group.minServersPerGroup);
      }),
      runs,
    );
  });

  it('lifts maintenance only on a server in maintenance, and only with our record', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const input = build(x);
        const decision = decideDrain(input);
        if ((decision.kind === 'undo' || decision.kind === 'forget') && decision.unmaintain) {
          expect(input.record).toBeDefined();
          expect(input.server?.maintain_status).toBe(true);
        }
      }),
      runs,
    );
  });

  it('gives the same decision for the same input', () => {
    fc.assert(
      fc.property(inputArb, (x) => {
        const input = build(x);
        expect(decideDrain(input)).toEqual(decideDrain(structuredClone(input)));
      }),
      runs,
    );
  });
});

describe('planDrainWait', () => {
  const now = 1_000_000;
  it.each([
    [
      'the drain ends well before the reserve',
      now + 120_000,
      now + 300_000,
      10_000,
      { kind: 'wait', ms: 120_000 },
    ],
    [
      'the drain ends exactly at the reserve',
      now + 120_000,
      now + 130_000,
      10_000,
      { kind: 'wait', ms: 120_000 },
    ],
    [
      'the drain ends inside the reserve',
      now + 120_001,
      now + 130_000,
      10_000,
      { kind: 'undo', reason: 'deadline' },
    ],
    ['the drain already ended', now - 5, now + 60_000, 10_000, { kind: 'wait', ms: 0 }],
    ['the deadline is unknown', now + 1, Number.NaN, 10_000, { kind: 'undo', reason: 'deadline' }],
  ])('when %s', (_, drainUntilMs, deadlineAt, reserveMs, expected) => {
    // The time budget is the deadline less the reserve.
    expect(planDrainWait({ now, drainUntilMs, deadlineAt: deadlineAt - reserveMs })).toEqual(
      expected,
    );
  });
});

describe('chunkForMaintenance', () => {
  it('cuts ids into batches of at most 20, in order, without repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 90 }), (ids) => {
        const chunks = chunkForMaintenance(ids);
        expect(chunks.every((c) => c.length >= 1 && c.length <= MAINTENANCE_BATCH_SIZE)).toBe(true);
        expect(chunks.flat()).toEqual([...new Set(ids)]);
      }),
    );
  });

  it('sends 41 ids in three calls', () => {
    const ids = Array.from({ length: 41 }, (_, i) => `s${i}`);
    expect(chunkForMaintenance(ids).map((c) => c.length)).toEqual([20, 20, 1]);
  });

  it.each([0, 21, 1.5])('refuses a batch size of %s', (size) => {
    expect(() => chunkForMaintenance(['a'], size)).toThrow(/batch size must be 1–20/);
  });
});
