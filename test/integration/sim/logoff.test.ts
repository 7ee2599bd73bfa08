import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HuaweiApiError } from '../../../lib/errors.ts';
import { type ApsClient, createApsClient } from '../../../lib/huawei/aps-client.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import { openSim, type SimHarness } from './harness.ts';

// The demo fleet's one Disconnected session, on srv-si-disconnected (sim/README.md).
const SESSION = 'sess-011';
const MACHINE = 'APS-SI-DISC';

describe('simulator: POST /session/logoff through the APS client', () => {
  let h: SimHarness;
  let aps: ApsClient;
  beforeAll(async () => {
    h = await openSim();
    const http = createHttpCore({
      credentials: h.sim.credentials,
      projectId: h.sim.projectId,
      timeoutMs: 5_000,
      now: () => h.sim.now().getTime(),
    });
    aps = createApsClient({ http, endpoint: h.sim.url, projectId: h.sim.projectId });
  });
  beforeEach(() => h.sim.reset());
  afterAll(() => h.close());

  const stateOf = async () => {
    const now = h.sim.now().getTime();
    const sessions = await aps.listSessions({
      machineName: MACHINE,
      begin: new Date(now - 24 * 3_600_000),
      end: new Date(now),
    });
    return sessions.find((s) => s.id === SESSION);
  };
  const advance = (minutes: number) => h.admin('POST', '/_sim/clock', { advanceMinutes: minutes });
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
