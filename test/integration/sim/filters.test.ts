import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../../sim/index.ts';
import { ids, openSim, page, type SimHarness } from './harness.ts';

const server = (id: string, group: string | undefined, extra: Record<string, unknown> = {}) => ({
  id,
  machine_name: `APS-${id.toUpperCase()}`,
  instance_id: `inst-${id}`,
  ...(group === undefined ? {} : { server_group_id: group }),
  create_time: '2026-03-01T00:00:00Z',
  ...extra,
});

const FLEET: Fleet = {
  projectId: 'filterproject',
  now: '2026-03-10T12:00:00.000Z',
  groups: [
    {
      id: 'g-office',
      name: 'office-apps',
      app_type: 'COMMON_APP',
      tags: [{ key: 'team', value: 'blue' }],
    },
    {
      id: 'g-desktop',
      name: 'desktop-main',
      app_type: 'SESSION_DESKTOP_APP',
      enterprise_project_id: 'ep-42',
      tags: [{ key: 'aps-autoscaler:protect', value: 'true' }],
    },
    {
      id: 'g-office-2',
      name: 'office-secondary',
      app_type: 'COMMON_APP',
      primary_server_group_ids: ['g-office'],
      enterprise_project_id: '',
    },
  ],
  servers: [
    server('a1', 'g-office', {
      name: 'alpha-one',
      host_address: [{ addr: '10.1.0.1', version: 4 }],
    }),
    server('a2', 'g-office', {
      name: 'alpha-two',
      maintain_status: true,
      host_address: [{ addr: '10.1.0.2' }],
    }),
    server('b1', 'g-desktop', {
      name: 'beta-one',
      scaling_auto_create: true,
      host_address: [{ addr: '10.2.0.1' }],
    }),
    server('c1', 'g-office-2', { name: 'gamma', host_address: [{ addr: '172.16.0.9' }] }),
    server('loose', undefined, { name: 'no-group' }),
  ],
  sessions: [
    {
      id: 's-early',
      machine_name: 'APS-A1',
      session_state: 'SignedOut',
      start_time: '2026-03-09T08:00:00Z',
      end_time: '2026-03-09T09:00:00Z',
      login_user: 'ann',
    },
    {
      id: 's-mid',
      machine_name: 'APS-A1',
      session_state: 'Disconnected',
      start_time: '2026-03-10T09:00:00Z',
      login_user: 'bob',
    },
    {
      id: 's-late',
      machine_name: 'APS-A2',
      session_state: 'Active',
      start_time: '2026-03-10T11:59:00Z',
      login_user: 'ann',
    },
    {
      id: 's-b1',
      machine_name: 'APS-B1',
      session_state: 'InitFail',
      start_time: '2026-03-10T10:00:00Z',
      login_user: 'cid',
    },
    {
      id: 's-c1',
      machine_name: 'APS-C1',
      session_state: 'AppcInit',
      start_time: '2026-03-10T11:00:00Z',
      login_user: 'dee',
    },
    {
      id: 's-future',
      machine_name: 'APS-C1',
      session_state: 'Active',
      start_time: '2026-03-10T13:00:00Z',
      login_user: 'eve',
    },
  ],
};

describe('simulator filters', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim({ fleet: FLEET });
  });
  afterAll(() => h.close());

  const groupIds = async (query: Record<string, string>) =>
    ids(await h.call({ path: `${h.v1}/app-server-groups`, query }));
  const serverIds = async (query: Record<string, string>) =>
    ids(await h.call({ path: `${h.v1}/app-servers`, query: { limit: '100', ...query } }));

  it.each([
    [{}, ['g-office', 'g-desktop', 'g-office-2']],
    [{ server_group_name: 'office' }, ['g-office', 'g-office-2']],
    [{ server_group_id: 'g-desktop' }, ['g-desktop']],
    [{ server_group_id: 'g-none' }, []],
    [{ app_type: 'COMMON_APP' }, ['g-office', 'g-office-2']],
    [{ tags: 'aps-autoscaler:protect' }, ['g-desktop']],
    [{ tags: 'team=blue' }, ['g-office']],
    [{ tags: 'team=red' }, []],
    [{ is_secondary_server_group: 'true' }, ['g-office-2']],
    [{ is_secondary_server_group: 'false' }, ['g-office', 'g-desktop']],
    [{ enterprise_project_id: '0' }, ['g-office', 'g-office-2']],
    [{ enterprise_project_id: 'ep-42' }, ['g-desktop']],
    [{ server_group_name: 'office', is_secondary_server_group: 'false' }, ['g-office']],
  ])('lists server groups filtered by %j', async (query, expected) => {
    expect(await groupIds(query)).toEqual(expected);
  });

  it('counts only the filtered groups', async () => {
    const reply = await h.call({
      path: `${h.v1}/app-server-groups`,
      query: { app_type: 'COMMON_APP', limit: 1 },
    });
    expect(page(reply)).toMatchObject({
      count: 2,
      items: [expect.objectContaining({ id: 'g-office' })],
    });
  });

  it('answers 404 for an unknown group id', async () => {
    expect((await h.call({ path: `${h.v1}/app-server-groups/g-none` })).status).toBe(404);
    expect((await h.call({ path: `${h.v1}/app-server-groups/g-office` })).json).toMatchObject({
      id: 'g-office',
      app_server_count: 2,
    });
  });

  it.each([
    [{}, ['a1', 'a2', 'b1', 'c1', 'loose']],
    [{ server_group_id: 'g-office' }, ['a1', 'a2']],
    [{ server_id: 'b1' }, ['b1']],
    [{ server_id: 'b1', server_group_id: 'g-office' }, []],
    [{ machine_name: 'APS-A' }, ['a1', 'a2']],
    [{ server_name: 'one' }, ['a1', 'b1']],
    [{ ip_addr: '10.1.' }, ['a1', 'a2']],
    [{ ip_addr: '172.16' }, ['c1']],
    [{ maintain_status: 'true' }, ['a2']],
    [{ maintain_status: 'false', server_group_id: 'g-office' }, ['a1']],
    [{ scaling_auto_create: 'true' }, ['b1']],
  ])('lists app servers filtered by %j', async (query, expected) => {
    expect(await serverIds(query)).toEqual(expected);
  });

  const window = (from: string, to: string) => ({
    query_begin_time: from,
    query_end_time: to,
    limit: '100',
  });
  const sessionIds = async (query: Record<string, string>) =>
    ids(await h.call({ path: `${h.v1}/session/list-sessions`, query }));

  it('windows sessions on their start time, inclusive, newest first', async () => {
    expect(await sessionIds(window('2026-03-09T00:00:00Z', '2026-03-11T00:00:00Z'))).toEqual([
      's-late',
      's-c1',
      's-b1',
      's-mid',
      's-early',
    ]);
    expect(await sessionIds(window('2026-03-10T09:00:00Z', '2026-03-10T11:00:00Z'))).toEqual([
      's-c1',
      's-b1',
      's-mid',
    ]);
    expect(await sessionIds(window('2026-03-10T09:00:00.001Z', '2026-03-10T10:59:59Z'))).toEqual([
      's-b1',
    ]);
    expect(await sessionIds(window('2026-03-01T00:00:00Z', '2026-03-09T07:59:59Z'))).toEqual([]);
  });

  it.each([
    [{ session_state: 'Active,Disconnected' }, ['s-late', 's-mid']],
    [{ session_state: 'SignedOut' }, ['s-early']],
    [{ app_server_group_id: 'g-office' }, ['s-late', 's-mid', 's-early']],
    [{ machine_name: 'APS-A1' }, ['s-mid', 's-early']],
    [{ user_name: 'ann' }, ['s-late', 's-early']],
    [{ vm_ip: '10.2.0.1' }, ['s-b1']],
    [{ is_success: 'false' }, ['s-b1']],
    [{ app_server_group_id: 'g-office', session_state: 'Active,AppcInit' }, ['s-late']],
  ])('filters sessions by %j', async (query, expected) => {
    expect(
      await sessionIds({ ...window('2026-03-01T00:00:00Z', '2026-03-31T00:00:00Z'), ...query }),
    ).toEqual(expected);
  });

  it('hides sessions that start after the virtual now until the clock gets there', async () => {
    const query = {
      ...window('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'),
      machine_name: 'APS-C1',
    };
    const sim = await openSim({ fleet: FLEET });
    try {
      const before = await sim.call({ path: `${sim.v1}/session/list-sessions`, query });
      expect(ids(before)).toEqual(['s-c1']);
      sim.sim.advanceClock(61);
      const after = await sim.call({ path: `${sim.v1}/session/list-sessions`, query });
      expect(ids(after)).toEqual(['s-future', 's-c1']);
    } finally {
      await sim.close();
    }
  });

  it('pages ECS server groups by marker; a fleet without them gets one per APS group, with its own id', async () => {
    const first = await h.call({
      path: `${h.v1}/cloudservers/os-server-groups`,
      query: { limit: 2 },
    });
    const body = first.json as {
      server_groups: { id: string; name: string; members: string[] }[];
      page_info: { next_marker?: string };
    };
    expect(body.server_groups.map((g) => g.name)).toEqual(['ecs-office-apps', 'ecs-desktop-main']);
    expect(body.server_groups.map((g) => g.members)).toEqual([['inst-a1', 'inst-a2'], ['inst-b1']]);
    for (const g of body.server_groups) {
      expect(g.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(['g-office', 'g-desktop', 'g-office-2']).not.toContain(g.id);
    }
    expect(body.page_info.next_marker).toBe(body.server_groups[1]?.id);
    const second = await h.call({
      path: `${h.v1}/cloudservers/os-server-groups`,
      query: { limit: 2, marker: body.page_info.next_marker as string },
    });
    expect(second.json).toEqual({
      server_groups: [
        {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'ecs-office-secondary',
          members: ['inst-c1'],
          metadata: {},
          policies: ['anti-affinity'],
        },
      ],
      page_info: {},
    });
    const apsId = await h.call({ path: `${h.v1}/cloudservers/os-server-groups/g-office` });
    expect(apsId.status).toBe(404);
  });
});
