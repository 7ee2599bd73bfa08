import { beforeEach, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../../lib/huawei/schemas.ts';
import { startDrains } from '../../../lib/removal/lifecycle.ts';
import { viewOf } from '../../../lib/removal/recheck/group-view.ts';
import { decideDrain } from '../../../lib/removal/recheck/recheck.ts';
import type { DrainRecord } from '../../../lib/removal/store/drain-store.ts';
import type { GroupEvaluation } from '../../../lib/removal/types.ts';
import {
  DEFAULT_GROUP_ID,
  FACTORY_EPOCH,
  isoAt,
  resetFactorySequences,
  serverFactory,
  sessionFactory,
} from '../../helpers/factories.ts';
import { createFakeDrains } from '../../helpers/fake-drains.ts';
import { apiError, FAKE_NOW, fakeSettings, fleetOfIdle } from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

const MINUTE = 60_000;
const NOW = FACTORY_EPOCH + 5 * 3_600_000;
const TEXT = { message: 'bye', delaySeconds: 60 };
const GROUP = {
  groupId: DEFAULT_GROUP_ID,
  scaleInAllowed: true,
  idleThresholdMinutes: 30,
  protectTagKey: 'protect',
  minServersPerGroup: 1,
  inService: 2,
};

describe('the re-check of a drain that logged sessions off', () => {
  const server = serverFactory({ maintain_status: true, machine_name: 'APS-0001' });
  const record = (logoffSessionIds?: string[]): DrainRecord => ({
    projectId: 'p1',
    serverId: server.id,
    groupId: DEFAULT_GROUP_ID,
    owner: 'sweep-a',
    state: 'draining',
    drainedAtMs: NOW - 2 * MINUTE,
    drainUntilMs: NOW,
    ...(logoffSessionIds === undefined ? {} : { logoffSessionIds }),
  });
  const session = (state: SessionInfo['session_state'], ended: boolean) =>
    sessionFactory({
      id: 'abandoned',
      session_state: state,
      end_time: ended ? isoAt(NOW - MINUTE) : null,
      last_update_status_time: isoAt(NOW - MINUTE),
    });
  const decide = (sessions: SessionInfo[], logoff: string[] | null = ['abandoned'], count = 0) =>
    decideDrain({
      record: record(logoff ?? undefined),
      server: { ...server, session_count: count },
      sessions,
      group: GROUP,
      now: NOW,
    });

  it('acts once the logged-off session ended: its ending is not a user', () => {
    expect(decide([session('SignedOut', true)]).kind).toBe('act');
  });

  it('without the record naming it, the same ended session is recent use', () => {
    expect(decide([session('SignedOut', true)], null)).toMatchObject({
      kind: 'undo',
      reason: 'recently-used',
    });
  });

  it('undoes when the log-off has not taken effect: the session is still Disconnected', () => {
    expect(decide([session('Disconnected', false)])).toMatchObject({
      kind: 'undo',
      reason: 'session-arrived',
      detail: 'session abandoned is Disconnected',
      unmaintain: true,
    });
  });

  it('undoes when the user reconnected, even before session_count shows it', () => {
    expect(decide([session('Active', false)])).toMatchObject({
      kind: 'undo',
      reason: 'session-arrived',
      detail: 'session abandoned is Active',
    });
    expect(decide([session('SignedOut', true)], ['abandoned'], 1)).toMatchObject({
      kind: 'undo',
      reason: 'session-arrived',
    });
  });

  it('undoes for any other session, and when the sessions are unknown', () => {
    const other = sessionFactory({ id: 'other', session_state: 'AppcInit', end_time: null });
    expect(decide([session('SignedOut', true), other])).toMatchObject({ kind: 'undo' });
    const unknown = { record: record(['abandoned']), server, group: GROUP, now: NOW };
    expect(decideDrain({ ...unknown, sessions: { error: 'down' } })).toMatchObject({
      kind: 'undo',
      reason: 'unknown-activity',
    });
  });
});

describe('the re-check floor', () => {
  it('is the floor the evaluation resolved at its instant (a schedule window, a tag)', () => {
    const { group, servers } = fleetOfIdle(2);
    const evaluation = (floor?: number): GroupEvaluation => ({
      group,
      servers,
      sessions: [],
      decision: {
        kind: 'scale-out',
        recommended: 0,
        thresholdPercent: 50,
        groupId: group.id,
        groupName: group.name,
        members: [],
        inService: 2,
        usedSessions: 0,
        sessionsPerServer: 1,
        usagePercent: 0,
        ...(floor === undefined
          ? {}
          : {
              settings: {
                floor: { value: floor, from: 'schedule s window Mon 08:00-19:00' },
                maxRemovals: { value: 10, from: 'MAX_REMOVALS_PER_GROUP' },
              },
            }),
      },
    });
    expect(viewOf(evaluation(5), fakeSettings(), 0).group.minServersPerGroup).toBe(5);
    expect(viewOf(evaluation(), fakeSettings(), 0).group.minServersPerGroup).toBe(1);
  });
});

describe('startDrains with sessions to log off', () => {
  function setup() {
    const { group, servers, fake } = fleetOfIdle(3);
    const drains = createFakeDrains();
    fake.services.drains = drains.drains;
    const [first, second] = servers;
    if (first === undefined || second === undefined) throw new Error('two servers');
    const removal = (id: string, logoff?: string[]) => ({
      serverId: id,
      instanceId: servers.find((s) => s.id === id)?.instance_id,
      machineName: undefined,
      idleMinutes: 90,
      ...(logoff === undefined ? {} : { logoffSessionIds: logoff }),
    });
    const run = (settings = fakeSettings({ drainSeconds: 120, logoff: TEXT })) =>
      startDrains(
        [
          {
            evaluation: { group, servers },
            removals: [removal(first.id, ['s-1', 's-2']), removal(second.id)],
          },
        ],
        'sweep-a',
        fake.services,
        settings,
      );
    return { fake, drains, first, second, run };
  }

  it('records the ids and logs them off once maintenance is on, with LOGOFF_MESSAGE and the delay', async () => {
    const { fake, drains, first, second, run } = setup();
    const begun = await run();
    expect(begun.records.map((r) => [r.serverId, r.logoffSessionIds])).toEqual([
      [first.id, ['s-1', 's-2']],
      [second.id, undefined],
    ]);
    expect(drains.records.get(first.id)?.logoffSessionIds).toEqual(['s-1', 's-2']);
    expect(fake.logoffs).toEqual([
      { sessionIds: ['s-1', 's-2'], message: 'bye', delaySeconds: 60, messageType: 1 },
    ]);
    const order = fake.calls.filter((c) => c === 'batchSetMaintenance' || c === 'logoffSessions');
    expect(order).toEqual(['batchSetMaintenance', 'logoffSessions']);
    expect(begun.notDrained.size).toBe(0);
  });

  it('undoes that drain at once when the log-off fails: maintenance lifted, record cleared, failed and retryable', async () => {
    const { fake, drains, first, second, run } = setup();
    fake.fail.logoffSessions = apiError(503);
    const begun = await run();
    expect(begun.records.map((r) => r.serverId)).toEqual([second.id]);
    expect(begun.notDrained.get(first.id)).toMatchObject({
      outcome: 'failed',
      retryable: true,
      requestId: 'req-fake',
    });
    expect(begun.notDrained.get(first.id)?.detail).toMatch(
      /^log-off failed: .*; drain undone, maintenance lifted$/,
    );
    expect(fake.maintenance.at(-1)).toEqual({ ids: [first.id], on: false });
    expect(drains.records.has(first.id)).toBe(false);
    expect(drains.records.has(second.id)).toBe(true);
    const errors = fake.log.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.context?.['serverId'])).toEqual([first.id]);
  });

  it('keeps the record for the re-check when the undo fails too', async () => {
    const { fake, drains, first, run } = setup();
    fake.fail.logoffSessions = apiError(503);
    const setMaintenance = fake.services.aps.batchSetMaintenance;
    fake.services.aps.batchSetMaintenance = async (ids, on) => {
      if (!on) throw apiError(500);
      return setMaintenance(ids, on);
    };
    const begun = await run();
    expect(begun.records.map((r) => r.serverId)).toContain(first.id);
    expect(drains.records.has(first.id)).toBe(true);
    expect(fake.log.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('logs nothing off where maintenance was not set: the re-check undoes that drain', async () => {
    const { fake, first, run } = setup();
    fake.fail.batchSetMaintenance = apiError(500);
    const begun = await run();
    expect(fake.logoffs).toEqual([]);
    expect(begun.records.map((r) => r.serverId)).toContain(first.id);
  });

  it('refuses to log off without the LOGOFF settings: undone, not retryable', async () => {
    const { fake, first, run } = setup();
    const begun = await run(fakeSettings({ drainSeconds: 120, now: () => FAKE_NOW }));
    expect(fake.logoffs).toEqual([]);
    expect(begun.notDrained.get(first.id)).toMatchObject({ outcome: 'failed' });
    expect(begun.notDrained.get(first.id)?.retryable).toBeUndefined();
  });
});
