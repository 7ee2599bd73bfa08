import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AppServerSchema,
  EcsServerGroupSchema,
  JobResponseSchema,
  ListServerGroupsResponseSchema,
} from '../../../lib/huawei/schemas.ts';
import type { CallLogEntry, FaultConfig } from '../../../sim/index.ts';
import { openSim, type SimHarness } from './harness.ts';

const FL_IDLE_A = '5ca1ab1e-0007-4000-8000-000000000001';
/** The demo fleet's ECS server group holding sg-floor's instances (its own id). */
const ECS_FLOOR = 'ec5e0000-0007-4000-8000-00000000e0c5';

describe('simulator faults', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim();
  });
  afterEach(() => h.sim.reset());
  afterAll(() => h.close());

  const groups = () => h.call({ path: `${h.v1}/app-server-groups`, query: { limit: 5 } });
  const removeA = () =>
    h.call({
      method: 'POST',
      path: `${h.v1}/cloudservers/os-server-groups/${ECS_FLOOR}/action`,
      json: { remove_member: { instance_uuid: FL_IDLE_A } },
    });
  const isMember = () => h.sim.state.ecs.groupsOf(FL_IDLE_A).includes(ECS_FLOOR);

  it('adds fixed latency, logged per call', async () => {
    h.sim.setFaults({ routes: { listServerGroups: { latencyMs: 150 } } });
    const started = performance.now();
    expect((await groups()).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(h.sim.calls.at(-1)).toMatchObject({ latencyMs: 150, fault: null, status: 200 });
    await h.call({ path: `${h.v1}/app-servers` });
    expect(h.sim.calls.at(-1)?.latencyMs).toBe(0);
  });

  it('adds jitter below jitterMs on top of the fixed latency', async () => {
    h.sim.setFaults({ routes: { '*': { latencyMs: 5, jitterMs: 30 } } });
    for (let i = 0; i < 8; i++) await groups();
    const latencies = h.sim.calls.map((c) => c.latencyMs);
    for (const l of latencies) expect(l >= 5 && l < 35).toBe(true);
    expect(new Set(latencies).size).toBeGreaterThan(1);
  });

  it('throttles a route with 429 APIGW.0308 and Retry-After, other routes unaffected', async () => {
    h.sim.setFaults({
      routes: { listServerGroups: { rateLimit: { requestsPerSecond: 0.5, burst: 2 } } },
    });
    expect((await groups()).status).toBe(200);
    expect((await groups()).status).toBe(200);
    const throttled = await groups();
    expect(throttled.status).toBe(429);
    expect(throttled.json).toMatchObject({ error_code: 'APIGW.0308' });
    expect(throttled.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(h.sim.calls.at(-1)).toMatchObject({ fault: 'throttle', status: 429 });
    expect((await h.call({ path: `${h.v1}/app-servers` })).status).toBe(200);
  });

  it.each([
    ['error500', 500],
    ['error503', 503],
  ] as const)('answers %s with status %i and an error body', async (kind, status) => {
    h.sim.setFaults({ routes: { listServerGroups: { [kind]: 1 } } });
    const reply = await groups();
    expect(reply.status).toBe(status);
    expect(reply.json).toHaveProperty('error_code');
    expect(reply.headers.get('x-request-id')).toBeTruthy();
    expect(h.sim.calls.at(-1)).toMatchObject({ fault: kind, status, signatureOk: true });
  });

  it('hangs until the client gives up', async () => {
    h.sim.setFaults({ routes: { listServerGroups: { hang: 1 } } });
    const prepared = h.prepare({ path: `${h.v1}/app-server-groups` });
    const started = performance.now();
    await expect(
      fetch(prepared.url, { headers: prepared.headers, signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow(/abort|timeout/i);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(h.sim.calls.at(-1)).toMatchObject({ fault: 'hang', status: 0 });
  });

  it('resets the connection', async () => {
    h.sim.setFaults({ routes: { listServerGroups: { reset: 1 } } });
    await expect(groups()).rejects.toThrow(/fetch failed/);
    expect(h.sim.calls.at(-1)).toMatchObject({ fault: 'reset', status: 0 });
  });

  it('sends a malformed JSON body', async () => {
    h.sim.setFaults({ routes: { listServerGroups: { malformed: 1 } } });
    const reply = await groups();
    expect(reply.status).toBe(200);
    expect(() => JSON.parse(reply.text)).toThrow();
    expect(reply.text.length).toBeGreaterThan(0);
  });

  it('sends bodies that break the response schemas, naming the broken field', async () => {
    h.sim.setFaults({ routes: { '*': { schemaViolation: 1 } } });
    const list = ListServerGroupsResponseSchema.safeParse((await groups()).json);
    expect(list.success).toBe(false);
    expect(list.error?.issues[0]?.path).toEqual(['count']);
    const server = await h.call({ path: `${h.v1}/app-servers/srv-fl-idle-a` });
    const parsed = AppServerSchema.safeParse(server.json);
    expect(parsed.error?.issues[0]?.path).toEqual(['session_count']);
    const ecs = await h.call({ path: `${h.v1}/cloudservers/os-server-groups/${ECS_FLOOR}` });
    expect(
      EcsServerGroupSchema.safeParse((ecs.json as { server_group: unknown }).server_group).success,
    ).toBe(false);
    const deleted = await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-fl-idle-a` });
    expect(JobResponseSchema.safeParse(deleted.json).success).toBe(false);
  });

  it.each([['error500'], ['error503'], ['reset'], ['malformed'], ['schemaViolation']] as const)(
    'never applies a mutation answered with %s',
    async (kind) => {
      h.sim.setFaults({ routes: { ecsAction: { [kind]: 1 }, deleteAppServer: { [kind]: 1 } } });
      await removeA().catch(() => undefined);
      await h
        .call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-fl-idle-b` })
        .catch(() => undefined);
      expect(isMember()).toBe(true);
      expect(h.sim.state.getServer('srv-fl-idle-b')).toBeDefined();
      h.sim.setFaults({});
      expect((await removeA()).status).toBe(200);
      expect(isMember()).toBe(false);
    },
  );

  it('applies a mutation that is only delayed', async () => {
    h.sim.setFaults({ routes: { ecsAction: { latencyMs: 20 } } });
    expect((await removeA()).status).toBe(200);
    expect(isMember()).toBe(false);
  });

  it('answers a bad signature with 401 even when a 500 is due', async () => {
    h.sim.setFaults({ routes: { listServerGroups: { error500: 1 } } });
    const reply = await h.call({ path: `${h.v1}/app-server-groups`, date: new Date(0) });
    expect(reply.status).toBe(401);
  });

  it('validates fault configs through the admin API, naming the path', async () => {
    const tooLikely = await h.admin('PUT', '/_sim/faults', {
      routes: { listAppServers: { error500: 1.5 } },
    });
    expect(tooLikely.status).toBe(400);
    expect((tooLikely.json as { error_msg: string }).error_msg).toContain(
      'routes.listAppServers.error500',
    );
    const unknown = await h.admin('PUT', '/_sim/faults', { routes: { listThings: { hang: 0.1 } } });
    expect(unknown.status).toBe(400);
    const ok = await h.admin('PUT', '/_sim/faults', { routes: { getJob: { error503: 1 } } });
    expect(ok.json).toEqual({ routes: { getJob: { error503: 1 } } });
    expect((await h.admin('GET', '/_sim/faults')).json).toEqual({
      routes: { getJob: { error503: 1 } },
    });
    expect(() =>
      h.sim.setFaults({ routes: { '*': { hang: 0.7, reset: 0.7 } } } as FaultConfig),
    ).toThrow(/add up to more than 1/);
  });
});

describe('simulator determinism', () => {
  const faults: FaultConfig = {
    routes: {
      '*': {
        error500: 0.1,
        error503: 0.1,
        malformed: 0.1,
        schemaViolation: 0.1,
        reset: 0.05,
        jitterMs: 3,
      },
    },
  };

  /** A fixed request sequence: lists, gets, a removal, a delete and errors. */
  async function drive(seed: number): Promise<Omit<CallLogEntry, 'durationMs'>[]> {
    const h = await openSim({ seed, faults });
    try {
      for (let i = 0; i < 40; i++) {
        const request =
          i % 5 === 0
            ? { path: `${h.v1}/app-servers`, query: { server_group_id: 'sg-scale-in' } }
            : i % 5 === 1
              ? { path: `${h.v1}/app-servers/srv-st-busy` }
              : i % 5 === 2
                ? {
                    path: `${h.v1}/session/list-sessions`,
                    query: {
                      query_begin_time: '2026-01-01T00:00:00Z',
                      query_end_time: '2026-01-01T12:00:00Z',
                    },
                  }
                : i % 5 === 3
                  ? {
                      method: 'POST',
                      path: `${h.v1}/cloudservers/os-server-groups/${ECS_FLOOR}/action`,
                      json: { remove_member: { instance_uuid: FL_IDLE_A } },
                    }
                  : { path: `${h.v1}/app-server-groups`, query: { offset: i } };
        await h.call(request).catch(() => undefined);
      }
      return h.sim.calls.map(({ durationMs: _d, ...rest }) => rest);
    } finally {
      await h.close();
    }
  }

  it('gives the same faults, statuses and request ids for the same seed and sequence', async () => {
    const a = await drive(2024);
    const b = await drive(2024);
    expect(b).toEqual(a);
    const kinds = new Set(a.map((c) => c.fault));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    expect(new Set(a.map((c) => c.requestId)).size).toBe(a.length);
  });

  it('gives another fault sequence and other request ids for another seed', async () => {
    const a = await drive(2024);
    const c = await drive(2025);
    expect(c.map((x) => x.fault)).not.toEqual(a.map((x) => x.fault));
    expect(c[0]?.requestId).not.toBe(a[0]?.requestId);
  });
});
