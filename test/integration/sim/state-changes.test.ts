import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ids, openSim, page, type SimHarness } from './harness.ts';

// Instance ids of the demo fleet's sg-floor members (see sim/README.md).
const FL_IDLE_A = { id: 'srv-fl-idle-a', instance: '5ca1ab1e-0007-4000-8000-000000000001' };
const FL_IDLE_B = { id: 'srv-fl-idle-b', instance: '5ca1ab1e-0007-4000-8000-000000000002' };
const FL_IDLE_C = { id: 'srv-fl-idle-c', instance: '5ca1ab1e-0007-4000-8000-000000000003' };
// The demo fleet's ECS server groups (their own ids) holding sg-floor's and sg-steady's instances.
const ECS_FLOOR = 'ec5e0000-0007-4000-8000-00000000e0c5';
const ECS_STEADY = 'ec5e0000-0008-4000-8000-00000000e0c5';

describe('simulator state changes', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim();
  });
  beforeEach(() => h.sim.reset());
  afterAll(() => h.close());

  const action = (group: string, body: object) =>
    h.call({
      method: 'POST',
      path: `${h.v1}/cloudservers/os-server-groups/${group}/action`,
      json: body,
    });
  const members = async (group: string) =>
    ids(
      await h.call({ path: `${h.v1}/app-servers`, query: { server_group_id: group, limit: 100 } }),
    );
  const groupCount = async (group: string) => {
    const reply = await h.call({
      path: `${h.v1}/app-server-groups`,
      query: { server_group_id: group },
    });
    return page(reply).items[0]?.['app_server_count'];
  };
  const ecsMembers = async (group: string) =>
    (
      (await h.call({ path: `${h.v1}/cloudservers/os-server-groups/${group}` })).json as {
        server_group: { members: string[] };
      }
    ).server_group.members;

  it("a server's own ECS record names its groups, none once it has left them, 404 for an unknown one", async () => {
    const hints = async (instance: string) => {
      const reply = await h.call({ path: `${h.v1}/cloudservers/${instance}` });
      const body = reply.json as { server?: { id: string; 'os:scheduler_hints': { group: [] } } };
      return {
        status: reply.status,
        id: body.server?.id,
        group: body.server?.['os:scheduler_hints'].group,
      };
    };
    expect(await hints(FL_IDLE_A.instance)).toEqual({
      status: 200,
      id: FL_IDLE_A.instance,
      group: [ECS_FLOOR],
    });
    await action(ECS_FLOOR, { remove_member: { instance_uuid: FL_IDLE_A.instance } });
    expect((await hints(FL_IDLE_A.instance)).group).toEqual([]);
    expect((await hints('5ca1ab1e-ffff-4000-8000-000000000000')).status).toBe(404);
  });

  it('remove_member answers 200 with an empty body and takes the instance out of its ECS group', async () => {
    expect(await members('sg-floor')).toContain(FL_IDLE_A.id);
    const reply = await action(ECS_FLOOR, {
      remove_member: { instance_uuid: FL_IDLE_A.instance },
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    expect(reply.headers.get('content-length')).toBe('0');
    expect(await ecsMembers(ECS_FLOOR)).not.toContain(FL_IDLE_A.instance);
    // Out of its last ECS group, the APS server leaves its APS group too (sim/README.md).
    expect(await members('sg-floor')).not.toContain(FL_IDLE_A.id);
    expect(await groupCount('sg-floor')).toBe(3);
    // The server still exists, in no group.
    const server = await h.call({ path: `${h.v1}/app-servers/${FL_IDLE_A.id}` });
    expect(server.status).toBe(200);
    expect(server.json).not.toHaveProperty('server_group_id');
  });

  it('remove_member of a non-member answers 400 saying so; of an unknown or APS group id, 404', async () => {
    await action(ECS_FLOOR, { remove_member: { instance_uuid: FL_IDLE_A.instance } });
    const again = await action(ECS_FLOOR, {
      remove_member: { instance_uuid: FL_IDLE_A.instance },
    });
    expect(again.status).toBe(400);
    expect((again.json as { error_msg: string }).error_msg).toContain('is not a member of');
    const elsewhere = await action(ECS_STEADY, {
      remove_member: { instance_uuid: FL_IDLE_C.instance },
    });
    expect(elsewhere.status).toBe(400);
    expect(await members('sg-floor')).toContain(FL_IDLE_C.id);
    // srv-fl-idle-b is in no ECS group at all.
    const inNone = await action(ECS_FLOOR, {
      remove_member: { instance_uuid: FL_IDLE_B.instance },
    });
    expect(inNone.status).toBe(400);
    for (const unknown of ['sg-missing', 'sg-floor']) {
      const reply = await action(unknown, { remove_member: { instance_uuid: FL_IDLE_C.instance } });
      expect(reply.status).toBe(404);
    }
    expect(await ecsMembers(ECS_FLOOR)).toContain(FL_IDLE_C.instance);
  });

  it('add_member puts a removed server back', async () => {
    await action(ECS_FLOOR, { remove_member: { instance_uuid: FL_IDLE_A.instance } });
    const reply = await action(ECS_FLOOR, { add_member: { instance_uuid: FL_IDLE_A.instance } });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    expect(await members('sg-floor')).toContain(FL_IDLE_A.id);
    expect(await groupCount('sg-floor')).toBe(4);
    expect(await ecsMembers(ECS_FLOOR)).toContain(FL_IDLE_A.instance);
  });

  it('add_member refuses a current member, a member of another group and an unknown instance', async () => {
    const same = await action(ECS_FLOOR, { add_member: { instance_uuid: FL_IDLE_A.instance } });
    expect(same.status).toBe(400);
    const other = await action(ECS_STEADY, { add_member: { instance_uuid: FL_IDLE_A.instance } });
    expect(other.status).toBe(409);
    const unknown = await action(ECS_FLOOR, {
      add_member: { instance_uuid: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknown.status).toBe(404);
    expect(await ecsMembers(ECS_STEADY)).toHaveLength(5);
  });

  it('DELETE removes the server (404 afterwards), returns a job and the group count follows', async () => {
    const reply = await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/${FL_IDLE_B.id}` });
    expect(reply.status).toBe(200);
    const jobId = (reply.json as { job_id: string }).job_id;
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await h.call({ path: `${h.v1}/app-servers/${FL_IDLE_B.id}` })).status).toBe(404);
    expect(await groupCount('sg-floor')).toBe(3);
    // A deleted server leaves its ECS group.
    await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/${FL_IDLE_C.id}` });
    expect(await ecsMembers(ECS_FLOOR)).not.toContain(FL_IDLE_C.instance);
    const job = await h.call({ path: `/v2/${h.sim.projectId}/job/${jobId}` });
    expect(job.json).toMatchObject({ id: jobId, status: 'SUCCESS', job_type: 'DELETE_SERVER' });
    const again = await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/${FL_IDLE_B.id}` });
    expect(again.status).toBe(200);
    expect((again.json as { job_id: string }).job_id).not.toBe(jobId);
    expect((await h.call({ path: `/v2/${h.sim.projectId}/job/nope` })).status).toBe(404);
  });

  it('DELETE answers 409 for a server with sessions and keeps it', async () => {
    const reply = await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-si-busy` });
    expect(reply.status).toBe(409);
    expect((await h.call({ path: `${h.v1}/app-servers/srv-si-busy` })).status).toBe(200);
  });

  it('a user logging in between evaluation and removal makes the delete fail', async () => {
    const added = await h.admin('POST', '/_sim/sessions', {
      server_id: 'srv-fl-idle-c',
      session: { session_state: 'Active', login_user: 'late-user' },
    });
    expect(added.status).toBe(200);
    const server = await h.call({ path: `${h.v1}/app-servers/srv-fl-idle-c` });
    expect(server.json).toMatchObject({ session_count: 1 });
    expect(
      (await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-fl-idle-c` })).status,
    ).toBe(409);
    const sessions = await h.call({
      path: `${h.v1}/session/list-sessions`,
      query: {
        query_begin_time: '2026-01-01T00:00:00Z',
        query_end_time: '2026-01-01T12:00:00Z',
        machine_name: 'APS-FL-IDLEC',
        session_state: 'Active',
      },
    });
    expect(page(sessions).items).toEqual([
      expect.objectContaining({ login_user: 'late-user', app_server_group_id: 'sg-floor' }),
    ]);
    await h.admin('POST', '/_sim/sessions', { server_id: 'srv-fl-idle-c', session_count: 0 });
    expect(
      (await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-fl-idle-c` })).status,
    ).toBe(200);
  });

  it('keeps a job RUNNING for jobSeconds of virtual time', async () => {
    const slow = await openSim({ jobSeconds: 60 });
    try {
      const reply = await slow.call({
        method: 'DELETE',
        path: `${slow.v1}/app-servers/srv-fl-idle-a`,
      });
      const jobPath = `/v2/${slow.sim.projectId}/job/${(reply.json as { job_id: string }).job_id}`;
      expect((await slow.call({ path: jobPath })).json).toMatchObject({ status: 'RUNNING' });
      slow.sim.advanceClock(2);
      expect((await slow.call({ path: jobPath })).json).toMatchObject({ status: 'SUCCESS' });
    } finally {
      await slow.close();
    }
  });

  it('batch-delete removes every listed server', async () => {
    const reply = await h.call({
      method: 'POST',
      path: `${h.v1}/app-servers/actions/batch-delete`,
      json: { items: [FL_IDLE_A.id, FL_IDLE_B.id, 'srv-gone'] },
    });
    expect(reply.status).toBe(200);
    expect(reply.json).toHaveProperty('job_id');
    expect(await members('sg-floor')).toEqual(['srv-fl-idle-c', 'srv-fl-maintenance']);
    expect(await groupCount('sg-floor')).toBe(2);
  });

  it('batch-delete changes nothing when one server is busy or not pay-per-use', async () => {
    const busy = await h.call({
      method: 'POST',
      path: `${h.v1}/app-servers/actions/batch-delete`,
      json: { items: [FL_IDLE_A.id, 'srv-st-busy'] },
    });
    expect(busy.status).toBe(409);
    expect(await members('sg-floor')).toContain(FL_IDLE_A.id);
    h.sim.state.getServer(FL_IDLE_B.id)!.metadata = { charging_mode: '1' };
    const yearly = await h.call({
      method: 'POST',
      path: `${h.v1}/app-servers/actions/batch-delete`,
      json: { items: [FL_IDLE_A.id, FL_IDLE_B.id] },
    });
    expect(yearly.status).toBe(400);
    expect((yearly.json as { error_msg: string }).error_msg).toContain('pay-per-use');
    expect(await members('sg-floor')).toHaveLength(4);
  });

  it('PATCH updates name, description and maintain_status; 404 for a missing server', async () => {
    const reply = await h.call({
      method: 'PATCH',
      path: `${h.v1}/app-servers/${FL_IDLE_A.id}`,
      json: { name: 'renamed', description: 'draining', maintain_status: true },
    });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
    const server = await h.call({ path: `${h.v1}/app-servers/${FL_IDLE_A.id}` });
    expect(server.json).toMatchObject({
      name: 'renamed',
      description: 'draining',
      maintain_status: true,
    });
    const inMaintenance = await h.call({
      path: `${h.v1}/app-servers`,
      query: { server_group_id: 'sg-floor', maintain_status: 'true' },
    });
    expect(ids(inMaintenance)).toEqual([FL_IDLE_A.id, 'srv-fl-maintenance']);
    const missing = await h.call({
      method: 'PATCH',
      path: `${h.v1}/app-servers/srv-gone`,
      json: { name: 'x' },
    });
    expect(missing.status).toBe(404);
  });

  it('batch-maint drains every listed server, or none when one is unknown', async () => {
    const bad = await h.call({
      method: 'PATCH',
      path: `${h.v1}/app-servers/actions/batch-maint`,
      json: { items: [FL_IDLE_A.id, 'srv-gone'], maintain_status: true },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('items[1]');
    for (const items of [[], Array.from({ length: 21 }, (_, i) => `srv-${i}`)]) {
      const refused = await h.call({
        method: 'PATCH',
        path: `${h.v1}/app-servers/actions/batch-maint`,
        json: { items, maintain_status: true },
      });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('items');
    }
    expect(h.sim.state.getServer(FL_IDLE_A.id)?.maintain_status).toBe(false);
    const ok = await h.call({
      method: 'PATCH',
      path: `${h.v1}/app-servers/actions/batch-maint`,
      json: { items: [FL_IDLE_A.id, FL_IDLE_B.id], maintain_status: true },
    });
    expect(ok.status).toBe(200);
    expect(h.sim.state.getServer(FL_IDLE_A.id)?.maintain_status).toBe(true);
    expect(h.sim.state.getServer(FL_IDLE_B.id)?.maintain_status).toBe(true);
  });

  it('reset restores the fleet after changes', async () => {
    await action('sg-floor', { remove_member: { instance_uuid: FL_IDLE_A.instance } });
    await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/${FL_IDLE_B.id}` });
    h.sim.reset();
    expect(await members('sg-floor')).toEqual([
      'srv-fl-idle-a',
      'srv-fl-idle-b',
      'srv-fl-idle-c',
      'srv-fl-maintenance',
    ]);
  });
});
