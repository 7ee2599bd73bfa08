import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HuaweiApiError, ResponseSchemaError } from '../../../lib/errors.ts';
import {
  createEcsClient,
  ECS_PAGE_SIZE,
  type EcsClient,
  indexServerGroupsByMember,
  saysNotAMember,
} from '../../../lib/huawei/ecs-client.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server.ts';

const PROJECT = '0123456789abcdef0123456789abcdef';
const UUID = '34dac9a0-c4a7-457b-bab2-e2c696e0e401';

let server: ScriptedServer;
let ecs: EcsClient;
let log: ReturnType<typeof createMemoryLog>;
beforeEach(async () => {
  server = await startScriptedServer();
  log = createMemoryLog();
  const http = createHttpCore({
    credentials: { ak: 'AK', sk: 'SK' },
    projectId: PROJECT,
    timeoutMs: 2_000,
    sleep: async () => {},
    random: () => 0,
  });
  ecs = createEcsClient({ http, endpoint: server.url, projectId: PROJECT, log });
});
afterEach(async () => {
  await server.close();
});

describe('removeMember', () => {
  it('posts exactly the remove_member body and treats 200 with no body as removed', async () => {
    server.handle(() => ({ status: 200, headers: { 'X-Request-Id': 'r-1' } }));
    expect(await ecs.removeMember('sg-1', UUID)).toEqual({ outcome: 'removed', requestId: 'r-1' });
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/v1/${PROJECT}/cloudservers/os-server-groups/sg-1/action`);
    expect(req?.body).toBe(`{"remove_member":{"instance_uuid":"${UUID}"}}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-project-id']).toBe(PROJECT);
  });

  it('rejects a 200 whose body is not an object instead of reporting a removal', async () => {
    server.handle(() => ({
      status: 200,
      headers: { 'X-Request-Id': 'r-odd' },
      json: ['unexpected'],
    }));
    await expect(ecs.removeMember('sg-1', UUID)).rejects.toThrow(ResponseSchemaError);
    await expect(ecs.removeMember('sg-1', UUID)).rejects.toThrow('r-odd');
  });

  it('throws on a 404 (group not found) and never reports it as already removed', async () => {
    server.handle(() => ({
      status: 404,
      headers: { 'X-Request-Id': 'r-404' },
      json: { error: { code: 'Ecs.0114', message: 'server group not found' } },
    }));
    const error = await ecs.removeMember('sg-1', UUID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HuaweiApiError);
    expect(error).toMatchObject({ status: 404, code: 'Ecs.0114', requestId: 'r-404' });
    expect(log.lines).toEqual([]);
  });

  it('throws on a 404 even when its message says the instance is not a member', async () => {
    server.handle(() => ({
      status: 404,
      json: { error: { code: 'Ecs.0114', message: `Instance ${UUID} is not a member of group` } },
    }));
    await expect(ecs.removeMember('sg-1', UUID)).rejects.toMatchObject({ status: 404 });
  });

  it('treats a 400 saying the instance is not a member as already removed and logs it', async () => {
    server.handle(() => ({
      status: 400,
      headers: { 'X-Request-Id': 'r-400' },
      json: { error: { code: 'Ecs.0005', message: `Instance ${UUID} is not a member of group` } },
    }));
    expect(await ecs.removeMember('sg-1', UUID)).toEqual({
      outcome: 'already-removed',
      requestId: 'r-400',
    });
    expect(log.lines).toEqual([
      {
        level: 'info',
        message: 'member already removed',
        context: {
          serverGroupId: 'sg-1',
          instanceUuid: UUID,
          status: 400,
          code: 'Ecs.0005',
          requestId: 'r-400',
        },
      },
    ]);
  });

  it('keeps any other 400 an error', async () => {
    server.handle(() => ({
      status: 400,
      json: { error_code: 'Ecs.0005', error_msg: 'invalid instance_uuid' },
    }));
    const error = await ecs.removeMember('sg-1', 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HuaweiApiError);
    expect(error).toMatchObject({ status: 400, code: 'Ecs.0005' });
  });

  it('retries a 500 and then removes', async () => {
    server.enqueue({ status: 500 });
    server.handle(() => ({ status: 200 }));
    expect((await ecs.removeMember('sg-1', UUID)).outcome).toBe('removed');
    expect(server.requests.map((r) => r.body)).toEqual([
      `{"remove_member":{"instance_uuid":"${UUID}"}}`,
      `{"remove_member":{"instance_uuid":"${UUID}"}}`,
    ]);
  });
});

describe('saysNotAMember', () => {
  it.each([
    ['Instance x is not a member of server group y', true],
    ['members are not found', true],
    ['Member is absent', true],
    ['the instance is not in the server group', true],
    ['Instance x is not in server-group y', true],
    ['no such member', true],
    ['invalid instance_uuid', false],
    ['server group quota exceeded', false],
    [undefined, false],
  ])('%j → %s', (message, expected) => {
    expect(saysNotAMember(message)).toBe(expected);
  });
});

describe('showServerGroup', () => {
  it('returns the group with its members', async () => {
    server.handle(() => ({
      json: {
        server_group: {
          id: 'sg-1',
          name: 'aps',
          members: [UUID],
          policies: ['anti-affinity'],
          metadata: {},
        },
      },
    }));
    expect(await ecs.showServerGroup('sg-1')).toEqual({
      id: 'sg-1',
      name: 'aps',
      members: [UUID],
      policies: ['anti-affinity'],
      metadata: {},
    });
    expect(server.requests[0]?.path).toBe(`/v1/${PROJECT}/cloudservers/os-server-groups/sg-1`);
  });

  it('throws a HuaweiApiError for a missing group', async () => {
    server.handle(() => ({ status: 404, json: { error: { code: 'Ecs.0114', message: 'gone' } } }));
    await expect(ecs.showServerGroup('sg-x')).rejects.toMatchObject({ status: 404 });
  });
});

describe('serverGroupsOf', () => {
  it("reads the groups from the server's own record, each once", async () => {
    server.handle(() => ({
      json: { server: { id: UUID, name: 'vm', 'os:scheduler_hints': { group: ['g-1', 'g-1'] } } },
    }));
    expect(await ecs.serverGroupsOf(UUID)).toEqual(['g-1']);
    expect(server.requests[0]?.path).toBe(`/v1/${PROJECT}/cloudservers/${UUID}`);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['no hint', {}],
    ['a null hint', { 'os:scheduler_hints': null }],
    ['a hint without a group', { 'os:scheduler_hints': { tenancy: ['shared'] } }],
  ])('answers no group for %s', async (_, hint) => {
    server.handle(() => ({ json: { server: { id: UUID, ...hint } } }));
    expect(await ecs.serverGroupsOf(UUID)).toEqual([]);
  });

  it('fails loud on a body without the server, and on a 404', async () => {
    server.handle(() => ({ json: { servers: [] } }));
    await expect(ecs.serverGroupsOf(UUID)).rejects.toBeInstanceOf(ResponseSchemaError);
    server.handle(() => ({ status: 404, json: { error: { code: 'Ecs.0114', message: 'gone' } } }));
    await expect(ecs.serverGroupsOf(UUID)).rejects.toBeInstanceOf(HuaweiApiError);
  });
});

describe('listServerGroups', () => {
  const group = (i: number, members: string[] = []) => ({
    id: `ecs-sg-${i}`,
    name: `anti-${i}`,
    members,
    metadata: {},
    policies: ['anti-affinity'],
  });

  async function all(): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const g of ecs.listServerGroups()) out.push(g);
    return out;
  }

  it('follows next_marker with limit and marker until a page has none', async () => {
    server.handle((req) => {
      const marker = req.query.get('marker');
      if (marker === null)
        return {
          json: { server_groups: [group(1), group(2)], page_info: { next_marker: 'ecs-sg-2' } },
        };
      if (marker === 'ecs-sg-2') return { json: { server_groups: [group(3)], page_info: {} } };
      return { status: 500 };
    });
    expect(await all()).toEqual([group(1), group(2), group(3)]);
    expect(server.requests.map((r) => r.path)).toEqual([
      `/v1/${PROJECT}/cloudservers/os-server-groups`,
      `/v1/${PROJECT}/cloudservers/os-server-groups`,
    ]);
    expect(server.requests.map((r) => [r.query.get('limit'), r.query.get('marker')])).toEqual([
      [String(ECS_PAGE_SIZE), null],
      [String(ECS_PAGE_SIZE), 'ecs-sg-2'],
    ]);
  });

  it('stops on an empty page and on a page without page_info', async () => {
    server.enqueue({ json: { server_groups: [group(1)] } });
    expect(await all()).toEqual([group(1)]);
    server.enqueue({ json: { server_groups: [], page_info: { next_marker: 'x' } } });
    expect(await all()).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('fails loud when a marker repeats instead of paging forever', async () => {
    server.handle(() => ({
      headers: { 'X-Request-Id': 'r-loop' },
      json: { server_groups: [group(1)], page_info: { next_marker: 'same' } },
    }));
    const error = await all().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseSchemaError);
    expect(String(error)).toMatch(/next_marker same repeats/);
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a page whose group has no members, naming the path', async () => {
    server.handle(() => ({ json: { server_groups: [{ id: 'g' }] } }));
    const error = await all().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseSchemaError);
    expect(String(error)).toMatch(/server_groups\[0\]\.members/);
  });
});

describe('indexServerGroupsByMember', () => {
  it('maps each instance to every ECS group holding it, once each, in listing order', () => {
    const index = indexServerGroupsByMember([
      { id: 'g1', members: ['a', 'b'] },
      { id: 'g2', members: ['b', 'b'] },
      { id: 'g3', members: [] },
    ]);
    expect([...index]).toEqual([
      ['a', ['g1']],
      ['b', ['g1', 'g2']],
    ]);
    expect(index.get('c')).toBeUndefined();
  });
});
