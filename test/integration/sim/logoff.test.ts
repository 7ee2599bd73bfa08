import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HuaweiApiError } from '../../../lib/errors.ts';
import {
  type ApsClient,
  createApsClient,
  type LogoffRequest,
} from '../../../lib/huawei/aps-client.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import type { AppServer } from '../../../lib/huawei/schemas.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import { assessAfterLogoff, logoffRequestOf } from '../../../lib/scaling/logoff.ts';
import type { Removal } from '../../../lib/scaling/types.ts';
import { openSim, type SimHarness } from './harness.ts';

// The demo fleet's one Disconnected session, on srv-si-disconnected (sim/README.md).
const SESSION = 'sess-011';
const MACHINE = 'APS-SI-DISC';

/** The demo fleet on a frozen simulator, with an APS client signing at its virtual now. */
async function openApsSim(): Promise<{ h: SimHarness; aps: ApsClient }> {
  const h = await openSim();
  const http = createHttpCore({
    credentials: h.sim.credentials,
    projectId: h.sim.projectId,
    timeoutMs: 5_000,
    now: () => h.sim.now().getTime(),
  });
  return { h, aps: createApsClient({ http, endpoint: h.sim.url, projectId: h.sim.projectId }) };
}

describe('log-off against the simulator', () => {
  let h: SimHarness;
  let aps: ApsClient;
  beforeAll(async () => {
    ({ h, aps } = await openApsSim());
  });
  beforeEach(() => h.sim.reset());
  afterAll(() => h.close());

  describe('POST /session/logoff through the APS client', () => {
    const stateOf = async () => {
      const now = h.sim.now().getTime();
      const sessions = await aps.listSessions({
        machineName: MACHINE,
        begin: new Date(now - 24 * 3_600_000),
        end: new Date(now),
      });
      return sessions.find((s) => s.id === SESSION);
    };
    const advance = (minutes: number) =>
      h.admin('POST', '/_sim/clock', { advanceMinutes: minutes });
    const logoff = () =>
      aps.logoffSessions({ sessionIds: [SESSION], message: 'bye', delaySeconds: 300 });

    it('sends the SDK body and ends the session after the delay on the virtual clock', async () => {
      const calls = h.sim.calls.length;
      await expect(logoff()).resolves.toHaveProperty('requestId');
      const call = h.sim.calls[calls];
      expect(call?.route).toBe('logoffSessions');
      expect(JSON.parse(call?.body ?? '{}')).toEqual({
        session_ids: [SESSION],
        message_type: 0,
        message: 'bye',
        delay_time: 300,
      });
      await advance(4);
      expect((await stateOf())?.session_state).toBe('Disconnected');
      await advance(1);
      const ended = await stateOf();
      expect(ended?.session_state).toBe('SignedOut');
      expect(ended?.end_time).toBe(new Date(Date.parse('2026-01-01T12:05:00Z')).toISOString());
    });

    it('keeps a session whose user reconnects during the delay', async () => {
      await logoff();
      await advance(2);
      const back = await h.admin('POST', '/_sim/reconnect', { session_id: SESSION });
      expect(back.status).toBe(200);
      await advance(10);
      expect((await stateOf())?.session_state).toBe('Active');
      expect((await aps.getServer('srv-si-disconnected'))?.session_count).toBe(1);
    });

    it('answers 400 naming an unknown session id, and changes nothing', async () => {
      const error = await aps
        .logoffSessions({ sessionIds: [SESSION, 'nope'], message: 'bye', delaySeconds: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HuaweiApiError);
      expect((error as HuaweiApiError).status).toBe(400);
      expect((error as HuaweiApiError).message).toContain('session_ids[1]');
      await advance(1);
      expect((await stateOf())?.session_state).toBe('Disconnected');
    });

    it('refuses a body without delay_time, naming it', async () => {
      const reply = await h.call({
        method: 'POST',
        path: `${h.v1}/session/logoff`,
        json: { session_ids: [SESSION], message_type: 0 },
      });
      expect(reply.status).toBe(400);
      expect(reply.text).toContain('delay_time');
    });

    it('forgets pending log-offs on reset', async () => {
      await logoff();
      h.sim.reset();
      await advance(10);
      expect((await stateOf())?.session_state).toBe('Disconnected');
    });

    it('refuses an empty id list before any request', async () => {
      const calls = h.sim.calls.length;
      await expect(
        aps.logoffSessions({ sessionIds: [], message: 'bye', delaySeconds: 0 }),
      ).rejects.toThrow(RangeError);
      expect(h.sim.calls.length).toBe(calls);
    });
  });

  describe('the log-off building blocks', () => {
    const TEXT = { message: 'This session is logged off in 5 minutes.', delaySeconds: 300 };
    const GROUP = 'sg-scale-in';
    const fetchGroup = async () => {
      const now = h.sim.now().getTime();
      const group = await aps.getServerGroup(GROUP);
      const servers = await aps.listServers({ serverGroupId: GROUP });
      const sessions = await aps.listSessions({
        serverGroupId: GROUP,
        begin: new Date(now - 24 * 3_600_000),
        end: new Date(now),
      });
      if (group === undefined) throw new Error('no group');
      return { group, servers, sessions, now };
    };
    const limits = {
      minServersPerGroup: 1,
      maxRemovalsPerGroup: 10,
      protectTagKey: 'aps-autoscaler:protect',
      logoffDisconnectedAfterMinutes: 30,
    };

    /** Plans the group, logs off the disconnected server's sessions, waits the delay and re-checks it. */
    async function logoffAndRecheck(reconnect: boolean): Promise<string> {
      const planned = await fetchGroup();
      // Without its usage threshold, so the anti-flap rule lets every idle member go.
      const group = {
        ...planned.group,
        scaling_policy: {
          ...planned.group.scaling_policy,
          scaling_policy_by_session: { shrink_after_session_idle_minutes: 30 },
        },
      };
      const decision = evaluateGroup({ ...planned, group, limits });
      const removal =
        decision.kind === 'scale-in'
          ? decision.remove.find((r) => r.serverId === 'srv-si-disconnected')
          : undefined;
      expect(removal?.logoffSessionIds).toEqual(['sess-011']);
      const request = logoffRequestOf(removal as Removal, TEXT);
      await aps.logoffSessions(request as LogoffRequest);
      await h.admin('POST', '/_sim/clock', { advanceMinutes: 2 });
      if (reconnect) await h.admin('POST', '/_sim/reconnect', { session_id: 'sess-011' });
      await h.admin('POST', '/_sim/clock', { advanceMinutes: 4 });
      const fresh = await fetchGroup();
      const server = fresh.servers.find((s) => s.id === 'srv-si-disconnected') as AppServer;
      const reason = assessAfterLogoff(
        server,
        fresh.sessions.filter((s) => s.machine_name === server.machine_name),
        request?.sessionIds ?? [],
        fresh.now,
        30,
        limits.protectTagKey,
      );
      return reason.kind;
    }

    it('finds the server removable once its abandoned session is logged off', async () => {
      expect(await logoffAndRecheck(false)).toBe('idle');
    });

    it('keeps the server when its user reconnects during the delay', async () => {
      expect(await logoffAndRecheck(true)).toBe('busy');
    });

    it('keeps it without the log-off: the strict re-check sees the disconnected session', async () => {
      const fresh = await fetchGroup();
      const server = fresh.servers.find((s) => s.id === 'srv-si-disconnected') as AppServer;
      const reason = assessAfterLogoff(
        server,
        fresh.sessions.filter((s) => s.machine_name === server.machine_name),
        ['sess-011'],
        fresh.now,
        30,
        limits.protectTagKey,
      );
      expect(reason.kind).toBe('active-session');
    });
  });
});
