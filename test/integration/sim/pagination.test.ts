import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids, openSim, page, type SimHarness } from './harness.ts';

const WINDOW = { query_begin_time: '2025-12-31T00:00:00Z', query_end_time: '2026-01-02T00:00:00Z' };

describe('simulator pagination', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim({ generate: { groups: 23, serversPerGroup: 4, seed: 11 } });
  });
  afterAll(() => h.close());

  it('pages server groups with count = total, offset and limit', async () => {
    const first = await h.call({ path: `${h.v1}/app-server-groups`, query: { limit: 10 } });
    expect(first.status).toBe(200);
    expect(page(first).count).toBe(23);
    expect(page(first).items).toHaveLength(10);
    const all: string[] = [];
    for (let offset = 0; offset < 23; offset += 10) {
      const reply = await h.call({
        path: `${h.v1}/app-server-groups`,
        query: { offset, limit: 10 },
      });
      expect(page(reply).count).toBe(23);
      all.push(...ids(reply));
    }
    expect(all).toEqual(h.sim.state.groups.map((g) => g.id));
    expect(new Set(all).size).toBe(23);
  });

  it('answers an empty page past the end, still with the total', async () => {
    const reply = await h.call({
      path: `${h.v1}/app-server-groups`,
      query: { offset: 23, limit: 5 },
    });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ count: 23, items: [] });
    const far = await h.call({ path: `${h.v1}/app-servers`, query: { offset: 10_000 } });
    expect(far.json).toEqual({ count: 92, items: [] });
  });

  it('defaults to 10 items for groups, servers and sessions', async () => {
    const groups = await h.call({ path: `${h.v1}/app-server-groups` });
    const servers = await h.call({ path: `${h.v1}/app-servers` });
    const sessions = await h.call({ path: `${h.v1}/session/list-sessions`, query: WINDOW });
    expect(page(groups).items).toHaveLength(10);
    expect(page(servers).items).toHaveLength(10);
    expect(page(servers).count).toBe(92);
    expect(page(sessions).items).toHaveLength(10);
    expect(page(sessions).count).toBeGreaterThan(10);
  });

  it('pages app servers and sessions without gaps or repeats', async () => {
    const servers: string[] = [];
    for (let offset = 0; ; offset += 7) {
      const reply = await h.call({ path: `${h.v1}/app-servers`, query: { offset, limit: 7 } });
      if (page(reply).items.length === 0) break;
      servers.push(...ids(reply));
    }
    expect(servers).toEqual(h.sim.state.servers.map((s) => s.id));
    const total = page(
      await h.call({ path: `${h.v1}/session/list-sessions`, query: WINDOW }),
    ).count;
    const sessions: string[] = [];
    for (let offset = 0; offset < total; offset += 100) {
      const reply = await h.call({
        path: `${h.v1}/session/list-sessions`,
        query: { ...WINDOW, offset, limit: 100 },
      });
      sessions.push(...ids(reply));
    }
    expect(sessions).toHaveLength(total);
    expect(new Set(sessions).size).toBe(total);
  });

  it('accepts the limit bounds 1 and 100', async () => {
    expect(
      page(await h.call({ path: `${h.v1}/app-servers`, query: { limit: 1 } })).items,
    ).toHaveLength(1);
    expect(
      page(await h.call({ path: `${h.v1}/app-servers`, query: { limit: 100 } })).items,
    ).toHaveLength(92);
  });
});

describe('simulator query validation', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim();
  });
  afterAll(() => h.close());

  const groups = 'app-server-groups';
  const servers = 'app-servers';
  const sessions = 'session/list-sessions';
  it.each([
    [groups, { limit: 0 }, 'limit'],
    [groups, { limit: 101 }, 'limit'],
    [groups, { limit: 'ten' }, 'limit'],
    [groups, { limit: '1.5' }, 'limit'],
    [groups, { limit: '' }, 'limit'],
    [groups, { offset: -1 }, 'offset'],
    [groups, { offset: 'x' }, 'offset'],
    [groups, { app_type: 'GAME' }, 'app_type'],
    [groups, { is_secondary_server_group: 'yes' }, 'is_secondary_server_group'],
    [servers, { limit: 0 }, 'limit'],
    [servers, { limit: 101 }, 'limit'],
    [servers, { offset: -3 }, 'offset'],
    [servers, { maintain_status: 'maybe' }, 'maintain_status'],
    [servers, { scaling_auto_create: '1' }, 'scaling_auto_create'],
    [sessions, { query_end_time: WINDOW.query_end_time }, 'query_begin_time'],
    [sessions, { query_begin_time: WINDOW.query_begin_time }, 'query_end_time'],
    [sessions, {}, 'query_begin_time'],
    [sessions, { ...WINDOW, query_begin_time: '31/12/2025' }, 'query_begin_time'],
    [
      sessions,
      { query_begin_time: WINDOW.query_end_time, query_end_time: WINDOW.query_begin_time },
      'query_end_time',
    ],
    [sessions, { ...WINDOW, session_state: 'Active,Sleeping' }, 'session_state'],
    [sessions, { ...WINDOW, limit: 0 }, 'limit'],
    [sessions, { ...WINDOW, limit: 101 }, 'limit'],
    [sessions, { ...WINDOW, offset: 'abc' }, 'offset'],
    [sessions, { ...WINDOW, is_success: 'yes' }, 'is_success'],
  ])('GET %s with %j answers 400 naming %s', async (route, query, name) => {
    const reply = await h.call({ path: `${h.v1}/${route}`, query });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error_code: 'WKS.00010001' });
    expect((reply.json as { error_msg: string }).error_msg).toContain(name);
  });
});

describe('simulator body validation', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim();
  });
  afterAll(() => h.close());

  const ecs = (group: string) => `cloudservers/os-server-groups/${group}/action`;
  const tooMany = Array.from({ length: 21 }, (_, i) => `srv-${i}`);
  it.each([
    ['PATCH', 'app-servers/srv-si-idle-1', { body: '{"name": ' }, 400, 'not valid JSON'],
    [
      'PATCH',
      'app-servers/srv-si-idle-1',
      { json: { maintain_status: 'yes' } },
      400,
      'maintain_status',
    ],
    ['PATCH', 'app-servers/srv-si-idle-1', { json: { colour: 'red' } }, 400, 'colour'],
    ['PATCH', 'app-servers/srv-si-idle-1', { json: {} }, 400, 'at least one'],
    ['PATCH', 'app-servers/srv-si-idle-1', { body: '', headers: {} }, 400, 'body is required'],
    [
      'PATCH',
      'app-servers/srv-si-idle-1',
      { json: { name: 'x' }, headers: { 'content-type': 'text/plain' } },
      415,
      'Content-Type',
    ],
    [
      'PATCH',
      'app-servers/actions/batch-maint',
      { json: { items: [], maintain_status: true } },
      400,
      'items',
    ],
    [
      'PATCH',
      'app-servers/actions/batch-maint',
      { json: { items: tooMany, maintain_status: true } },
      400,
      'items',
    ],
    [
      'PATCH',
      'app-servers/actions/batch-maint',
      { json: { items: ['srv-si-idle-1'] } },
      400,
      'maintain_status',
    ],
    ['POST', 'app-servers/actions/batch-delete', { json: { items: tooMany } }, 400, 'items'],
    ['POST', 'app-servers/actions/batch-delete', { json: { items: [] } }, 400, 'items'],
    ['POST', 'app-servers/actions/batch-delete', { body: 'items=1' }, 400, 'not valid JSON'],
    ['POST', ecs('sg-floor'), { json: {} }, 400, 'exactly one key'],
    [
      'POST',
      ecs('sg-floor'),
      { json: { add_member: { instance_uuid: 'a' }, remove_member: { instance_uuid: 'b' } } },
      400,
      'exactly one key',
    ],
    ['POST', ecs('sg-floor'), { json: { remove_member: {} } }, 400, 'remove_member.instance_uuid'],
    [
      'POST',
      ecs('sg-floor'),
      { json: { remove_member: { instance_uuid: 'x', force: true } } },
      400,
      'force',
    ],
    [
      'POST',
      ecs('sg-floor'),
      { json: { delete_member: { instance_uuid: 'x' } } },
      400,
      'exactly one key',
    ],
    ['POST', ecs('sg-floor'), { body: '{remove_member}' }, 400, 'not valid JSON'],
  ])('%s %s with %j answers %i naming %s', async (method, route, request, status, fragment) => {
    const before = JSON.stringify(h.sim.state.snapshot(0));
    const reply = await h.call({ method, path: `${h.v1}/${route}`, ...request });
    expect(reply.status).toBe(status);
    expect((reply.json as { error_msg: string }).error_msg).toContain(fragment);
    expect(JSON.stringify(h.sim.state.snapshot(0))).toBe(before);
  });

  it('answers 404 APIGW.0101 for an unknown API or method', async () => {
    for (const [method, path] of [
      ['GET', `${h.v1}/app-server-group`],
      ['DELETE', `${h.v1}/app-server-groups/sg-floor`],
      ['GET', '/v3/auth/tokens'],
      ['GET', `${h.v1}/app-servers/`],
    ] as const) {
      const reply = await h.call({ method, path });
      expect(reply.status).toBe(404);
      expect(reply.json).toMatchObject({ error_code: 'APIGW.0101' });
    }
  });
});
